"""Periodic sweeps: a job run every N seconds on a `WorkLoop`, by one replica at a time.

A leased sweep holds a `NamedLease` (`<service>:<sweep>` in `leases`) while it lives: each
tick it renews the lease (or takes it once the holder stopped renewing it), and runs the job
when the last run recorded on the lease is a period old — so with several replicas each sweep
runs once per period, on one of them, and another replica takes over within a lease when the
holder dies. A long job keeps its lease renewed while it runs. An unleased sweep (state that
lives in the process, such as caches) runs on every replica.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from uuid6 import uuid7

from servicekit.leases import NamedLease
from servicekit.logging import get_logger
from servicekit.mongo import Document
from servicekit.worker import WorkLoop, repeating

log = get_logger(__name__)
Job = Callable[[], Awaitable[Any]]
DEFAULT_LEASE_SECONDS = 60.0


def holder_id() -> str:
    """Who holds a lease: readable in the database, unique per sweep instance."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid7()}"


class Sweep:
    def __init__(self, service: str, name: str, job: Job, every_seconds: float, *,
                 db: AsyncDatabase[Document] | None = None, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        """`db`: hold a lease in it (one replica at a time); None: run on every replica."""
        self.name, self._job, self._period = name, job, every_seconds
        self.runs = 0
        self.lease = NamedLease(db, f"{service}:{name}", holder_id(), lease_seconds) if db is not None else None
        self._renew_every = lease_seconds / 3
        tick = every_seconds if self.lease is None else min(every_seconds, self._renew_every)
        self.loop = WorkLoop(service, name, self._step if self.lease else self._run_job, poll_seconds=tick)

    def wake(self) -> None:
        self.loop.wake()

    def stop(self) -> None:
        self.loop.stop()

    async def run(self) -> None:
        try:
            await self.loop.run()
        finally:
            if self.lease is not None:
                with contextlib.suppress(Exception):  # expiry frees it anyway
                    await self.lease.release()

    async def _run_job(self) -> int:
        self.runs += 1
        await self._job()
        return 1

    async def _step(self) -> int:
        assert self.lease is not None
        state = await self.lease.acquire()
        if not state.held:
            return 0
        started = datetime.now(UTC)
        if state.last_run_at is not None and started - state.last_run_at < timedelta(seconds=self._period):
            return 0
        try:
            async with self._renewing():
                return await self._run_job()
        finally:
            # Recorded whatever the outcome: a failing job waits a period, as a working one does.
            await self.lease.ran(started)

    def _renewing(self) -> contextlib.AbstractAsyncContextManager[None]:
        assert self.lease is not None
        return repeating(self._renew_every, self.lease.acquire, f"renew-{self.name}")
