"""Outbox → JetStream with real servers: atomic write, dedup, retry, no double send."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from nats.js import JetStreamContext
from pymongo import AsyncMongoClient

from alumni_contracts import naming
from alumni_contracts.common import Cohort, Locale
from alumni_contracts.envelope import EventData
from alumni_contracts.members.v1 import MemberRegistered
from servicekit.domain import AggregateRoot, DomainEvent, utcnow
from servicekit.leases import FREE
from servicekit.mongo import ensure_indexes
from servicekit.outbox import OUTBOX, OutboxRelay, OutboxWakeup, outbox_indexes
from servicekit.settings import RelayConfig
from servicekit.testing.recorder import EventRecorder
from servicekit.topology import TopologySettings, apply
from servicekit.uow import MongoUnitOfWork

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Registered(DomainEvent):
    member_id: str


def to_contract(event: DomainEvent) -> EventData:
    assert isinstance(event, Registered)
    return MemberRegistered(member_id=event.member_id, first_name="A", last_name="B",
                            email=f"{event.member_id}@example.org", locale=Locale.EN,
                            cohort=Cohort(program="P", graduation_year=2000), registered_at=utcnow())


async def write(client: AsyncMongoClient[Any], db_name: str, member_id: str, wakeup: OutboxWakeup | None = None,
                fail_before_commit: bool = False) -> None:
    async with MongoUnitOfWork(client, db_name, to_contract, wakeup) as uow:
        agg = AggregateRoot(id=member_id, tenant="demo")
        agg.record(Registered(member_id))
        await uow.db["things"].insert_one({"_id": member_id, "tenant": "demo"}, session=uow.session)
        uow.track(agg)
        if fail_before_commit:
            raise RuntimeError("crash before commit")
        await uow.commit()


async def stream_count(js: JetStreamContext) -> int:
    return (await js.stream_info(naming.stream_name("members"))).state.messages


async def test_commit_writes_state_and_outbox_together_and_relay_publishes(
        mongo_client: AsyncMongoClient[Any], db: Any, db_name: str, js: JetStreamContext,
        topology: TopologySettings, event_recorder: EventRecorder) -> None:
    await ensure_indexes(db, outbox_indexes(7))
    with pytest.raises(RuntimeError):
        await write(mongo_client, db_name, "lost", fail_before_commit=True)
    assert await db["things"].count_documents({}) == 0
    assert await db[OUTBOX].count_documents({}) == 0

    await write(mongo_client, db_name, "m1")
    record = await db[OUTBOX].find_one({})
    assert record["status"] == "pending" and record["subject"] == "evt.demo.members.member_registered.v1"

    relay = OutboxRelay(db, js, RelayConfig(), OutboxWakeup(), "members")
    assert await relay.publish_pending() == 1
    [event] = await event_recorder.wait_for(MemberRegistered)
    assert event.id == record["_id"] and event.data.member_id == "m1" and event.aggregateversion == 1
    [raw] = event_recorder.raw
    assert raw.headers is not None and raw.headers[naming.HEADER_MSG_ID] == event.id
    assert (await db[OUTBOX].find_one({"_id": event.id}))["status"] == "done"
    assert await relay.publish_pending() == 0


async def test_republishing_the_same_record_is_deduplicated_by_jetstream(
        mongo_client: AsyncMongoClient[Any], db: Any, db_name: str, js: JetStreamContext,
        topology: TopologySettings) -> None:
    await ensure_indexes(db, outbox_indexes(7))
    await write(mongo_client, db_name, "m1")
    relay = OutboxRelay(db, js, RelayConfig(), OutboxWakeup(), "members")
    await relay.publish_pending()
    # A relay that crashed after the PubAck but before marking the record sent publishes again.
    await db[OUTBOX].update_many({}, {"$set": {"status": "pending", "lease_until": FREE}})
    assert await relay.publish_pending() == 1
    assert await stream_count(js) == 1


async def test_failed_publish_is_retried_with_backoff(
        mongo_client: AsyncMongoClient[Any], db: Any, db_name: str, js: JetStreamContext) -> None:
    from servicekit.topology import reset

    await reset(js)  # no stream: JetStream refuses the publish
    await ensure_indexes(db, outbox_indexes(7))
    await write(mongo_client, db_name, "m1")
    relay = OutboxRelay(db, js, RelayConfig(relay_backoff_base_seconds=0.2), OutboxWakeup(), "members")
    assert await relay.publish_pending() == 0
    record = await db[OUTBOX].find_one({})
    assert record["status"] == "pending" and record["attempts"] == 1 and record["last_error"]
    assert await relay.publish_pending() == 0, "not due before its backoff"
    await apply(js, TopologySettings())
    await asyncio.sleep(0.3)
    assert await relay.publish_pending() == 1
    assert await stream_count(js) == 1


async def test_concurrent_relays_never_send_a_record_twice(
        mongo_client: AsyncMongoClient[Any], db: Any, db_name: str, js: JetStreamContext,
        topology: TopologySettings, event_recorder: EventRecorder) -> None:
    await ensure_indexes(db, outbox_indexes(7))
    for i in range(60):
        await write(mongo_client, db_name, f"m{i}")
    config = RelayConfig(relay_batch_size=10)
    relays = [OutboxRelay(db, js, config, OutboxWakeup(), "members") for _ in range(3)]

    async def drain(relay: OutboxRelay) -> None:
        while await relay.publish_pending():
            pass

    await asyncio.gather(*(drain(r) for r in relays))
    assert sum(r.published for r in relays) == 60
    await event_recorder.wait_for(MemberRegistered, 60)
    await asyncio.sleep(0.2)
    assert len(event_recorder.raw) == 60, "each record reached the bus once"


async def test_running_relay_wakes_on_commit(
        mongo_client: AsyncMongoClient[Any], db: Any, db_name: str, js: JetStreamContext,
        topology: TopologySettings, event_recorder: EventRecorder) -> None:
    await ensure_indexes(db, outbox_indexes(7))
    wakeup = OutboxWakeup()
    relay = OutboxRelay(db, js, RelayConfig(relay_poll_seconds=30), wakeup, "members")
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.2)
        await write(mongo_client, db_name, "m1", wakeup)
        await event_recorder.wait_for(MemberRegistered, timeout=3)  # far sooner than the 30 s poll
    finally:
        relay.stop()
        await task
