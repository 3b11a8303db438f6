"""Yearly summary receipts as a background job: staff start it for one legal entity and year
(`202` + the job's id), a leased worker issues the summaries batch after batch, and the job's
progress (done / total) is readable meanwhile.

Resumable by construction: every batch is one transaction that reserves the batch's numbers on
the entity-year counter, writes the receipts and their `receipt_issued` outbox records,
releases the held gifts, and moves the job's cursor and counters — conditional on the worker
still holding the job's lease (fencing: a worker that lost its lease cannot commit a batch).
A crash rolls the batch back whole; the next holder of the lease starts after the cursor.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from uuid6 import uuid7

from fundraising_service.domain.receipt_jobs import GroupKey, JobState, YearlyReceiptJob
from fundraising_service.service_layer.receipts import (
    YEARLY_BATCH,
    ReceiptUnitOfWork,
    issue_summaries,
)
from servicekit.domain import DomainError, NotFound, utcnow
from servicekit.logging import get_logger
from servicekit.mongo import Document

log = get_logger(__name__)


class YearlyJobNotFound(NotFound):
    code = "yearly-receipt-job-not-found"
    title = "Yearly receipt job not found"


class LegalEntityUnknown(NotFound):
    code = "legal-entity-not-found"
    title = "Legal entity not found"


class EntityMayNotReceipt(DomainError):
    code = "entity-may-not-receipt"
    title = "This legal entity may not issue tax receipts"


class ReceiptJobRepository(Protocol):
    async def add(self, job: YearlyReceiptJob) -> None:
        """Raises `YearlyJobAlreadyRunning` when a job of the same entity and year is running."""
        ...

    async def get(self, tenant: str, job_id: str) -> YearlyReceiptJob | None: ...
    async def list(self, tenant: str, legal_entity_id: str | None, limit: int) -> list[YearlyReceiptJob]: ...

    async def save_progress(self, job: YearlyReceiptJob, token: str | None) -> None:
        """Write the job's cursor, counters and state, only while `token` holds its lease
        (else `ConcurrencyConflict`: the transaction aborts)."""
        ...


class ReceiptJobsUnitOfWork(ReceiptUnitOfWork, Protocol):
    @property
    def receipt_jobs(self) -> ReceiptJobRepository: ...


@dataclass(frozen=True)
class StartYearlyReceipts:
    tenant: str
    legal_entity_id: str
    year: int
    started_by: str


@dataclass(frozen=True)
class GetYearlyReceiptJob:
    tenant: str
    job_id: str


@dataclass(frozen=True)
class ListYearlyReceiptJobs:
    tenant: str
    legal_entity_id: str | None = None
    limit: int = 20


def held_groups(held: list[Document], legal_entity_id: str) -> dict[GroupKey, list[Document]]:
    """The entity's held gifts by (donor, currency): one summary receipt each."""
    groups: dict[GroupKey, list[Document]] = {}
    for d in held:
        if d["legal_entity_id"] == legal_entity_id:
            groups.setdefault((d["member_id"], d["currency"]), []).append(d)
    return groups


async def start_yearly_receipts(cmd: StartYearlyReceipts, uow: ReceiptJobsUnitOfWork,
                                wake_receipt_jobs: Callable[[], None],
                                clock: Callable[[], datetime] = utcnow) -> YearlyReceiptJob:
    async with uow:
        entity = next((e for e in await uow.legal_entities.all(cmd.tenant) if e.id == cmd.legal_entity_id), None)
        if entity is None:  # another tenant's entity is just as unknown
            raise LegalEntityUnknown(cmd.legal_entity_id)
        if not entity.may_issue_receipts:
            raise EntityMayNotReceipt(f"{entity.name} may not issue tax receipts")
        groups = held_groups(await uow.receipt_profiles.held(cmd.tenant, cmd.year), cmd.legal_entity_id)
        now = clock()
        job = YearlyReceiptJob(id=str(uuid7()), tenant=cmd.tenant, legal_entity_id=cmd.legal_entity_id,
                               year=cmd.year, total=len(groups), started_at=now, started_by=cmd.started_by)
        if not groups:
            job.finish(now)  # nothing held: done at once (and another can be started later)
        await uow.receipt_jobs.add(job)
        await uow.commit()
    if job.state is JobState.RUNNING:
        wake_receipt_jobs()
    log.info("yearly receipts job started", job_id=job.id, legal_entity_id=job.legal_entity_id, year=job.year,
             total=job.total)
    return job


async def get_yearly_receipt_job(cmd: GetYearlyReceiptJob, uow: ReceiptJobsUnitOfWork) -> YearlyReceiptJob:
    async with uow:
        job = await uow.receipt_jobs.get(cmd.tenant, cmd.job_id)
    if job is None:
        raise YearlyJobNotFound(cmd.job_id)
    return job


async def list_yearly_receipt_jobs(cmd: ListYearlyReceiptJobs, uow: ReceiptJobsUnitOfWork) -> list[YearlyReceiptJob]:
    async with uow:
        return await uow.receipt_jobs.list(cmd.tenant, cmd.legal_entity_id, cmd.limit)


StillMine = Callable[[], Awaitable[bool]]


async def run_yearly_job(tenant: str, job_id: str, token: str | None,
                         uow_factory: Callable[[], ReceiptJobsUnitOfWork], still_mine: StillMine,
                         clock: Callable[[], datetime] = utcnow, batch: int = YEARLY_BATCH) -> bool:
    """Issue what the job still has to do, batch after batch. True when the job is done; False
    when it was given back at a checkpoint (the process is stopping, the lease was lost): it
    stays running and is resumed from its cursor by whoever claims it next."""
    async with uow_factory() as uow:
        job = await uow.receipt_jobs.get(tenant, job_id)
        if job is None or job.state is JobState.DONE:
            return True
        groups = held_groups(await uow.receipt_profiles.held(tenant, job.year), job.legal_entity_id)
    todo = job.remaining(list(groups))
    entity_id, year = job.legal_entity_id, job.year
    log.info("yearly receipts job running", job_id=job_id, remaining=len(todo), done=job.done, total=job.total)
    chunks = [todo[i:i + batch] for i in range(0, len(todo), batch)] or [[]]
    for k, chunk in enumerate(chunks):
        if not await still_mine():
            log.info("yearly receipts job given back", job_id=job_id)
            return False
        last_chunk = k == len(chunks) - 1

        async def step(uow: Any, issued: int, skipped: int, chunk: list[GroupKey] = chunk,
                       last_chunk: bool = last_chunk) -> None:
            # The job as committed (read in this transaction), moved by this batch.
            current = await uow.receipt_jobs.get(tenant, job_id)
            if current is None or current.state is JobState.DONE:
                raise YearlyJobNotFound(job_id)
            current.worked_by(token)
            if chunk:
                current.advance(chunk[-1], issued, skipped)
            if last_chunk:
                current.finish(clock())
            await uow.receipt_jobs.save_progress(current, token)

        await issue_summaries(uow_factory(), tenant, year,
                              [((m, entity_id, cur), groups[(m, cur)]) for m, cur in chunk], clock, after=step)
    log.info("yearly receipts job done", job_id=job_id)
    return True
