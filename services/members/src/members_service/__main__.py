from __future__ import annotations

import asyncio

from servicekit.runtime import run_service

from members_service.bootstrap import build
from members_service.config import MembersSettings


def main() -> None:
    asyncio.run(run_service("members", MembersSettings(), build))


if __name__ == "__main__":
    main()
