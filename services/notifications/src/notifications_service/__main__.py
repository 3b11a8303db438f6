from __future__ import annotations

import asyncio

from notifications_service.bootstrap import build
from notifications_service.config import NotificationsSettings
from servicekit.runtime import run_service


def main() -> None:
    asyncio.run(run_service("notifications", NotificationsSettings(), build))


if __name__ == "__main__":
    main()
