from __future__ import annotations

import asyncio

from servicekit.runtime import run_service

from events_service.bootstrap import build
from events_service.config import EventsSettings


def main() -> None:
    asyncio.run(run_service("events", EventsSettings(), build))


if __name__ == "__main__":
    main()
