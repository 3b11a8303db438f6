from __future__ import annotations

import asyncio

from servicekit.runtime import run_service

from fundraising_service.bootstrap import build
from fundraising_service.config import FundraisingSettings


def main() -> None:
    asyncio.run(run_service("fundraising", FundraisingSettings(), build))


if __name__ == "__main__":
    main()
