"""Benchmark: the dues reminder sweep queueing the `expired` reminder for N memberships that
entered grace at the same instant (default 2,000), each in its own transaction (re-read the
membership's version and the contact, insert the notification keyed by (member, period, stage),
record the stage). A second run shows there is nothing left to examine (the filter excludes
reminded stages). Baseline, same server: `insert_many` of the same notification documents.

Usage: python bench/dues_reminders.py [--memberships N] [--mongo-uri URI]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

from benchservers import servers

from notifications_service.adapters.mongo_repository import (
    CONTACTS,
    DUES_MEMBERSHIPS,
    INDEXES,
    NOTIFICATIONS,
    reminder_candidates,
    view_to_document,
)
from notifications_service.adapters.templates import JinjaRenderer
from notifications_service.adapters.unit_of_work import MongoNotificationsUnitOfWork
from notifications_service.domain.reminders import MembershipView, ReminderPolicy
from notifications_service.service_layer import handlers
from notifications_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import create_client, ensure_indexes

DB = "bench_dues_reminders"
UNTIL = datetime(2027, 3, 1, tzinfo=UTC)


async def run(uri: str, n: int) -> None:
    client = create_client(uri, "bench")
    db = client[DB]
    await client.drop_database(DB)
    await ensure_indexes(db, INDEXES)
    for start in range(0, n, 2000):
        ids = range(start, min(n, start + 2000))
        await db[CONTACTS].insert_many([{"_id": f"m-{i}", "tenant": "bench", "email": f"m{i}@example.org",
                                         "first_name": "Zoé", "locale": "fr", "contactable": True} for i in ids])
        await db[DUES_MEMBERSHIPS].insert_many([view_to_document(MembershipView(
            tenant="bench", membership_id=f"ms-{i}", member_id=f"m-{i}", plan_kind="annual", status="in_grace",
            paid_until=UNTIL, grace_until=UNTIL + timedelta(days=30), version=2, last_event_id=f"ev-{i}"))
            for i in ids])

    def uow() -> MongoNotificationsUnitOfWork:
        return MongoNotificationsUnitOfWork(client, DB, to_contract, None, 60.0)

    async def candidates(now: datetime, notice_days: int) -> list[MembershipView]:
        return await reminder_candidates(db, now, notice_days)

    renderer, policy, at = JinjaRenderer(), ReminderPolicy(), UNTIL + timedelta(hours=1)
    started = time.perf_counter()
    queued = await handlers.queue_due_reminders(candidates, uow, renderer, policy, "bench", clock=lambda: at)
    ours = time.perf_counter() - started
    assert queued == n == await db[NOTIFICATIONS].count_documents({}), queued
    started = time.perf_counter()
    again = await handlers.queue_due_reminders(candidates, uow, renderer, policy, "bench", clock=lambda: at)
    second = time.perf_counter() - started
    assert again == 0

    docs = [d async for d in db[NOTIFICATIONS].find({})]
    await db[NOTIFICATIONS].delete_many({})
    started = time.perf_counter()
    for start in range(0, n, 2000):
        await db[NOTIFICATIONS].insert_many(docs[start:start + 2000])
    raw = time.perf_counter() - started

    print(f"sweep: {n} reminders queued in {ours:.1f}s = {n / ours:,.0f}/s")
    print(f"second run (nothing due): {second * 1000:.0f} ms")
    print(f"raw insert_many of the same notifications: {raw:.2f}s = {n / raw:,.0f}/s; ratio {raw / ours:.2f}x")
    await client.drop_database(DB)
    await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memberships", type=int, default=2_000)
    parser.add_argument("--mongo-uri")
    args = parser.parse_args()
    with servers(args.mongo_uri, None, with_nats=False) as (uri, _):
        asyncio.run(run(uri, args.memberships))


if __name__ == "__main__":
    main()
