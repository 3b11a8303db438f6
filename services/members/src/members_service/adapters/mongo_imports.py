"""Import jobs (`import_jobs`) and their rows (`import_rows`; the uploaded files are in
`nats_file_store`). Rows hold personal data copied from the file: they are deleted with the file
when the import completes or is abandoned — except the rejected rows, the job's report, which live as
long as the job: until `report_expires_at` (a bounded retention), when a sweep deletes the job
and its rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from members_service.domain.csv_import import ImportField, identity_key
from members_service.domain.import_plan import Decision, ImportJob, ImportState, Outcome, PlannedRow, RowStatus
from members_service.domain.model import Member
from servicekit.domain import ConcurrencyConflict
from servicekit.leases import queue_fields, queue_indexes
from servicekit.mongo import Document, IndexSpec

IMPORT_JOBS = "import_jobs"
IMPORT_ROWS = "import_rows"
INDEXES = [
    *queue_indexes(IMPORT_JOBS),
    IndexSpec(IMPORT_JOBS, [("tenant", 1), ("created_at", 1)], "imports_by_tenant"),
    IndexSpec(IMPORT_JOBS, [("report_expires_at", 1)], "imports_by_expiry"),
    # Rows are read by (tenant, job, line) — a point read for one row — and by status.
    IndexSpec(IMPORT_ROWS, [("tenant", 1), ("job_id", 1), ("line", 1)], "import_rows_by_tenant_line"),
    IndexSpec(IMPORT_ROWS, [("tenant", 1), ("job_id", 1), ("status", 1), ("line", 1)], "import_rows_by_tenant_status"),
    IndexSpec(IMPORT_ROWS, [("tenant", 1), ("email", 1)], "import_rows_by_email"),  # erasures
    # Jobs are read and updated by (tenant, id).
    IndexSpec(IMPORT_JOBS, [("tenant", 1), ("_id", 1)], "imports_by_tenant_id"),
]
# Replaced by the indexes above that start with the tenant (rows were read by job id alone).
OBSOLETE_INDEXES = [(IMPORT_ROWS, "import_rows_by_line"), (IMPORT_ROWS, "import_rows_by_status")]
WORKING = (ImportState.VALIDATING, ImportState.COMMITTING)
MAX_FAILURES = 200


def _job_doc(job: ImportJob) -> Document:
    return {"_id": job.id, "tenant": job.tenant, "revision": job.revision, "filename": job.filename,
            "object_name": job.object_name, "size": job.size, "encoding": job.encoding, "delimiter": job.delimiter,
            "header": job.header,
            # Pairs, not a document: column names come from the file and may hold `.` or `$`.
            "mapping": [[column, f.value] for column, f in job.mapping.items()], "state": job.state.value,
            "counts": job.counts, "total": job.total, "last_line": job.last_line, "done": job.done,
            "committed_through": job.committed_through, "created_by": job.created_by,
            "created_at": job.created_at, "finished_at": job.finished_at, "failure": job.failure,
            "failures": job.failures, "rejected": job.rejected, "report_expires_at": job.report_expires_at,
            "cause_id": job.cause_id, "correlation_id": job.correlation_id}


def _job(doc: Document) -> ImportJob:
    return ImportJob(id=doc["_id"], tenant=doc["tenant"], revision=doc["revision"], filename=doc["filename"],
                     object_name=doc["object_name"], size=doc["size"], encoding=doc["encoding"],
                     delimiter=doc["delimiter"], header=doc["header"],
                     mapping={column: ImportField(f) for column, f in doc["mapping"]}, state=ImportState(doc["state"]),
                     counts=doc["counts"], total=doc["total"], last_line=doc.get("last_line", 0), done=doc["done"],
                     committed_through=doc.get("committed_through", 0), created_by=doc["created_by"],
                     created_at=doc["created_at"], finished_at=doc.get("finished_at"), failure=doc.get("failure"),
                     failures=doc.get("failures", []), rejected=doc.get("rejected", 0),
                     report_expires_at=doc.get("report_expires_at"), cause_id=doc.get("cause_id"),
                     correlation_id=doc.get("correlation_id"))


def _row_doc(job_id: str, tenant: str, row: PlannedRow, identity: str) -> Document:
    return {"_id": f"{job_id}:{row.line:08d}", "job_id": job_id, "tenant": tenant, "line": row.line,
            "values": row.values, "errors": row.errors, "status": row.status.value,
            "match_member_id": row.match_member_id, "reason": row.reason, "decision": None, "outcome": None,
            "member_id": None, "email": row.values.get(ImportField.EMAIL.value), "identity": identity,
            "warnings": row.warnings, "cells": row.cells}


def _row(doc: Document) -> PlannedRow:
    return PlannedRow(line=doc["line"], values=doc["values"], errors=doc["errors"], status=RowStatus(doc["status"]),
                      match_member_id=doc.get("match_member_id"), reason=doc.get("reason"),
                      decision=Decision(doc["decision"]) if doc.get("decision") else None,
                      outcome=Outcome(doc["outcome"]) if doc.get("outcome") else None, member_id=doc.get("member_id"),
                      warnings=doc.get("warnings", []), cells=doc.get("cells", []))


class MongoImportJobRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None) -> None:
        self._col = db[IMPORT_JOBS]
        self._session = session

    async def add(self, job: ImportJob) -> None:
        job.revision = 1
        await self._col.insert_one({**_job_doc(job), **queue_fields(datetime.now(UTC)), "status": "idle"},
                                   session=self._session)

    async def get(self, tenant: str, job_id: str) -> ImportJob | None:
        doc = await self._col.find_one({"_id": job_id, "tenant": tenant}, session=self._session)
        return _job(doc) if doc else None

    async def save(self, job: ImportJob) -> None:
        """Conditional on the revision read; a job entering a working state is queued for the worker."""
        queue: Document = {"status": "pending", "next_attempt_at": datetime.now(UTC)} if job.state in WORKING \
            else {"status": "idle"}
        result = await self._col.update_one(
            {"_id": job.id, "tenant": job.tenant, "revision": job.revision},
            {"$set": {**_job_doc(job), "revision": job.revision + 1, **queue}}, session=self._session)
        if result.matched_count == 0:
            raise ConcurrencyConflict(f"import {job.id} changed meanwhile: reload and retry")
        job.revision += 1

    async def progress(self, job: ImportJob) -> None:
        """Progress only (no revision change: a manager's concurrent read stays valid)."""
        await self._col.update_one({"_id": job.id, "tenant": job.tenant},
                                   {"$set": {"done": job.done}}, session=self._session)

    async def committed(self, job: ImportJob, through_line: int, rows: int, outcomes: dict[str, int]) -> None:
        """A commit window settled: in the window's own transaction, so it is counted once."""
        increments = {"done": rows, **{f"counts.outcome_{k}": v for k, v in outcomes.items()},
                      "rejected": outcomes.get(Outcome.REJECTED.value, 0) + outcomes.get(Outcome.FAILED.value, 0)}
        await self._col.update_one({"_id": job.id, "tenant": job.tenant},
                                   {"$set": {"committed_through": through_line}, "$inc": increments},
                                   session=self._session)

    async def expired(self, now: datetime, limit: int) -> list[ImportJob]:
        """Jobs whose report outlived its retention (any tenant: the retention sweep)."""
        cursor = self._col.find({"report_expires_at": {"$lt": now}}, session=self._session).limit(limit)
        return [_job(d) async for d in cursor]

    async def list(self, tenant: str, limit: int) -> list[ImportJob]:
        cursor = self._col.find({"tenant": tenant}, session=self._session).sort([("tenant", 1), ("created_at", -1)])
        return [_job(d) async for d in cursor.limit(limit)]

    async def delete(self, job: ImportJob) -> None:
        await self._col.delete_one({"_id": job.id, "tenant": job.tenant}, session=self._session)


class MongoImportRowRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None) -> None:
        self._col = db[IMPORT_ROWS]
        self._session = session

    async def add_many(self, job: ImportJob, rows: Iterable[tuple[PlannedRow, str]]) -> None:
        docs = [_row_doc(job.id, job.tenant, r, identity) for r, identity in rows]
        if docs:
            await self._col.insert_many(docs, ordered=False, session=self._session)

    async def seen(self, tenant: str, job_id: str) -> tuple[int, dict[str, int], dict[str, int]]:
        """Where validation got to: last line, emails and identities already seen (by line)."""
        last, emails, identities = 0, dict[str, int](), dict[str, int]()
        cursor = self._col.find({"tenant": tenant, "job_id": job_id}, {"line": 1, "email": 1, "identity": 1, "status": 1},
                                session=self._session)
        async for d in cursor:
            last = max(last, d["line"])
            if d["status"] != RowStatus.ERROR.value:  # a row that will not be imported takes nothing
                if d.get("email"):
                    emails.setdefault(d["email"], d["line"])
                identities.setdefault(d["identity"], d["line"])
        return last, emails, identities

    async def counts(self, tenant: str, job_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        async for d in self._col.find({"tenant": tenant, "job_id": job_id}, {"status": 1, "decision": 1, "warnings": 1},
                                      session=self._session):
            counts[d["status"]] = counts.get(d["status"], 0) + 1
            if d.get("warnings"):
                counts["warned"] = counts.get("warned", 0) + 1
            if d.get("decision"):
                counts[f"decided_{d['decision']}"] = counts.get(f"decided_{d['decision']}", 0) + 1
        return counts

    async def page(self, tenant: str, job_id: str, status: RowStatus | None, after_line: int,
                   limit: int) -> list[PlannedRow]:
        query: Document = {"tenant": tenant, "job_id": job_id, "line": {"$gt": after_line}}
        if status is not None:
            query["status"] = status.value
        cursor = self._col.find(query, session=self._session).sort("line", 1).limit(limit)
        return [_row(d) async for d in cursor]

    async def get(self, tenant: str, job_id: str, line: int) -> PlannedRow | None:
        doc = await self._col.find_one({"tenant": tenant, "job_id": job_id, "line": line}, session=self._session)
        return _row(doc) if doc else None

    async def decide(self, tenant: str, job_id: str, line: int, decision: Decision) -> None:
        await self._col.update_one({"tenant": tenant, "job_id": job_id, "line": line},
                                   {"$set": {"decision": decision.value}}, session=self._session)

    async def undecided_reviews(self, tenant: str, job_id: str) -> int:
        # The (tenant, job, status, line) index finds the reviews; the decision is checked on them.
        return sum([1 async for d in self._col.find(
            {"tenant": tenant, "job_id": job_id, "status": RowStatus.REVIEW.value}, {"decision": 1},
            session=self._session) if d.get("decision") is None])

    async def window(self, tenant: str, job_id: str, after_line: int, until_line: int) -> list[PlannedRow]:
        """Rows with `after_line < line <= until_line`, in file order: a bounded index range
        (the stand-in reads a whole range whatever the limit, and scans when a filter names a
        field outside the index — so the outcome is filtered by the caller)."""
        cursor = self._col.find({"tenant": tenant, "job_id": job_id, "line": {"$gt": after_line, "$lte": until_line}},
                                session=self._session).sort("line", 1)
        return [_row(d) async for d in cursor]

    async def record_failures(self, tenant: str, job_id: str, rows: list[PlannedRow]) -> None:
        """Rows rejected or failed at commit: the first ones on the job (line and message), every
        one kept as a row with status `error` (the rejected-rows file) until the job expires."""
        if not rows:
            return
        failed = [r for r in rows if r.outcome is Outcome.FAILED]
        for row in failed:
            await self._col.update_one({"tenant": tenant, "job_id": job_id, "line": row.line},
                                       {"$set": {"status": RowStatus.ERROR.value, "errors": row.errors}},
                                       session=self._session)
        failures = [f"line {r.line}: {'; '.join(r.errors)}" for r in rows]
        await self._col.database[IMPORT_JOBS].update_one(
            {"_id": job_id, "tenant": tenant}, {"$push": {"failures": {"$each": failures, "$slice": MAX_FAILURES}}},
            session=self._session)

    async def delete_job_rows(self, tenant: str, job_id: str, keep_rejected: bool = False) -> None:
        """All rows, or (at the end of a commit) all but the rejected ones: the job's report."""
        query: Document = {"tenant": tenant, "job_id": job_id}
        if keep_rejected:
            query["status"] = {"$ne": RowStatus.ERROR.value}
        await self._col.delete_many(query, session=self._session)

    async def erase_member(self, member: Member) -> None:
        """Erasure: an import in progress holds a copy of the member's row — found by address, or
        for rows without one (rare: no index) by name and cohort."""
        await self._col.delete_many(
            {"tenant": member.tenant, "email": {"$in": [e.address for e in member.emails]}}, session=self._session)
        if not member.emails:
            keys = [identity_key(member.first_name, member.last_name, e.program, e.graduation_year)
                    for e in member.education]
            keys += [f"{k}|{member.birth_date.isoformat()}" for k in keys if member.birth_date]
            await self._col.delete_many(
                {"tenant": member.tenant, "email": None, "identity": {"$in": keys}}, session=self._session)
