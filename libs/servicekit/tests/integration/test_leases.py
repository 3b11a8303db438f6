"""Leases against the real stand-in: batch claims of a `LeasedQueue`, and the `NamedLease` that
lets one replica at a time run a periodic sweep."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from servicekit.leases import FREE, LEASES, PENDING, LeasedQueue, queue_fields, queue_indexes
from servicekit.mongo import ensure_indexes
from servicekit.periodic import Sweep

pytestmark = [pytest.mark.integration,
              pytest.mark.cross_tenant("LeasedQueue and NamedLease are generic: they are tested on a scratch collection")]
JOBS = "jobs"


async def seed(db: Any, n: int) -> None:
    await ensure_indexes(db, queue_indexes(JOBS))
    now = datetime.now(UTC) - timedelta(seconds=1)
    await db[JOBS].insert_many([{"_id": f"j{i:03d}", "tenant": "demo", **queue_fields(now)} for i in range(n)])


async def test_concurrent_claimers_never_get_the_same_item(db: Any) -> None:
    await seed(db, 60)
    queues = [LeasedQueue(db[JOBS], 30) for _ in range(4)]
    claims = await asyncio.gather(*(q.claim(25) for q in queues))
    ids = [d["_id"] for _, docs in claims for d in docs]
    assert len(ids) == len(set(ids)), "an item went to two claimers"
    tokens = {token for token, _ in claims}
    assert len(tokens) == 4
    for token, docs in claims:
        assert all(d["lease_token"] == token for d in docs)
    # Whatever no claimer won is still there for the next round, and nothing is claimed twice.
    again = await queues[0].claim(100)
    assert not set(d["_id"] for d in again[1]) & set(ids)
    assert len(ids) + len(again[1]) == 60


async def test_an_expired_lease_is_reclaimed_a_live_one_is_not(db: Any) -> None:
    await seed(db, 3)
    short = LeasedQueue(db[JOBS], 0.3)
    token, docs = await short.claim(10)
    assert len(docs) == 3
    other = LeasedQueue(db[JOBS], 30)
    assert (await other.claim(10))[1] == [], "a live lease is respected"
    await asyncio.sleep(0.4)  # the holder died: its lease ran out
    token2, docs2 = await other.claim(10)
    assert sorted(d["_id"] for d in docs2) == ["j000", "j001", "j002"]
    # The old holder can no longer renew, complete or release them.
    assert await short.renew([d["_id"] for d in docs], token) == []
    assert await short.complete([d["_id"] for d in docs], token) == 0
    assert await short.release([d["_id"] for d in docs], token) == 0
    assert await db[JOBS].count_documents({"lease_token": token2}) == 3


async def test_a_renewed_lease_is_not_reclaimed(db: Any) -> None:
    await seed(db, 2)
    holder = LeasedQueue(db[JOBS], 0.4)
    token, docs = await holder.claim(10)
    ids = [d["_id"] for d in docs]
    other = LeasedQueue(db[JOBS], 30)
    for _ in range(4):  # well past the original lease
        await asyncio.sleep(0.2)
        assert await holder.renew(ids, token) == ids
        assert await holder.renew_one(ids[0], token)
        assert (await other.claim(10))[1] == []
    # Released: claimable at once again, still pending; with an error: after the delay.
    assert await holder.release([ids[0]], token) == 1
    assert await holder.release([ids[1]], token, error="boom", delay=30) == 1
    _, again = await other.claim(10)
    assert [d["_id"] for d in again] == [ids[0]]
    assert again[0]["status"] == PENDING
    late = await db[JOBS].find_one({"_id": ids[1]})
    assert late["last_error"] == "boom" and late["lease_until"] == FREE
    assert late["next_attempt_at"] > datetime.now(UTC) + timedelta(seconds=20)


async def test_two_sweepers_with_one_lease_run_once_per_period_and_one_takes_over(db: Any) -> None:
    runs: dict[str, list[datetime]] = {"a": [], "b": []}

    def job(who: str) -> Any:
        async def sweep() -> None:
            runs[who].append(datetime.now(UTC))
        return sweep

    period, lease = 0.3, 0.9
    a = Sweep("test", "expiry", job("a"), period, db=db, lease_seconds=lease)
    b = Sweep("test", "expiry", job("b"), period, db=db, lease_seconds=lease)
    task_a = asyncio.create_task(a.run())
    await asyncio.sleep(0.05)  # a starts first and takes the lease
    task_b = asyncio.create_task(b.run())
    await asyncio.sleep(1.6)
    assert runs["b"] == [], "the replica without the lease never ran the sweep"
    assert 4 <= len(runs["a"]) <= 7
    gaps = [(y - x).total_seconds() for x, y in zip(runs["a"], runs["a"][1:], strict=False)]
    assert min(gaps) >= period * 0.9, "at most one run per period"
    holder = await db[LEASES].find_one({"_id": "test:expiry"})
    assert holder["holder"] == a.lease.holder  # type: ignore[union-attr]

    # a dies without giving the lease back: b takes over once the lease expired.
    async def crashed() -> None:
        pass

    a.lease.release = crashed  # type: ignore[method-assign,union-attr]
    task_a.cancel()
    died = datetime.now(UTC)
    await asyncio.sleep(lease + 0.8)
    assert runs["b"], "another replica took the sweep over"
    took_over = (runs["b"][0] - died).total_seconds()
    assert lease - period <= took_over <= lease + 0.5, "not while a's lease was live, soon after it expired"
    b.stop()
    await asyncio.wait_for(task_b, 2)
    released = await db[LEASES].find_one({"_id": "test:expiry"})
    assert released["lease_until"] == FREE, "a stopping replica gives the lease back"


async def test_a_stopped_holder_hands_over_at_once(db: Any) -> None:
    runs: list[str] = []

    def job(who: str) -> Any:
        async def sweep() -> None:
            runs.append(who)
        return sweep

    a = Sweep("test", "watch", job("a"), 0.2, db=db, lease_seconds=30)
    b = Sweep("test", "watch", job("b"), 0.2, db=db, lease_seconds=30)
    task_a = asyncio.create_task(a.run())
    await asyncio.sleep(0.1)
    task_b = asyncio.create_task(b.run())
    await asyncio.sleep(0.3)
    a.stop()
    await asyncio.wait_for(task_a, 2)
    await asyncio.sleep(0.6)  # far less than the 30 s lease
    b.stop()
    await asyncio.wait_for(task_b, 2)
    assert runs[0] == "a" and "b" in runs
    assert "a" not in runs[runs.index("b"):]
