"""The background worker that runs import jobs (validation and commit), one at a time per
process, under a lease: another replica takes over a job whose worker died. A servicekit
`WorkLoop` over a `LeasedQueue` on `import_jobs`; a job is renewed between chunks and given
back (released at once) when the process stops."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from members_service.service_layer.imports import StillMine
from servicekit.job_worker import leased_job_worker
from servicekit.leases import LeasedQueue
from servicekit.worker import WorkLoop

RunJob = Callable[[str, str, StillMine], Awaitable[None]]


def import_worker(queue: LeasedQueue, run_job: RunJob, poll_seconds: float = 2.0) -> WorkLoop:
    async def run(tenant: str, job_id: str, _token: str, still_mine: StillMine) -> None:
        await run_job(tenant, job_id, still_mine)

    return leased_job_worker("members", "import-jobs", queue, run, id_field="import_id", poll_seconds=poll_seconds)
