"""The background worker that runs import jobs (validation and commit), one at a time per
process, under a lease: another replica takes over a job whose worker died. A servicekit
`WorkLoop` over a `LeasedQueue` on `import_jobs`; a job is renewed between chunks and given
back (released at once) when the process stops."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from members_service.service_layer.imports import StillMine
from servicekit.leases import LeasedQueue
from servicekit.logging import bound, get_logger
from servicekit.worker import WorkLoop

log = get_logger(__name__)
RunJob = Callable[[str, str, StillMine], Awaitable[None]]
RETRY_SECONDS = 5.0


def import_worker(queue: LeasedQueue, run_job: RunJob, poll_seconds: float = 2.0) -> WorkLoop:
    loop: WorkLoop

    async def run_one() -> int:
        token, jobs = await queue.claim(1)
        if not jobs:
            return 0
        tenant, job_id = jobs[0]["tenant"], jobs[0]["_id"]

        async def still_mine() -> bool:
            return not loop.stopping and await queue.renew_one(job_id, token)

        try:
            with bound(tenant=tenant, import_id=job_id):
                await run_job(tenant, job_id, still_mine)
        except Exception as exc:
            log.warning("import job failed, will retry", import_id=job_id, error=repr(exc)[:300])
            await queue.release([job_id], token, error=repr(exc), delay=RETRY_SECONDS)
            raise
        # Finished, or given back at a checkpoint (stopping, lease lost): a job still in a working
        # state stays pending and is claimed again, here or by another replica.
        await queue.release([job_id], token)
        return 1

    # One job handled: look for the next at once.
    loop = WorkLoop("members", "import-jobs", run_one, poll_seconds=poll_seconds, busy_at=1)
    return loop
