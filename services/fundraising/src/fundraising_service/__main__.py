from __future__ import annotations

import asyncio

from fundraising_service.bootstrap import build
from fundraising_service.config import FundraisingSettings
from servicekit.runtime import run_service


def main() -> None:
    asyncio.run(run_service("fundraising", FundraisingSettings(), build))


if __name__ == "__main__":
    main()
