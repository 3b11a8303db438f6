"""Benchmark: our event pipeline against raw nats-py + raw PyMongo on the same servers.

Stages, each timed for N events, ours vs the raw baseline measured in the same run:
  write    — MongoUnitOfWork commit (aggregate + outbox row, one transaction)  vs  raw insert_one (j, majority)
  publish  — OutboxRelay.run until all are sent (rounds: claim batch, publish with Nats-Msg-Id, await PubAcks, mark sent)
             vs  raw js.publish of the same payloads, 100 in flight
  consume  — FastStream pull subscriber + DeliveryHandler (inbox row + effect in one transaction, ack),
             in batch mode (`PullSub(batch=True)`) and per-message mode
             vs  raw nats-py pull subscription (insert_one effect, ack)

Usage: python bench/outbox_pipeline.py [--events N] [--mongo-uri URI --nats-url URL]
Without URLs it starts nats-server and SecantusDB on free ports in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import platform as host
import time
from dataclasses import dataclass
from typing import Any

import nats
from benchservers import servers
from nats.js.api import ConsumerConfig

from alumni_contracts import naming
from alumni_contracts.envelope import CloudEvent, EventData
from alumni_contracts.members.v2 import MemberRegistered
from alumni_contracts.subscriptions import subscription
from servicekit.domain import AggregateRoot, DomainEvent
from servicekit.inbox import inbox_indexes
from servicekit.messaging import DeliveryHandler, attach_event_handler, create_broker, read_retry_policy
from servicekit.mongo import create_client, ensure_indexes
from servicekit.outbox import OutboxRelay, OutboxWakeup, outbox_indexes
from servicekit.settings import ConsumerConfig as KitConsumerConfig
from servicekit.settings import RelayConfig
from servicekit.testing.factories import member_registered_event
from servicekit.topology import TopologySettings, apply, reset
from servicekit.uow import MongoUnitOfWork


@dataclass(frozen=True)
class Registered(DomainEvent):
    event: CloudEvent[Any]


def to_contract(event: DomainEvent) -> EventData:
    assert isinstance(event, Registered)
    return event.event.data  # type: ignore[no-any-return]


@dataclass
class Result:
    stage: str
    ours: float
    raw: float

    def row(self, n: int) -> str:
        return (f"| {self.stage} | {n / self.ours:,.0f}/s | {n / self.raw:,.0f}/s | {self.raw / self.ours:.2f}× |")


async def bench(mongo_uri: str, nats_url: str, n: int, relay_batch: int, modes: list[str], batch_size: int,
                fetch_timeout: float) -> list[Result]:
    consume_times: dict[str, float] = {}
    client = create_client(mongo_uri, "bench")
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await reset(js)
    await apply(js, TopologySettings())
    ours_db, raw_db = "bench_ours", "bench_raw"
    for name in (ours_db, raw_db):
        await client.drop_database(name)
    await ensure_indexes(client[ours_db], [*outbox_indexes(7), *inbox_indexes()])
    await ensure_indexes(client[raw_db], inbox_indexes())
    # The current major version (the one consumers subscribe to); the factory builds v1 data.
    events = [CloudEvent.wrap(MemberRegistered(**e.data.model_dump()), tenant="demo", subject=e.subject,
                              aggregate_version=1, correlation_id="corr-1")
              for e in (member_registered_event(member_id=f"m{i}") for i in range(n))]
    results = []

    # write
    started = time.perf_counter()
    for e in events:
        async with MongoUnitOfWork(client, ours_db, to_contract) as uow:
            agg = AggregateRoot(id=e.data.member_id, tenant="demo")
            agg.record(Registered(e))
            await uow.db["members"].insert_one({"_id": agg.id, "tenant": "demo"}, session=uow.session)
            uow.track(agg)
            await uow.commit()
    ours = time.perf_counter() - started
    started = time.perf_counter()
    for e in events:
        await client[raw_db]["members"].insert_one({"_id": e.data.member_id, "tenant": "demo"})
    results.append(Result("write (state + outbox in one transaction)", ours, time.perf_counter() - started))

    # publish
    relay = OutboxRelay(client[ours_db], js, RelayConfig(relay_batch_size=relay_batch), OutboxWakeup(), "members")
    # The relay as a service runs it: its loop, from start until every record is published.
    started = time.perf_counter()
    task = asyncio.create_task(relay.run())
    while relay.published < n:
        await asyncio.sleep(0.001)
    ours = time.perf_counter() - started
    relay.stop()
    await task
    await reset(js)
    await apply(js, TopologySettings())
    started = time.perf_counter()
    for i in range(0, n, 100):
        await asyncio.gather(*(js.publish(e.nats_subject(), e.to_json(), headers={naming.HEADER_MSG_ID: e.id})
                               for e in events[i:i + 100]))
    results.append(Result("publish (outbox relay → JetStream, PubAck)", ours, time.perf_counter() - started))

    # consume: ours through FastStream + DeliveryHandler (both subscriber modes, each on the
    # same n events: the durable is recreated in between), raw through a second durable
    sub = subscription("notifications", MemberRegistered)
    handled = 0
    done = asyncio.Event()

    async def handler(event: CloudEvent[Any]) -> None:
        nonlocal handled
        async with MongoUnitOfWork(client, ours_db, to_contract) as uow:
            await uow.db["effects"].insert_one({"event_id": event.id}, session=uow.session)
            await uow.commit()
        handled += 1
        if handled == n:
            done.set()

    for mode in modes:
        handled = 0
        done.clear()

        await js.delete_consumer(sub.stream, sub.durable)
        await apply(js, TopologySettings())
        await client[ours_db].drop_collection("effects")
        await client[ours_db].drop_collection("inbox")
        await ensure_indexes(client[ours_db], inbox_indexes())
        broker = create_broker(nats_url, "bench")
        policy = await read_retry_policy(js, sub)
        attach_event_handler(broker, DeliveryHandler(sub, handler, client[ours_db], js, policy),
                             KitConsumerConfig(consumer_batch_size=batch_size, consumer_fetch_timeout=fetch_timeout,
                                               consumer_batch=mode == "batch"))
        started = time.perf_counter()
        await broker.start()
        await asyncio.wait_for(done.wait(), 600)
        consume_times[mode] = time.perf_counter() - started
        await broker.stop()

    await js.add_consumer(sub.stream, ConsumerConfig(durable_name="bench-raw", filter_subject=sub.filter_subject,
                                                     ack_wait=30))
    psub = await js.pull_subscribe_bind("bench-raw", sub.stream)
    started = time.perf_counter()
    count = 0
    while count < n:
        for msg in await psub.fetch(64, timeout=5):
            await client[raw_db]["effects"].insert_one({"event_id": msg.headers[naming.HEADER_MSG_ID]})  # type: ignore[index]
            await msg.ack()
            count += 1
    raw_time = time.perf_counter() - started
    for mode in modes:
        results.append(Result(f"consume, {mode} (inbox + effect in one transaction, ack)", consume_times[mode],
                              raw_time))

    await nc.drain()
    await client.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--relay-batch", type=int, default=100, help="outbox records claimed per relay round")
    parser.add_argument("--consume-modes", default="batch,per-message",
                        help="subscriber modes measured in the consume stage, in this order")
    parser.add_argument("--consumer-batch-size", type=int, default=64, help="messages fetched per pull")
    parser.add_argument("--fetch-timeout", type=float, default=0.5, help="seconds a pull waits for messages")
    parser.add_argument("--mongo-uri")
    parser.add_argument("--nats-url")
    args = parser.parse_args()
    with servers(args.mongo_uri, args.nats_url) as (mongo_uri, nats_url):
        results = asyncio.run(bench(mongo_uri, nats_url, args.events, args.relay_batch,
                                    args.consume_modes.split(","), args.consumer_batch_size, args.fetch_timeout))
    print(f"{args.events} events; {host.python_implementation()} {host.python_version()}; "
          f"MongoDB: {'external' if args.mongo_uri else 'SecantusDB (embedded)'}")
    print("| stage | ours | raw baseline | ratio (ours/raw) |")
    print("| --- | --- | --- | --- |")
    for r in results:
        print(r.row(args.events))


if __name__ == "__main__":
    main()
