from __future__ import annotations

import asyncio

from members_service.bootstrap import build
from members_service.config import MembersSettings
from servicekit.runtime import run_service


def main() -> None:
    asyncio.run(run_service("members", MembersSettings(), build))


if __name__ == "__main__":
    main()
