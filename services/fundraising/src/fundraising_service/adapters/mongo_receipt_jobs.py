"""Yearly-summary jobs in `receipt_jobs`: the job's own fields plus the servicekit leased-queue
fields (`status`, `lease_token`, `lease_until`, …) its worker claims it with.

One running job per (tenant, entity, year): `active_key` is `<entity>:<year>` while the job
runs (unique index) and gets `#<job id>` appended when it is done, so the next year's — or a
later run of the same year for gifts held since — can start.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from fundraising_service.domain.receipt_jobs import JobState, YearlyJobAlreadyRunning, YearlyReceiptJob
from servicekit.domain import ConcurrencyConflict
from servicekit.leases import DONE, FREE, queue_fields, queue_indexes
from servicekit.mongo import Document, IndexSpec

RECEIPT_JOBS = "receipt_jobs"
RECEIPT_JOB_INDEXES = [
    IndexSpec(RECEIPT_JOBS, [("tenant", 1), ("active_key", 1)], "receipt_jobs_one_running", unique=True),
    IndexSpec(RECEIPT_JOBS, [("tenant", 1), ("started_at", -1)], "receipt_jobs_by_tenant"),
    *queue_indexes(RECEIPT_JOBS),  # the worker's claim (across tenants, like the outbox relay's)
]


def _aware(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def job_document(job: YearlyReceiptJob) -> Document:
    return {"_id": job.id, "tenant": job.tenant, "legal_entity_id": job.legal_entity_id, "year": job.year,
            "state": str(job.state), "active_key": job.active_key, "total": job.total, "done": job.done,
            "skipped": job.skipped, "cursor": list(job.cursor) if job.cursor else None,
            "started_at": job.started_at, "started_by": job.started_by, "finished_at": job.finished_at,
            "resumed": job.resumed, "last_token": job.last_token}


def job_from(d: Document) -> YearlyReceiptJob:
    started_at = _aware(d["started_at"])
    assert started_at is not None
    return YearlyReceiptJob(
        id=d["_id"], tenant=d["tenant"], legal_entity_id=d["legal_entity_id"], year=d["year"], total=d["total"],
        started_at=started_at, started_by=d.get("started_by", ""), state=JobState(d["state"]), done=d["done"],
        skipped=d["skipped"], cursor=(d["cursor"][0], d["cursor"][1]) if d.get("cursor") else None,
        finished_at=_aware(d.get("finished_at")), resumed=d.get("resumed", 0), last_token=d.get("last_token"))


class MongoReceiptJobs:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[RECEIPT_JOBS]
        self._session = session

    async def add(self, job: YearlyReceiptJob) -> None:
        doc = {**job_document(job), **queue_fields(job.started_at)}
        if job.state is JobState.DONE:
            doc["status"] = DONE
        # Looked up first: the unique index stays the guard against a race, but a duplicate-key
        # insert inside a transaction once left the stand-in retrying a later update of the
        # collection for minutes (observed in the crash test); a found running job never gets there.
        running = await self._col.find_one({"tenant": job.tenant, "active_key": job.active_key}, {"_id": 1},
                                           session=self._session)
        if running is not None:
            raise YearlyJobAlreadyRunning(f"job {running['_id']} for {job.legal_entity_id} {job.year} is running")
        try:
            await self._col.insert_one(doc, session=self._session)
        except DuplicateKeyError as exc:
            raise YearlyJobAlreadyRunning(f"a job for {job.legal_entity_id} {job.year} is running") from exc

    async def get(self, tenant: str, job_id: str) -> YearlyReceiptJob | None:
        d = await self._col.find_one({"_id": job_id, "tenant": tenant}, session=self._session)
        return job_from(d) if d else None

    async def list(self, tenant: str, legal_entity_id: str | None, limit: int) -> list[YearlyReceiptJob]:
        cursor = self._col.find({"tenant": tenant}, session=self._session).sort("started_at", -1).limit(
            limit if legal_entity_id is None else 500)
        jobs = [job_from(d) async for d in cursor]
        return [j for j in jobs if legal_entity_id in (None, j.legal_entity_id)][:limit]

    async def save_progress(self, job: YearlyReceiptJob, token: str | None) -> None:
        fence: Document = {"_id": job.id, "tenant": job.tenant}
        if token is not None:
            fence["lease_token"] = token
        update: Document = {k: v for k, v in job_document(job).items() if k not in ("_id", "tenant")}
        if job.state is JobState.DONE:
            update |= {"status": DONE, "lease_token": None, "lease_until": FREE}
        result = await self._col.update_one(fence, {"$set": update}, session=self._session)
        if result.matched_count != 1:
            raise ConcurrencyConflict(f"yearly receipt job {job.id}: lease lost")
