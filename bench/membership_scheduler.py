"""Benchmark: the membership scheduler turning N memberships (default 100,000) from active to
in grace at the end of their period, with their `membership_entered_grace` events.

Memberships are written with insert_many as the repository stores them (active, paid for a
year, all ending at the same instant), then `advance_due_memberships` runs as the leased
sweep runs it: due ids by `next_deadline`, a batch per transaction (the memberships through
the domain rule, one bulk write, their events in the outbox). A second run shows there is
nothing left to do (no double transition). Baseline, same server, same documents: a raw
`update_many` setting `status` to `in_grace` (no rule, no event, no history).

Usage: python bench/membership_scheduler.py [--memberships N] [--batch B] [--mongo-uri URI]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

from benchservers import servers

from members_service.adapters.mongo_dues_memberships import DUES_MEMBERSHIPS, INDEXES, membership_doc
from members_service.adapters.unit_of_work import MongoMembersUnitOfWork
from members_service.domain.membership import Membership, Payment, PlanKind, PlanRef, PlanTerms
from members_service.service_layer.contract_mapping import to_contract
from members_service.service_layer.membership import advance_due_memberships
from servicekit.mongo import create_client, ensure_indexes
from servicekit.outbox import OUTBOX, outbox_indexes

DB = "bench_membership_scheduler"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
PLAN = PlanRef("standard", 1, PlanTerms("Standard", PlanKind.ANNUAL, 6000, "EUR"))


def paid_membership(i: int) -> Membership:
    m = Membership.join("bench", f"member-{i:07d}", PLAN, T0, membership_id=f"ms-{i:07d}")
    m.apply_payment(Payment(f"pay-{i:07d}", "standard", 6000, "EUR", T0), T0)
    m.mark_persisted()
    return m


async def load(db: object, n: int) -> float:
    started = time.perf_counter()
    for start in range(0, n, 2000):
        await db[DUES_MEMBERSHIPS].insert_many(  # type: ignore[index]
            [membership_doc(paid_membership(i)) for i in range(start, min(n, start + 2000))])
    return time.perf_counter() - started


async def run(uri: str, n: int, batch: int) -> None:
    client = create_client(uri, "bench")
    db = client[DB]
    await client.drop_database(DB)
    await ensure_indexes(db, [*INDEXES, *outbox_indexes(7)])
    loaded = await load(db, n)
    print(f"loaded {n} active memberships in {loaded:.1f}s", flush=True)
    end_of_period = T0.replace(year=2027) + timedelta(days=1)

    started = time.perf_counter()
    # The first batch on its own (reported at once: a long run shows its pace early), then the rest.
    changed = await advance_due_memberships(lambda: MongoMembersUnitOfWork(client, DB, to_contract),
                                            clock=lambda: end_of_period, batch=batch, max_batches=1)
    print(f"first batch: {changed} transitions in {time.perf_counter() - started:.1f}s", flush=True)
    changed += await advance_due_memberships(lambda: MongoMembersUnitOfWork(client, DB, to_contract),
                                             clock=lambda: end_of_period, batch=batch)
    ours = time.perf_counter() - started
    in_grace = await db[DUES_MEMBERSHIPS].count_documents({"status": "in_grace"})
    events = await db[OUTBOX].count_documents({"subject": "evt.bench.members.membership_entered_grace.v1"})
    assert changed == n == in_grace == events, (changed, in_grace, events)

    started = time.perf_counter()
    again = await advance_due_memberships(lambda: MongoMembersUnitOfWork(client, DB, to_contract),
                                          clock=lambda: end_of_period, batch=batch)
    second = time.perf_counter() - started
    assert again == 0

    # Baseline: the same documents back to active, then one raw update_many.
    await db[DUES_MEMBERSHIPS].update_many({}, {"$set": {"status": "active"}})
    started = time.perf_counter()
    await db[DUES_MEMBERSHIPS].update_many({"status": "active"}, {"$set": {"status": "in_grace"}})
    raw = time.perf_counter() - started

    print(f"scheduler: {n} transitions + {events} events in {ours:.1f}s = {n / ours:,.0f}/s (batch {batch})")
    print(f"second run (nothing due): {second * 1000:.0f} ms")
    print(f"raw update_many: {n} documents in {raw:.1f}s = {n / raw:,.0f}/s")
    print(f"ratio ours/raw: {raw / ours:.2f}x")
    await client.drop_database(DB)
    await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memberships", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--mongo-uri")
    args = parser.parse_args()
    with servers(args.mongo_uri, None, with_nats=False) as (uri, _):
        asyncio.run(run(uri, args.memberships, args.batch))


if __name__ == "__main__":
    main()
