"""A background job run now and then every N seconds, surviving its own failures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from servicekit.logging import get_logger

log = get_logger(__name__)


class Every:
    def __init__(self, seconds: float, job: Callable[[], Awaitable[None]], name: str) -> None:
        self._seconds, self._job, self._name = seconds, job, name
        self._stop = asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self._job()
            except Exception as exc:  # noqa: BLE001 - log it and try again next period
                log.warning("periodic job failed", job=self._name, error=repr(exc)[:300])
            try:
                await asyncio.wait_for(self._stop.wait(), self._seconds)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stop.set()
