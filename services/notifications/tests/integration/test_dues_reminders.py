"""Dues reminders on the real database: two sweeping replicas queue each reminder once, a crash
between queueing and sending does not duplicate it, a payment withdraws an unsent one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from notifications_service.adapters.mongo_repository import (
    DUES_MEMBERSHIPS,
    INDEXES,
    NOTIFICATIONS,
    MongoDeliveryQueue,
    reminder_candidates,
)
from notifications_service.adapters.templates import JinjaRenderer
from notifications_service.adapters.unit_of_work import MongoNotificationsUnitOfWork
from notifications_service.bootstrap import composer_for
from notifications_service.config import NotificationsSettings
from notifications_service.domain.model import OutgoingEmail
from notifications_service.domain.reminders import MembershipView, ReminderPolicy, Transition
from notifications_service.service_layer import handlers
from notifications_service.service_layer.commands import RecordMembership
from notifications_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import ensure_indexes
from servicekit.periodic import Sweep

pytestmark = pytest.mark.integration

UNTIL = datetime(2027, 3, 1, tzinfo=UTC)
GRACE_END = UNTIL + timedelta(days=30)
POLICY = ReminderPolicy(30, 0.5)
MEMBERS = 12
RENDERER = composer_for(JinjaRenderer(), NotificationsSettings(message_id_domain="alumni.test"))


class Outbox:
    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []

    async def send(self, email: OutgoingEmail, tenant: str = "") -> None:
        self.sent.append(email)


class Crash(Exception):
    pass


class CrashingMailer:
    async def send(self, email: OutgoingEmail, tenant: str = "") -> None:
        raise Crash


def transition(member: int, version: int, status: str, paid_until: datetime, **extra: Any) -> Transition:
    return Transition(event_id=f"ev-{member}-{version}", version=version, tenant=f"t{member % 2}",
                      membership_id=f"ms-{member}", member_id=f"m-{member}", plan_kind="annual", status=status,
                      paid_until=paid_until, **extra)


@pytest.fixture
async def setup(mongo_client: Any, db_name: str) -> Any:
    await ensure_indexes(mongo_client[db_name], INDEXES)

    def uow() -> MongoNotificationsUnitOfWork:
        return MongoNotificationsUnitOfWork(mongo_client, db_name, to_contract, None, 60.0)

    db = mongo_client[db_name]
    for m in range(MEMBERS):
        await db["contacts"].insert_one({"_id": f"m-{m}", "tenant": f"t{m % 2}", "email": f"m{m}@example.org",
                                         "first_name": f"M{m}", "locale": "fr" if m % 3 else "en",
                                         "contactable": m != 5})  # m-5 bounces
        await handlers.record_membership(RecordMembership(transition(m, 1, "active", UNTIL)), uow(), RENDERER)
        await handlers.record_membership(RecordMembership(
            transition(m, 2, "in_grace", UNTIL, grace_until=GRACE_END)), uow(), RENDERER)
    yield uow, db
    await mongo_client.drop_database(db_name)


def sweep(uow: Any, db: Any, at: datetime) -> Any:
    async def candidates(now: datetime, notice_days: int) -> list[MembershipView]:
        return await reminder_candidates(db, now, notice_days)
    return handlers.queue_due_reminders(candidates, uow, RENDERER, POLICY, clock=lambda: at)


async def test_two_replicas_sweeping_at_once_queue_each_reminder_once(setup: Any) -> None:
    uow, db = setup
    at = UNTIL + timedelta(hours=1)
    counts = await asyncio.gather(sweep(uow, db, at), sweep(uow, db, at), sweep(uow, db, at))
    assert sum(counts) == MEMBERS - 1  # m-5 is not contactable
    docs = [d async for d in db[NOTIFICATIONS].find({})]
    assert len(docs) == MEMBERS - 1 and {d["template"] for d in docs} == {"dues_expired"}
    assert len({d["_id"] for d in docs}) == len(docs)
    assert await sweep(uow, db, at + timedelta(days=1)) == 0
    # Halfway through grace: one grace reminder each, once.
    later = UNTIL + timedelta(days=16)
    assert sum(await asyncio.gather(sweep(uow, db, later), sweep(uow, db, later))) == MEMBERS - 1
    assert await db[NOTIFICATIONS].count_documents({"template": "dues_grace"}) == MEMBERS - 1
    # Nothing left to examine: the sweep's filter excludes what was reminded.
    assert await reminder_candidates(db, later, 30) == []


async def test_a_crash_between_queueing_and_sending_sends_once(setup: Any) -> None:
    uow, db = setup
    at = UNTIL + timedelta(hours=1)
    assert await sweep(uow, db, at) == MEMBERS - 1
    queue = MongoDeliveryQueue(db, 0.5)
    # A mailer claims a batch and dies while sending (its lease is left to expire).
    _token, due = await queue.claim(100)
    assert len(due) == MEMBERS - 1 and due[0].email is not None
    with pytest.raises(Crash):
        await CrashingMailer().send(due[0].email)
    assert await sweep(uow, db, at + timedelta(minutes=5)) == 0  # the restarted sweep queues nothing again
    await asyncio.sleep(0.6)
    outbox = Outbox()
    while await handlers.deliver_due(MongoDeliveryQueue(db, 60.0), outbox, uow, batch_size=50, max_attempts=3):
        pass
    assert len(outbox.sent) == MEMBERS - 1
    assert len({e.message_id for e in outbox.sent}) == MEMBERS - 1
    assert await handlers.deliver_due(MongoDeliveryQueue(db, 60.0), outbox, uow, batch_size=50, max_attempts=3) == 0


async def test_a_payment_withdraws_the_unsent_reminder_and_stops_the_next(setup: Any) -> None:
    uow, db = setup
    assert await sweep(uow, db, UNTIL + timedelta(hours=1)) == MEMBERS - 1
    next_year = UNTIL.replace(year=2028)
    await handlers.record_membership(RecordMembership(transition(0, 3, "active", next_year)), uow(), RENDERER)
    withdrawn = await db[NOTIFICATIONS].find_one({"member_id": "m-0"})
    assert withdrawn is not None and withdrawn["notification_status"] == "withdrawn"
    # A late redelivery of the grace event changes nothing.
    await handlers.record_membership(RecordMembership(
        transition(0, 2, "in_grace", UNTIL, grace_until=GRACE_END)), uow(), RENDERER)
    row = await db[DUES_MEMBERSHIPS].find_one({"_id": "ms-0"})
    assert row is not None and row["status"] == "active" and row["version"] == 3
    assert await sweep(uow, db, UNTIL + timedelta(days=16)) == MEMBERS - 2  # m-0 paid, m-5 bounces
    assert await db[NOTIFICATIONS].count_documents({"member_id": "m-0"}) == 1
    outbox = Outbox()
    while await handlers.deliver_due(MongoDeliveryQueue(db, 60.0), outbox, uow, batch_size=50, max_attempts=3):
        pass
    assert all(e.to != "m0@example.org" for e in outbox.sent)


async def test_the_leased_sweep_runs_on_one_replica_at_a_time(setup: Any) -> None:
    uow, db = setup
    runs: list[str] = []

    def job(name: str) -> Any:
        async def run() -> None:
            runs.append(name)
            await sweep(uow, db, UNTIL + timedelta(hours=1))
        return run

    sweeps = [Sweep("notifications", "dues-reminders", job(n), 3600.0, db=db, lease_seconds=5.0) for n in "ab"]
    tasks = [asyncio.create_task(s.run()) for s in sweeps]
    await asyncio.sleep(1.5)
    for s in sweeps:
        s.stop()
    await asyncio.gather(*tasks)
    assert len(runs) == 1
    assert await db[NOTIFICATIONS].count_documents({}) == MEMBERS - 1
