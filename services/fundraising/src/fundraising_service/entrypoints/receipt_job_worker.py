"""The background worker of yearly-summary jobs: one job at a time per process, under a lease
(`LeasedQueue` on `receipt_jobs`). The lease is renewed between batches only — never by a
heartbeat during a batch: the batch's transaction writes the job's document (cursor, counters,
fenced by the lease token), and a renewal of the same document meanwhile is a write conflict that
aborts the batch (measured: 16 aborted batches in a 1,500-donor run). So the lease must outlast
one batch (`receipt_job_lease_seconds`). A job whose worker died is claimed again once its lease expires (by this
replica after a restart, or by another), and resumes from its cursor. A stopping process gives
its job back at the next batch boundary (claimable at once)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from servicekit.job_worker import StillMine, leased_job_worker
from servicekit.leases import LeasedQueue
from servicekit.worker import WorkLoop

RunJob = Callable[[str, str, str, StillMine], Awaitable[bool]]


def receipt_job_worker(queue: LeasedQueue, run_job: RunJob, poll_seconds: float = 2.0) -> WorkLoop:
    return leased_job_worker("fundraising", "yearly-receipt-jobs", queue, run_job, id_field="receipt_job_id",
                             poll_seconds=poll_seconds)
