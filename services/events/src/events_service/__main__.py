from __future__ import annotations

import asyncio

from events_service.bootstrap import build
from events_service.config import EventsSettings
from servicekit.runtime import run_service


def main() -> None:
    asyncio.run(run_service("events", EventsSettings(), build))


if __name__ == "__main__":
    main()
