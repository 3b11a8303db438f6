"""One wakeable background loop: the outbox relay, the mailer, import jobs and the sweeps.

A `WorkLoop` calls its `step` over and over. A step does one round of work and returns how
many items it handled; when that is a full batch (`busy_at`), more is probably waiting and the
next round starts at once, otherwise the loop sleeps until `wake()` (a local commit, a queued
job) or the poll interval (other processes, restarts, retry times), whichever comes first.

A failing step is logged and counted, and the loop pauses (`error_pause_seconds`) before the
next round: a database blip never kills a worker. `stop()` lets the current round end —
`stopping` tells a long step to give its item back at its next checkpoint rather than finish
it — and `run()` returns once it has. Every loop reports `alumni_worker_*` metrics labelled
with its service and name.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from servicekit import metrics
from servicekit.logging import get_logger

log = get_logger(__name__)
Step = Callable[[], Awaitable[int | None]]


class WorkLoop:
    def __init__(self, service: str, name: str, step: Step, *, poll_seconds: float,
                 busy_at: int | None = None, error_pause_seconds: float | None = None) -> None:
        """`busy_at`: a round that handled at least this many items runs the next one at once
        (None: always wait for a wake-up or the poll interval)."""
        self.service, self.name = service, name
        self._step = step
        self._poll = poll_seconds
        self._busy_at = busy_at
        self._error_pause = poll_seconds if error_pause_seconds is None else error_pause_seconds
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.iterations = self.items = self.errors = 0
        labels = (service, name)
        self._m_iterations = metrics.WORKER_ITERATIONS.labels(*labels)
        self._m_items = metrics.WORKER_ITEMS.labels(*labels)
        self._m_errors = metrics.WORKER_ERRORS.labels(*labels)
        self._m_success = metrics.WORKER_LAST_SUCCESS.labels(*labels)

    @property
    def stopping(self) -> bool:
        """Set by `stop()`: a step working through a long item gives it back at its next checkpoint."""
        return self._stopping.is_set()

    @property
    def wake_pending(self) -> bool:
        """A wake-up was requested and the next round has not started yet."""
        return self._wake.is_set()

    def wake(self) -> None:
        """Work may be waiting: run a round now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        log.info("worker started", worker=self.name)
        while not self._stopping.is_set():
            # Cleared before the round: a wake-up arriving during it runs another round.
            self._wake.clear()
            pause = self._poll
            self.iterations += 1
            self._m_iterations.inc()
            try:
                handled = await self._step() or 0
            except Exception as exc:  # noqa: BLE001 - a worker outlives a database blip; retried next round
                self.errors += 1
                self._m_errors.inc()
                log.warning("worker round failed", worker=self.name, error=repr(exc)[:300])
                pause = self._error_pause
            else:
                self.items += handled
                self._m_items.inc(handled)
                self._m_success.set(time.time())
                if self._busy_at is not None and handled >= self._busy_at:
                    continue
            await self._sleep(pause)
        log.info("worker stopped", worker=self.name)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass


@contextlib.asynccontextmanager
async def repeating(every_seconds: float, action: Callable[[], Awaitable[object]], name: str) -> AsyncIterator[None]:
    """While the block runs, call `action` every `every_seconds` (a heartbeat, a lease renewal):
    a failing call is ignored (the next one may succeed; the block's owner decides what a
    missed one costs), and the repetition ends with the block."""
    async def repeat() -> None:
        while True:
            await asyncio.sleep(every_seconds)
            with contextlib.suppress(Exception):
                await action()

    task = asyncio.create_task(repeat(), name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
