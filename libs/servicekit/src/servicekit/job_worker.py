"""A background worker for leased jobs (CSV imports, yearly receipts): a `WorkLoop` over a
`LeasedQueue`, one job at a time per process. The job runs with its lease token and a
`still_mine()` check it calls between its chunks (False once the process is stopping or the lease
was lost: the job gives itself back at that checkpoint). A job that raises is released with a
retry delay; one that returns — finished, or given back unfinished — is released at once, so a
job still in a working state is claimed again here or by another replica, and resumes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from servicekit.leases import LeasedQueue
from servicekit.logging import bound, get_logger
from servicekit.worker import WorkLoop

log = get_logger(__name__)
StillMine = Callable[[], Awaitable[bool]]
RunLeasedJob = Callable[[str, str, str, StillMine], Awaitable[object]]  # tenant, job id, token, still_mine
RETRY_SECONDS = 5.0


def leased_job_worker(service: str, name: str, queue: LeasedQueue, run_job: RunLeasedJob, *, id_field: str,
                      poll_seconds: float = 2.0, retry_seconds: float = RETRY_SECONDS) -> WorkLoop:
    """`id_field`: how the job's id is named in its log lines (`import_id`, `receipt_job_id`)."""
    loop: WorkLoop

    async def run_one() -> int:
        token, jobs = await queue.claim(1)
        if not jobs:
            return 0
        tenant, job_id = jobs[0]["tenant"], jobs[0]["_id"]

        async def still_mine() -> bool:
            return not loop.stopping and await queue.renew_one(job_id, token)

        try:
            with bound(tenant=tenant, **{id_field: job_id}):
                await run_job(tenant, job_id, token, still_mine)
        except Exception as exc:
            log.warning("job failed, will resume", worker=name, error=repr(exc)[:300], **{id_field: job_id})
            await queue.release([job_id], token, error=repr(exc), delay=retry_seconds)
            raise
        await queue.release([job_id], token)
        return 1

    # One job handled: look for the next at once.
    loop = WorkLoop(service, name, run_one, poll_seconds=poll_seconds, busy_at=1)
    return loop
