from __future__ import annotations

import asyncio

from community_service.bootstrap import build
from community_service.config import CommunitySettings
from servicekit.runtime import run_service


def main() -> None:
    asyncio.run(run_service("community", CommunitySettings(), build))


if __name__ == "__main__":
    main()
