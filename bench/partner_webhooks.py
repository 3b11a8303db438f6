"""Benchmark: partner webhook deliveries — N events (default 2,000) published to JetStream,
delivered by the dispatcher to one subscription (its own durable consumer, 4 in flight, each
event read, checked, encoded as a CloudEvent, signed per Standard Webhooks, POSTed through the
SSRF-checked client, logged, acked). The partner endpoint is `alumni_local webhook-receiver`
in its own process, verifying every signature. Baseline, same run, same receiver: a raw loop
signing and POSTing the same events with httpx, 4 concurrent, nothing else.

Usage: python bench/partner_webhooks.py [--events N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
from benchservers import servers

from alumni_contracts import naming
from alumni_contracts.envelope import CloudEvent
from alumni_contracts.members.v1 import GroupCreated
from notifications_service.adapters.http_delivery import HttpDelivery, encode, sign
from notifications_service.adapters.partner_webhooks_repository import (
    DELIVERIES,
    INDEXES,
    MongoDeliveryLog,
    MongoPartnerWebhooks,
)
from notifications_service.domain.partner_webhooks import Mode, PartnerWebhook, Secret, live_durable
from notifications_service.entrypoints.partner_dispatcher import DispatchSettings, PartnerDispatcher
from notifications_service.service_layer.partner_webhooks import new_secret
from servicekit.mongo import create_client, ensure_indexes
from servicekit.topology import TopologySettings, apply

DB = "bench_partner_webhooks"
GROUP = "org.alumni.members.group_created.v1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def events(n: int, tag: str) -> list[CloudEvent[Any]]:
    at = datetime.now(UTC)
    return [CloudEvent.wrap(GroupCreated(group_id=f"{tag}-{i}", kind="club", name=f"Club {i}", created_at=at),
                            tenant="bench", subject=f"{tag}-{i}", aggregate_version=1, correlation_id="bench")
            for i in range(n)]


async def raw(url: str, secret: str, batch: list[CloudEvent[Any]], concurrency: int) -> float:
    queue: asyncio.Queue[CloudEvent[Any]] = asyncio.Queue()
    for e in batch:
        queue.put_nowait(e)
    transport = httpx.AsyncHTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    async with httpx.AsyncClient(timeout=10, transport=transport) as client:
        async def worker() -> None:
            while not queue.empty():
                e = queue.get_nowait()
                doc = e.model_dump(mode="json")
                headers, body = encode(doc, Mode.STRUCTURED)
                now = datetime.now(UTC)
                headers |= {"webhook-id": e.id, "webhook-timestamp": str(int(now.timestamp())),
                            "webhook-signature": sign([secret], e.id, now, body)}
                r = await client.post(url, content=body.encode(), headers=headers)
                assert r.status_code == 204, r.status_code
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


async def ours(mongo_uri: str, nats_url: str, url: str, secret: str, batch: list[CloudEvent[Any]],
               concurrency: int) -> float:
    client = create_client(mongo_uri, "bench")
    db = client[DB]
    await client.drop_database(DB)
    await ensure_indexes(db, INDEXES)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await apply(js, TopologySettings())
    now = datetime.now(UTC)
    hook = PartnerWebhook(id="bench-hook", tenant="bench", url=url, event_types=[GROUP], mode=Mode.STRUCTURED,
                          description="", owner="bench", created_at=now, secrets=[Secret("s", secret, now)])
    await MongoPartnerWebhooks(db, None).save(hook)

    async def disable(_: Any) -> None:
        raise AssertionError("nothing should be dead-lettered")

    dispatcher = PartnerDispatcher(js, MongoDeliveryLog(db), HttpDelivery(10, allow_loopback=True), disable,
                                   DispatchSettings(concurrency=concurrency, fetch_wait=0.5, sync_seconds=60))
    task = asyncio.create_task(dispatcher.run())
    while True:  # the subscription's consumer exists
        try:
            await js.consumer_info("EVT_MEMBERS", live_durable("bench-hook", "members"))
            break
        except nats.js.errors.NotFoundError:
            await asyncio.sleep(0.05)
    started = time.perf_counter()
    for e in batch:
        await js.publish(e.nats_subject(), e.to_json(), headers={naming.HEADER_MSG_ID: e.id})
    while await db[DELIVERIES].count_documents({"tenant": "bench", "webhook_id": "bench-hook"}) < len(batch):
        await asyncio.sleep(0.25)
    elapsed = time.perf_counter() - started
    outcomes = await db[DELIVERIES].distinct("outcome", {"tenant": "bench"})
    assert outcomes == ["delivered"], outcomes
    dispatcher.stop()
    await task
    await nc.close()
    await client.drop_database(DB)
    await client.close()
    return elapsed


async def measure(url: str, secret: str, n: int, concurrency: int) -> tuple[float, float]:
    with servers(None, None) as (mongo_uri, nats_url):
        baseline = await raw(url, secret, events(n, "raw"), concurrency)
        delivered = await ours(mongo_uri, nats_url, url, secret, events(n, "ours"), concurrency)
    return baseline, delivered


def main(n: int, concurrency: int) -> None:
    port, secret = free_port(), new_secret()
    receiver = subprocess.Popen([sys.executable, "-m", "alumni_local", "webhook-receiver", "--port", str(port),
                                 "--secret", secret], stdout=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/hooks"
        for _ in range(100):
            try:
                httpx.post(url, content=b"{}")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        baseline, delivered = asyncio.run(measure(url, secret, n, concurrency))
    finally:
        receiver.terminate()
        receiver.wait()
    print(f"{n} events, {concurrency} in flight")
    print(f"raw signed POST loop : {n / baseline:8.0f}/s ({baseline:.1f} s)")
    print(f"webhook dispatcher   : {n / delivered:8.0f}/s ({delivered:.1f} s)  ratio {baseline / delivered:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    main(args.events, args.concurrency)
