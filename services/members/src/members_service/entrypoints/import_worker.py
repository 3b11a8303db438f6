"""The background worker that runs import jobs (validation and commit), one at a time per
process, under a lease: another replica takes over a job whose worker died."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from members_service.adapters.import_store import ImportJobQueue
from members_service.service_layer.imports import StillMine
from servicekit.logging import bound, get_logger

log = get_logger(__name__)
RunJob = Callable[[str, str, StillMine], Awaitable[None]]


class ImportWorker:
    def __init__(self, queue: ImportJobQueue, run_job: RunJob, poll_seconds: float = 2.0) -> None:
        self._queue, self._run_job, self._poll = queue, run_job, poll_seconds
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()

    def wake(self) -> None:
        """A job was just queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            claimed = None
            try:
                claimed = await self._queue.claim()
                if claimed is not None:
                    await self._work(*claimed)
                    continue
            except Exception as exc:  # noqa: BLE001 - the job is retried after a pause
                log.warning("import job failed, will retry", error=repr(exc)[:300])
                if claimed is not None:
                    await self._queue.release(claimed[1], claimed[2], error=repr(exc), delay=5.0)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self._poll)
            except TimeoutError:
                pass

    async def _work(self, tenant: str, job_id: str, token: str) -> None:
        async def still_mine() -> bool:
            return not self._stop.is_set() and await self._queue.renew(job_id, token)

        with bound(tenant=tenant, import_id=job_id):
            await self._run_job(tenant, job_id, still_mine)
        await self._queue.release(job_id, token)
