"""Seat allocation forms on the MongoDB stand-in (DESIGN §9: measure before building a hot path).

Each form takes `n` seats of one event document for one registration, `concurrency` clients at a
time, until `attempts` tries were made against `capacity` seats; it reports tries/s, how many
seats were taken (must be exactly `capacity`: 0 oversold) and the write conflicts retried.

    .venv/bin/python bench/seat_forms.py [--attempts 2000] [--capacity 500] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from benchservers import servers
from pymongo import ReturnDocument

from servicekit.mongo import create_client, transaction_options
from servicekit.retry import is_transient_transaction_error

Form = Callable[[Any, Any, int], Awaitable[bool]]


async def plain_left(client: Any, db: Any, i: int) -> bool:
    """update_one({seats_left >= 1}, $inc -1): the bare conditional update."""
    r = await db.seats.update_one({"_id": "e", "tenant": "t", "seats_left": {"$gte": 1}}, {"$inc": {"seats_left": -1}})
    return r.modified_count == 1


async def expr_taken(client: Any, db: Any, i: int) -> bool:
    """update_one({$expr: taken + 1 <= capacity}, $inc taken)."""
    r = await db.seats.update_one({"_id": "e", "tenant": "t", "$expr": {"$lte": [{"$add": ["$taken", 1]}, "$capacity"]}},
                                  {"$inc": {"taken": 1}})
    return r.modified_count == 1


async def find_and_modify(client: Any, db: Any, i: int) -> bool:
    r = await db.seats.find_one_and_update({"_id": "e", "tenant": "t", "seats_left": {"$gte": 1}},
                                           {"$inc": {"seats_left": -1}}, return_document=ReturnDocument.AFTER)
    return r is not None


async def in_transaction(client: Any, db: Any, i: int) -> bool:
    """The conditional update + the registration insert in one transaction (what the service needs:
    a crash never leaves a seat without its registration); retried on write conflicts."""
    for _ in range(500):
        async with client.start_session() as s:
            try:
                await s.start_transaction(**transaction_options())
                r = await db.seats.update_one({"_id": "e", "tenant": "t", "seats_left": {"$gte": 1}},
                                              {"$inc": {"seats_left": -1}}, session=s)
                ok = r.modified_count == 1
                await db.regs.insert_one({"_id": f"r{i}", "tenant": "t", "ok": ok}, session=s)
                await s.commit_transaction()
                return ok
            except Exception as exc:
                if s.in_transaction:
                    await s.abort_transaction()
                if not is_transient_transaction_error(exc):
                    raise
                CONFLICTS[0] += 1
                await asyncio.sleep(0.002)
    raise RuntimeError("too many conflicts")


CONFLICTS = [0]
LOCK: list[asyncio.Lock] = []


async def serialized_transaction(client: Any, db: Any, i: int) -> bool:
    """The same transaction, one at a time per event in the process (what the service does:
    a per-event gate held from the seat update to the commit)."""
    if not LOCK:
        LOCK.append(asyncio.Lock())
    async with LOCK[0]:
        return await in_transaction(client, db, i)


async def run(form: Form, uri: str, attempts: int, capacity: int, concurrency: int) -> dict[str, Any]:
    client = create_client(uri, "bench-seats")
    db = client["bench_seats"]
    await db.seats.drop()
    await db.regs.drop()
    await db.seats.insert_one({"_id": "e", "tenant": "t", "seats_left": capacity, "capacity": capacity, "taken": 0})
    CONFLICTS[0] = 0
    queue = iter(range(attempts))
    won = 0

    async def worker() -> None:
        nonlocal won
        for i in queue:
            ok = await form(client, db, i)
            won += ok

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    doc = await db.seats.find_one({"_id": "e", "tenant": "t"})
    await client.close()
    assert doc is not None
    taken = max(capacity - doc["seats_left"], doc["taken"])
    return {"form": form.__name__, "per_s": round(attempts / elapsed), "won": won, "taken": taken,
            "oversold": max(0, taken - capacity), "conflicts": CONFLICTS[0]}


FORMS: list[Form] = [plain_left, expr_taken, serialized_transaction, in_transaction, find_and_modify]


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--attempts", type=int, default=2000)
    p.add_argument("--capacity", type=int, default=500)
    p.add_argument("--concurrency", type=int, default=20)
    p.add_argument("--mongo-uri")
    args = p.parse_args()
    with servers(args.mongo_uri, None, with_nats=False) as (uri, _):
        for form in FORMS:
            attempts = args.attempts if form is not find_and_modify else min(args.attempts, 600)
            print(await run(form, uri, attempts, args.capacity, args.concurrency), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
