"""The import worker's wiring: a WorkLoop over a LeasedQueue on `import_jobs` (real stand-in)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from members_service.adapters.mongo_imports import IMPORT_JOBS
from members_service.adapters.mongo_imports import INDEXES as IMPORT_INDEXES
from members_service.entrypoints.import_worker import import_worker
from members_service.service_layer.imports import StillMine
from servicekit.leases import FREE, LeasedQueue, queue_fields
from servicekit.mongo import ensure_indexes

pytestmark = pytest.mark.integration


async def queued(db: Any, *job_ids: str, status: str = "pending") -> None:
    await ensure_indexes(db, IMPORT_INDEXES)
    now = datetime.now(UTC) - timedelta(seconds=1)
    await db[IMPORT_JOBS].insert_many([{"_id": j, "tenant": "demo", **queue_fields(now), "status": status}
                                       for j in job_ids])


async def until(predicate: Any, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if await predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


async def test_runs_each_pending_job_under_a_lease_and_releases_it(db: Any) -> None:
    await queued(db, "i1", "i2")
    await queued(db, "idle", status="idle")  # not in a working state: never claimed
    ran: list[tuple[str, str, bool]] = []

    async def run_job(tenant: str, job_id: str, still_mine: StillMine) -> None:
        doc = await db[IMPORT_JOBS].find_one({"_id": job_id})
        assert doc["lease_until"] > datetime.now(UTC), "the job is leased while it runs"
        ran.append((tenant, job_id, await still_mine()))
        # The job reached its end: its state leaves the working states.
        await db[IMPORT_JOBS].update_one({"_id": job_id}, {"$set": {"status": "idle"}})

    worker = import_worker(LeasedQueue(db[IMPORT_JOBS], 30), run_job, poll_seconds=30)
    task = asyncio.create_task(worker.run())

    async def both_ran() -> bool:
        return len(ran) == 2

    await until(both_ran)
    worker.stop()
    await asyncio.wait_for(task, 2)
    assert sorted(ran) == [("demo", "i1", True), ("demo", "i2", True)]
    async for doc in db[IMPORT_JOBS].find({}):
        assert doc["lease_token"] is None and doc["lease_until"] == FREE


async def test_a_failed_job_is_released_with_its_error_and_retried_later(db: Any) -> None:
    await queued(db, "bad")

    async def run_job(tenant: str, job_id: str, still_mine: StillMine) -> None:
        raise RuntimeError("file store unavailable")

    worker = import_worker(LeasedQueue(db[IMPORT_JOBS], 30), run_job, poll_seconds=30)
    task = asyncio.create_task(worker.run())

    async def failed() -> bool:
        return worker.errors == 1

    await until(failed)
    worker.stop()
    await asyncio.wait_for(task, 2)
    doc = await db[IMPORT_JOBS].find_one({"_id": "bad"})
    assert "file store unavailable" in doc["last_error"]
    assert doc["status"] == "pending" and doc["lease_until"] == FREE
    assert doc["next_attempt_at"] > datetime.now(UTC), "retried after a pause, not at once"


async def test_stopping_gives_the_job_back_at_its_next_checkpoint(db: Any) -> None:
    await queued(db, "long")
    started = asyncio.Event()
    checkpoints: list[bool] = []

    async def run_job(tenant: str, job_id: str, still_mine: StillMine) -> None:
        started.set()
        while True:  # chunk after chunk, asking between them
            await asyncio.sleep(0.02)
            mine = await still_mine()
            checkpoints.append(mine)
            if not mine:
                return

    worker = import_worker(LeasedQueue(db[IMPORT_JOBS], 30), run_job, poll_seconds=30)
    task = asyncio.create_task(worker.run())
    await started.wait()
    await asyncio.sleep(0.1)
    worker.stop()
    await asyncio.wait_for(task, 2)
    assert checkpoints[-1] is False
    # Still pending and unleased: another replica (or this one restarted) claims it at once.
    _, jobs = await LeasedQueue(db[IMPORT_JOBS], 30).claim(1)
    assert [j["_id"] for j in jobs] == ["long"]
