"""Benchmark: a segment invitation of N members (default 5,000) on the MongoDB stand-in, through
the events service's code — the command computes the invitees once on the audience projection,
stores them as batches and sends the first one in its transaction; the `invitations` sweep sends
the rest, one transaction per batch (invited rows + `member_invited` outbox records + the batch
marked sent). Checks: N invited rows, N `member_invited` outbox records, no member twice.

Baselines, same server, same run:
- raw: `insert_many` of the same rows and outbox-sized documents, 200 + 200 per transaction, no
  domain code (the floor for this write pattern);
- one transaction: all N rows and N outbox documents in ONE transaction (what the first version
  of `issue_invitations` did) — how long it holds its locks and whether it commits at all.

Usage: python bench/invitations.py [--members N] [--mongo-uri URI]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from benchservers import servers

from alumni_contracts.segments import Segment
from events_service.adapters.mongo_repository import INDEXES, REGISTRATIONS
from events_service.adapters.unit_of_work import MongoEventsUnitOfWork
from events_service.service_layer import handlers, invitations
from events_service.service_layer.commands import IssueInvitations, ScheduleEvent
from events_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import create_client, ensure_indexes, transaction_options
from servicekit.outbox import OUTBOX, outbox_indexes
from servicekit.segments import AUDIENCE, AUDIENCE_INDEXES

DB = "bench_invitations"
TENANT = "bench"


def audience(start: int, stop: int) -> list[dict[str, Any]]:
    return [{"_id": f"m{i:07d}", "tenant": TENANT, "known": True, "profile_v": 1, "first_name": "Zoé",
             "last_name": "Martin", "email": f"m{i:07d}@example.org", "locale": "fr", "email_bounced": False,
             "deceased": False, "contactable": True, "groups": [], "ambassador": False, "membership_state": None,
             "consents": {}, "cohorts": [{"program": "MSc Finance", "program_key": "msc finance",
                                          "graduation_year": 2016}]} for i in range(start, stop)]


def raw_docs(i: int, event_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    now = datetime.now(UTC)
    row = {"_id": f"raw-{i}", "tenant": TENANT, "event_id": event_id, "member_id": f"raw-m{i:07d}", "version": 1,
           "status": "invited", "guests": 0, "ticket_code": f"CODE{i:016d}", "created_at": now, "invited_at": now,
           "hold_until": datetime(9999, 12, 31)}
    outbox = {"_id": f"raw-evt-{i}", "tenant": TENANT, "status": "pending", "due": now, "lease_until": now,
              "subject": "evt.bench.events.member_invited.v1", "payload": "x" * 700, "created_at": now}
    return row, outbox


async def raw_batches(client: Any, db: Any, n: int, event_id: str, size: int = 200) -> float:
    started = time.perf_counter()
    for start in range(0, n, size):
        docs = [raw_docs(i, event_id) for i in range(start, min(n, start + size))]
        async with client.start_session() as s:
            await s.start_transaction(**transaction_options())
            await db[REGISTRATIONS].insert_many([r for r, _ in docs], session=s)
            await db["raw_outbox"].insert_many([o for _, o in docs], session=s)
            await s.commit_transaction()
    return time.perf_counter() - started


async def one_transaction(client: Any, db: Any, n: int, event_id: str) -> tuple[float, str]:
    docs = [raw_docs(n + i, event_id) for i in range(n)]
    started = time.perf_counter()
    try:
        async with client.start_session() as s:
            await s.start_transaction(**transaction_options())
            await db[REGISTRATIONS].insert_many([r for r, _ in docs], session=s)
            await db["raw_outbox"].insert_many([o for _, o in docs], session=s)
            await s.commit_transaction()
        return time.perf_counter() - started, "committed"
    except Exception as exc:  # noqa: BLE001 - the outcome is what is measured
        return time.perf_counter() - started, f"failed: {type(exc).__name__}: {str(exc)[:80]}"


async def run(uri: str, n: int) -> None:
    client = create_client(uri, "bench")
    db = client[DB]
    await client.drop_database(DB)
    await ensure_indexes(db, [*INDEXES, *AUDIENCE_INDEXES, *outbox_indexes(7)])
    for start in range(0, n, 5000):
        await db[AUDIENCE].insert_many(audience(start, min(n, start + 5000)))

    def uow() -> MongoEventsUnitOfWork:
        return MongoEventsUnitOfWork(client, DB, to_contract, None)

    starts = datetime.now(UTC) + timedelta(days=60)
    event_id = await handlers.schedule_event(ScheduleEvent(
        tenant=TENANT, title="Retrouvailles 2016", starts_at=starts, ends_at=starts + timedelta(hours=4),
        timezone="Europe/Paris", venue="Campus", capacity=500), uow())

    started = time.perf_counter()
    await invitations.issue_invitations(IssueInvitations(TENANT, event_id, Segment(cohort_years=[2016])), uow())
    command = time.perf_counter() - started
    sweeps = 0
    while await invitations.send_pending_invitations(invitations.SendPendingInvitations(), uow):
        sweeps += 1
    ours = time.perf_counter() - started
    rows = await db[REGISTRATIONS].count_documents({"tenant": TENANT, "event_id": event_id, "status": "invited"})
    members = await db[REGISTRATIONS].distinct("member_id", {"tenant": TENANT, "event_id": event_id})
    events = await db[OUTBOX].count_documents({"type": {"$regex": "member_invited"}})
    if not events:  # the outbox's field names are servicekit's: count by the subject instead
        events = sum(1 async for d in db[OUTBOX].find({}, {"subject": 1}) if "member_invited" in str(d.get("subject")))
    assert rows == n and len(members) == n, (rows, len(members))

    raw = await raw_batches(client, db, n, "raw-event")
    giant, outcome = await one_transaction(client, db, n, "giant-event")
    print(f"members invited: {n:,} (rows {rows:,}, distinct members {len(members):,}, member_invited outbox "
          f"records {events:,})")
    print(f"ours: command {command:.2f} s (first batch), all batches {ours:.1f} s = {n / ours:.0f} invitees/s "
          f"({sweeps} sweep runs)")
    print(f"raw insert_many, 200 + 200 per transaction: {raw:.1f} s = {n / raw:.0f}/s → ratio {raw / ours:.2f}x")
    print(f"one transaction of {n:,} rows + {n:,} outbox documents: {giant:.1f} s, {outcome}")
    await client.drop_database(DB)
    await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--mongo-uri")
    args = parser.parse_args()
    with servers(args.mongo_uri, None, with_nats=False) as (uri, _):
        asyncio.run(run(uri, args.members))


if __name__ == "__main__":
    main()
