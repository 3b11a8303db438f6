"""Subscriber conventions against a real nats-server and database: ack after commit,
retries with backoff, inbox dedup, dead letters with reasons."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from pymongo import AsyncMongoClient

from alumni_contracts import naming
from alumni_contracts.envelope import CloudEvent
from alumni_contracts.members.v2 import MemberRegistered
from alumni_contracts.subscriptions import subscription
from servicekit.domain import ConcurrencyConflict, DomainError
from servicekit.inbox import INBOX, inbox_indexes
from servicekit.messaging import DeliveryHandler, attach_event_handler, create_broker, read_retry_policy
from servicekit.mongo import ensure_indexes
from servicekit.retry import TRANSIENT_ATTEMPTS
from servicekit.settings import ConsumerConfig
from servicekit.testing.factories import member_registered_event
from servicekit.topology import TopologySettings
from servicekit.uow import MongoUnitOfWork

pytestmark = pytest.mark.integration
SUB = subscription("notifications", MemberRegistered)


def no_contract(_: Any) -> Any:
    raise AssertionError("this handler records no events")


@pytest_asyncio.fixture(params=["per-message"])
async def consume(nats_url: str, js: JetStreamContext, db: Any, topology: TopologySettings,
                  request: pytest.FixtureRequest,
                  ) -> AsyncIterator[Callable[[Callable[[CloudEvent[Any]], Awaitable[None]]], Awaitable[None]]]:
    """Per-message mode (the default) unless a test asks for `batch` (indirect parametrization):
    FastStream's batch pull, one call per fetched batch."""
    await ensure_indexes(db, inbox_indexes())
    brokers = []

    async def start(handler: Callable[[CloudEvent[Any]], Awaitable[None]]) -> None:
        broker = create_broker(nats_url, "test")
        policy = await read_retry_policy(js, SUB)
        attach_event_handler(broker, DeliveryHandler(SUB, handler, db, js, policy),
                             ConsumerConfig(consumer_fetch_timeout=0.2, consumer_batch=request.param == "batch"))
        await broker.start()
        brokers.append(broker)

    yield start
    for broker in brokers:
        await broker.stop()


async def publish(js: JetStreamContext, event: CloudEvent[Any], msg_id: str | None = None) -> None:
    await js.publish(event.nats_subject(), event.to_json(), headers={naming.HEADER_MSG_ID: msg_id or event.id})


async def dead_letters(js: JetStreamContext, count: int, timeout: float = 5) -> list[Any]:
    """Our dead letters (payload + reason) in the DLQ stream."""
    sub = await js.subscribe(f"{naming.DEAD_LETTER_PREFIX}.>", ordered_consumer=True)
    out = []
    try:
        while len(out) < count:
            out.append(await sub.next_msg(timeout=timeout))
    finally:
        await sub.unsubscribe()
    return out


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def handler_writing(mongo_client: AsyncMongoClient[Any], db_name: str, calls: list[int],
                    fail_times: int = 0) -> Callable[[CloudEvent[Any]], Awaitable[None]]:
    async def handler(event: CloudEvent[Any]) -> None:
        calls.append(1)
        async with MongoUnitOfWork(mongo_client, db_name, no_contract) as uow:
            await uow.db["effects"].insert_one({"event_id": event.id}, session=uow.session)
            if len(calls) <= fail_times:
                raise ConnectionError("transient: database blip")
            await uow.commit()

    return handler


@pytest.mark.parametrize("consume", ["per-message", "batch"], indirect=True)
async def test_handler_failing_once_is_redelivered_and_succeeds_once(
        consume: Any, js: JetStreamContext, mongo_client: AsyncMongoClient[Any], db: Any, db_name: str) -> None:
    calls: list[int] = []
    await consume(handler_writing(mongo_client, db_name, calls, fail_times=1))
    event = member_registered_event()
    await publish(js, event)

    async def settled() -> bool:
        return await db["effects"].count_documents({}) == 1

    await eventually(settled)
    await asyncio.sleep(0.5)
    assert len(calls) == 2
    assert await db["effects"].count_documents({}) == 1, "the failed attempt's write was rolled back"
    assert await db[INBOX].count_documents({"consumer": "notifications", "event_id": event.id}) == 1
    info = await js.consumer_info(SUB.stream, SUB.durable)
    assert info.num_ack_pending == 0 and info.num_redelivered == 0


async def dlq_size(js: JetStreamContext) -> int:
    return (await js.stream_info(naming.DLQ_STREAM)).state.messages


@pytest.mark.parametrize("conflicts", [1, TRANSIENT_ATTEMPTS], ids=["re-run-in-process", "redelivered-with-backoff"])
async def test_a_concurrency_conflict_is_retried_never_dead_lettered(
        consume: Any, js: JetStreamContext, mongo_client: AsyncMongoClient[Any], db: Any, db_name: str,
        conflicts: int) -> None:
    """Optimistic locking lost a race: not a business rejection. One conflict is re-run in
    process; conflicts through every in-process attempt leave the message unacked for a
    redelivery with the consumer's backoff. Either way it succeeds, once, and no DLQ."""
    calls: list[int] = []

    async def handler(event: CloudEvent[Any]) -> None:
        calls.append(1)
        async with MongoUnitOfWork(mongo_client, db_name, no_contract) as uow:
            await uow.db["effects"].insert_one({"event_id": event.id}, session=uow.session)
            if len(calls) <= conflicts:
                raise ConcurrencyConflict("member m1 changed since version 3")
            await uow.commit()

    dlq_before = await dlq_size(js)
    await consume(handler)
    event = member_registered_event()
    await publish(js, event)

    async def settled() -> bool:
        info = await js.consumer_info(SUB.stream, SUB.durable)
        return await db["effects"].count_documents({}) == 1 and info.num_ack_pending == 0

    await eventually(settled)
    await asyncio.sleep(0.5)
    # One delivery runs at most TRANSIENT_ATTEMPTS times: a sixth call is a redelivery.
    assert len(calls) == conflicts + 1
    assert await db["effects"].count_documents({}) == 1, "the conflicting attempts' writes were rolled back"
    assert await dlq_size(js) == dlq_before, "a conflict is never dead-lettered"


@pytest.mark.parametrize("consume", ["per-message", "batch"], indirect=True)
async def test_duplicate_event_is_a_no_op(
        consume: Any, js: JetStreamContext, mongo_client: AsyncMongoClient[Any], db: Any, db_name: str) -> None:
    calls: list[int] = []
    await consume(handler_writing(mongo_client, db_name, calls))
    event = member_registered_event()
    await publish(js, event)
    # The same event published again past JetStream's dedup (e.g. a DLQ replay): the inbox catches it.
    await publish(js, event, msg_id="replay-1")

    async def both_acked() -> bool:
        info = await js.consumer_info(SUB.stream, SUB.durable)
        return info.delivered.stream_seq == 2 and info.num_ack_pending == 0

    await eventually(both_acked)
    # Both copies may be handled concurrently; the inbox row decides which one commits.
    assert await db["effects"].count_documents({}) == 1
    assert await db[INBOX].count_documents({"event_id": event.id}) == 1


async def test_business_rejection_goes_to_the_dlq_with_its_reason(consume: Any, js: JetStreamContext) -> None:
    class MemberBanned(DomainError):
        pass

    calls: list[int] = []

    async def handler(event: CloudEvent[Any]) -> None:
        calls.append(1)
        raise MemberBanned("member m1 is banned")

    await consume(handler)
    event = member_registered_event()
    await publish(js, event)
    [dead] = await dead_letters(js, 1)
    assert dead.subject == f"dlq.{SUB.stream}.{SUB.durable}"
    assert "MemberBanned: member m1 is banned" in dead.headers[naming.HEADER_DEAD_REASON]
    assert json.loads(dead.data)["id"] == event.id
    await asyncio.sleep(0.5)
    assert len(calls) == 1, "a permanent error is not retried"


async def test_malformed_payload_is_terminated_on_first_delivery(consume: Any, js: JetStreamContext) -> None:
    calls: list[int] = []

    async def handler(event: CloudEvent[Any]) -> None:
        calls.append(1)

    await consume(handler)
    await js.publish("evt.demo.members.member_registered.v2", b'{"type": "org.alumni.members.member_registered.v2"}',
                     headers={naming.HEADER_MSG_ID: "bad-1"})
    [dead] = await dead_letters(js, 1)
    assert dead.headers[naming.HEADER_DEAD_REASON].startswith("permanent: invalid")
    assert dead.headers[naming.HEADER_DEAD_DELIVERIES] == "1"
    # The terminate advisory lands in the DLQ stream as well, with the reason.
    advisories = await js.subscribe("$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.>", ordered_consumer=True,
                                    stream=naming.DLQ_STREAM)
    advisory = json.loads((await advisories.next_msg(timeout=5)).data)
    await advisories.unsubscribe()
    assert advisory["consumer"] == SUB.durable and "permanent" in advisory.get("reason", "")
    assert calls == []


async def test_transient_failures_stop_at_max_deliver_then_dead_letter(
        consume: Any, js: JetStreamContext, topology: TopologySettings) -> None:
    calls: list[float] = []

    async def handler(event: CloudEvent[Any]) -> None:
        calls.append(asyncio.get_running_loop().time())
        raise TimeoutError("smtp server unreachable")

    await consume(handler)
    await publish(js, member_registered_event())
    [dead] = await dead_letters(js, 1, timeout=10)
    assert dead.headers[naming.HEADER_DEAD_REASON].startswith(f"gave up after {topology.max_deliver} deliveries")
    assert len(calls) == topology.max_deliver
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    # NAK with the consumer's backoff, not an immediate redelivery (DESIGN §9).
    for gap, expected in zip(gaps, topology.backoff_seconds, strict=False):
        assert gap >= expected * 0.8


async def test_a_slow_handler_keeps_its_delivery_with_in_progress_acks(
        consume: Any, js: JetStreamContext, topology: TopologySettings) -> None:
    """A handler running far past the first ack wait (0.2 s here) on a loaded database is
    not redelivered meanwhile: no second worker runs it, no delivery of the budget burns."""
    calls: list[int] = []

    async def handler(event: CloudEvent[Any]) -> None:
        calls.append(1)
        await asyncio.sleep(topology.backoff_seconds[0] * 8)

    await consume(handler)
    await publish(js, member_registered_event())

    async def acked() -> bool:
        info = await js.consumer_info(SUB.stream, SUB.durable)
        return info.delivered.stream_seq == 1 and info.num_ack_pending == 0

    await eventually(acked)
    assert calls == [1]
    # One delivery in all: the ack wait never ran out (a redelivery, even one the inbox turns
    # into a no-op, would be a second consumer sequence).
    assert (await js.consumer_info(SUB.stream, SUB.durable)).delivered.consumer_seq == 1


async def test_the_last_delivery_waits_out_a_dead_consumers_transaction(
        consume: Any, js: JetStreamContext, mongo_client: AsyncMongoClient[Any], db: Any, db_name: str,
        topology: TopologySettings) -> None:
    """A consumer killed mid-transaction leaves its writes uncommitted until MongoDB reaps the
    transaction; every redelivery conflicts until then. Once the deliveries are spent, the
    last one keeps retrying until the keys are free: the message is handled, not dead-lettered."""
    await db["effects"].create_index("event_id", unique=True)
    event = member_registered_event()
    # The dead consumer's transaction: it inserted this event's effect and never committed.
    dead = mongo_client.start_session()
    await dead.start_transaction()
    await db["effects"].insert_one({"event_id": event.id, "by": "dead"}, session=dead)
    calls: list[int] = []

    async def handler(event: CloudEvent[Any]) -> None:
        calls.append(1)
        async with MongoUnitOfWork(mongo_client, db_name, no_contract) as uow:
            await uow.db["effects"].insert_one({"event_id": event.id, "by": "us"}, session=uow.session)
            await uow.commit()

    dlq_before = await dlq_size(js)
    await consume(handler)
    await publish(js, event)
    window = sum(topology.backoff_seconds[: topology.max_deliver - 1])

    async def last_delivery() -> bool:
        return (await js.consumer_info(SUB.stream, SUB.durable)).delivered.consumer_seq >= topology.max_deliver

    await eventually(last_delivery, timeout=window + 10)
    # Far longer than the in-process re-runs of an ordinary delivery (TRANSIENT_ATTEMPTS, < 1 s).
    await asyncio.sleep(3.0)
    assert await dlq_size(js) == dlq_before, "still retrying on its last delivery"
    await dead.abort_transaction()  # what the reaping does, 60 s after the crash
    await dead.end_session()

    async def handled() -> bool:
        info = await js.consumer_info(SUB.stream, SUB.durable)
        return await db["effects"].count_documents({"by": "us"}) == 1 and info.num_ack_pending == 0

    await eventually(handled, timeout=15)
    assert await dlq_size(js) == dlq_before


async def test_consumer_reads_its_retry_policy_from_the_server(js: JetStreamContext, topology: TopologySettings) -> None:
    policy = await read_retry_policy(js, SUB)
    assert policy.max_deliver == topology.max_deliver
    assert list(policy.backoff) == topology.backoff_seconds[: topology.max_deliver - 1]


async def test_services_attach_without_changing_the_declared_stream(
        consume: Any, js: JetStreamContext, nats_client: NatsClient) -> None:
    async def handler(event: CloudEvent[Any]) -> None:
        return None

    before = await js.stream_info(SUB.stream)
    await consume(handler)
    after = await js.stream_info(SUB.stream)
    assert after.config.subjects == before.config.subjects == ["evt.*.members.>"]
