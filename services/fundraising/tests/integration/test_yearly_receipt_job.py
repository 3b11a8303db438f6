"""The yearly-summary job against a real MongoDB-wire server, with its worker in a separate
process SIGKILLed in the middle of the run: a worker of the test process takes the job over once
the lease expires and finishes it — every donor receipted once, numbers 1..N of the entity's
year with no gap and no duplicate, every `receipt_issued` in the outbox once, nothing left held,
the job's `done` equal to what was issued."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fundraising_service.adapters.mongo_receipt_jobs import RECEIPT_JOB_INDEXES, RECEIPT_JOBS
from fundraising_service.adapters.mongo_receipts import PENDING, RECEIPT_INDEXES, RECEIPTS
from fundraising_service.adapters.mongo_repository import INDEXES, MEMBERS
from fundraising_service.adapters.unit_of_work import MongoFundraisingUnitOfWork
from fundraising_service.domain.receipt_jobs import YearlyJobAlreadyRunning
from fundraising_service.domain.receipts import LegalEntity, is_gapless
from fundraising_service.entrypoints.receipt_job_worker import receipt_job_worker
from fundraising_service.service_layer import receipt_jobs, receipts
from fundraising_service.service_layer.contract_mapping import to_contract
from servicekit.devservers import start_secantus
from servicekit.leases import LeasedQueue
from servicekit.mongo import create_client, ensure_indexes
from servicekit.outbox import OUTBOX, outbox_indexes

pytestmark = pytest.mark.integration
T, YEAR, DB = "demo", 2026, "yearly_job_crash"
DONORS, BATCH, LEASE = 400, 40, 3.0
ENTITY = LegalEntity(id="fondation", tenant=T, name="Fondation", address="1 rue de l'École, Paris", object="Bourses",
                     status="FRUP", may_issue_receipts=True, signatory_name="C. Martin", signatory_title="Présidente",
                     default_for_gifts=True)

WORKER = """
import asyncio, sys
from fundraising_service.adapters.mongo_receipt_jobs import RECEIPT_JOBS
from fundraising_service.adapters.unit_of_work import MongoFundraisingUnitOfWork
from fundraising_service.entrypoints.receipt_job_worker import receipt_job_worker
from fundraising_service.service_layer import receipt_jobs
from fundraising_service.service_layer.contract_mapping import to_contract
from servicekit.leases import LeasedQueue
from servicekit.mongo import create_client

async def main(uri, db, batch, lease):
    client = create_client(uri, "fundraising-worker")
    uow = lambda: MongoFundraisingUnitOfWork(client, db, to_contract)
    async def run(tenant, job_id, token, still_mine):
        return await receipt_jobs.run_yearly_job(tenant, job_id, token, uow, still_mine, batch=batch)
    await receipt_job_worker(LeasedQueue(client[db][RECEIPT_JOBS], lease), run, poll_seconds=0.2).run()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
"""


@pytest.fixture
def short_lived_mongo(tmp_path: Path) -> Iterator[str]:
    """A stand-in of our own whose transactions are reaped after 5 s (MongoDB's
    `transactionLifetimeLimitSeconds`, 60 s by default): the killed worker's open batch would
    otherwise block the entity-year counter for a minute."""
    os.environ["SECANTUS_TRANSACTION_LIFETIME_SECONDS"] = "5"
    try:
        server = start_secantus(tmp_path / "mongo", log_dir=tmp_path)
    finally:
        del os.environ["SECANTUS_TRANSACTION_LIFETIME_SECONDS"]
    yield server.url
    server.stop()


def start_worker(mongo_uri: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-c", WORKER, mongo_uri, DB, str(BATCH), str(LEASE)],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


async def seed(db: Any) -> None:
    await db[MEMBERS].insert_many([{"_id": f"m{i:05d}", "tenant": T, "version": 1, "first_name": "Donatrice",
                                    "last_name": f"N°{i}"} for i in range(DONORS)])
    await db[PENDING].insert_many([
        {"_id": f"{T}:donation:g{i:05d}-{k}", "tenant": T, "member_id": f"m{i:05d}", "legal_entity_id": "fondation",
         "year": YEAR, "currency": "EUR", "source_id": f"g{i:05d}-{k}", "received_on": date(YEAR, 3 * k, 5).isoformat(),
         "amount_minor": 5000 + k, "method": "sepa_debit"} for i in range(DONORS) for k in (1, 2)])


async def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_worker_killed_mid_job_is_taken_over_without_gap_or_duplicate(short_lived_mongo: str,
                                                                             tmp_path: Path) -> None:
    client = create_client(short_lived_mongo, "fundraising-test")
    db = client[DB]
    await ensure_indexes(db, [*INDEXES, *RECEIPT_INDEXES, *RECEIPT_JOB_INDEXES, *outbox_indexes(7)])

    def uow() -> MongoFundraisingUnitOfWork:
        return MongoFundraisingUnitOfWork(client, DB, to_contract)

    await receipts.upsert_legal_entity(receipts.UpsertLegalEntity(ENTITY), uow())
    await seed(db)
    job = await receipt_jobs.start_yearly_receipts(
        receipt_jobs.StartYearlyReceipts(T, "fondation", YEAR, "staff-1"), uow(), lambda: None)
    assert job.total == DONORS and job.done == 0
    with pytest.raises(YearlyJobAlreadyRunning):  # one job per (entity, year): the unique index
        await receipt_jobs.start_yearly_receipts(
            receipt_jobs.StartYearlyReceipts(T, "fondation", YEAR, "staff-2"), uow(), lambda: None)

    proc = start_worker(short_lived_mongo, tmp_path / "worker.log")
    takeover: asyncio.Task[None] | None = None
    try:
        async def progress() -> int:
            doc = await db[RECEIPT_JOBS].find_one({"_id": job.id, "tenant": T})
            return int(doc["done"]) if doc else 0

        async def started() -> bool:
            return await progress() >= 2 * BATCH

        await wait_for(started, 120, "the first batches")
        os.killpg(proc.pid, signal.SIGKILL)  # most likely in the middle of a batch's transaction
        proc.wait()
        killed_at = await progress()
        assert killed_at < DONORS, "the job finished before the kill: raise DONORS"

        async def run(tenant: str, job_id: str, token: str, still_mine: Any) -> bool:
            return await receipt_jobs.run_yearly_job(tenant, job_id, token, uow, still_mine, batch=BATCH)

        worker = receipt_job_worker(LeasedQueue(db[RECEIPT_JOBS], LEASE), run, poll_seconds=0.2)
        takeover = asyncio.create_task(worker.run())

        async def finished() -> bool:
            doc = await db[RECEIPT_JOBS].find_one({"_id": job.id, "tenant": T})
            return bool(doc and doc["state"] == "done")

        await wait_for(finished, 180, "the job to be finished by the second worker")
        worker.stop()
        await takeover
        done = await receipt_jobs.get_yearly_receipt_job(receipt_jobs.GetYearlyReceiptJob(T, job.id), uow())
        assert (done.done, done.skipped, done.total) == (DONORS, 0, DONORS) and done.resumed >= 1
        issued = [d async for d in db[RECEIPTS].find({"tenant": T}, {"sequence": 1, "member_id": 1, "lines": 1})]
        assert len(issued) == DONORS and is_gapless([d["sequence"] for d in issued])
        assert len({d["member_id"] for d in issued}) == DONORS and all(len(d["lines"]) == 2 for d in issued)
        assert await db[PENDING].count_documents({"tenant": T}) == 0
        events = [d async for d in db[OUTBOX].find({"tenant": T}, {"_id": 1, "type": 1})]
        assert len(events) == DONORS  # one receipt_issued per receipt: the killed batch's rolled back whole
        # The entity-year is free again: a new job finds nothing held and is done at once.
        again = await receipt_jobs.start_yearly_receipts(
            receipt_jobs.StartYearlyReceipts(T, "fondation", YEAR, "staff-1"), uow(), lambda: None)
        assert (again.total, str(again.state)) == (0, "done")
        print(f"\n{DONORS} donors: worker killed after {killed_at} summaries, taken over, finished "
              f"(resumed {done.resumed}×)")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if takeover is not None and not takeover.done():
            takeover.cancel()
        await client.drop_database(DB)
        await client.close()
