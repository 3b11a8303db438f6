"""Runs one service process: connect (waiting for dependencies), attach, serve, stop cleanly.

Each service's `__main__` builds its settings and calls `run_service` with its composition
root; everything else (connections, indexes, relay, subscribers, health, signals) is here.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import nats
import uvicorn
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from alumni_contracts.subscriptions import Subscription
from servicekit.health import health_app
from servicekit.idempotency import idempotency_indexes
from servicekit.inbox import inbox_indexes
from servicekit.logging import configure_logging, get_logger
from servicekit.messaging import DeliveryHandler, EventHandler, attach_event_handler, create_broker, read_retry_policy
from servicekit.mongo import Document, IndexSpec, create_client, ensure_indexes, wait_for_mongo
from servicekit.outbox import OutboxRelay, OutboxWakeup, outbox_indexes
from servicekit.retry import wait_until_ready
from servicekit.rpc import RequestHandler, RequestServer, attach_request_handlers
from servicekit.settings import ServiceSettings

MIN_NATS_SERVER = (2, 12, 3)
log = get_logger(__name__)


@dataclass
class Infrastructure:
    """Connections a composition root builds its adapters from."""

    settings: ServiceSettings
    mongo: AsyncMongoClient[Document]
    db: AsyncDatabase[Document]
    nats: NatsClient
    js: JetStreamContext
    wakeup: OutboxWakeup


@dataclass
class ServiceParts:
    """What a service contributes: its handlers, indexes and background workers."""

    requests: Sequence[RequestHandler] = ()
    events: Sequence[tuple[Subscription, EventHandler]] = ()
    indexes: Sequence[IndexSpec] = ()
    workers: Sequence[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    stoppers: Sequence[Callable[[], None]] = field(default_factory=list)


def check_nats_version(nc: NatsClient) -> None:
    version = nc.connected_server_version
    found = (version.major, version.minor, version.patch)
    if found < MIN_NATS_SERVER:
        raise RuntimeError(
            f"nats-server {'.'.join(map(str, found))} is too old: {'.'.join(map(str, MIN_NATS_SERVER))}"
            " or newer is required (JetStream data-loss fixes)")


async def connect_nats(url: str, name: str, deadline: float | None = None) -> NatsClient:
    async def attempt() -> NatsClient:
        return await nats.connect(url.split(","), name=name, max_reconnect_attempts=-1,
                                  reconnect_time_wait=1, allow_reconnect=True, connect_timeout=2)

    nc = await wait_until_ready("nats", attempt, deadline=deadline)
    check_nats_version(nc)
    return nc


async def wait_for_consumers(js: JetStreamContext, subscriptions: Sequence[Subscription]) -> None:
    async def all_declared() -> None:
        for sub in subscriptions:
            await js.consumer_info(sub.stream, sub.durable)

    await wait_until_ready("nats topology (run `alumni-ops topology apply`)", all_declared)


async def run_service(
    name: str,
    settings: ServiceSettings,
    build: Callable[[Infrastructure], ServiceParts],
) -> None:
    configure_logging(settings.log_level, settings.log_format, service=name)
    mongo = create_client(settings.mongo_uri, name)
    await wait_for_mongo(mongo)
    db = mongo[settings.mongo_db]
    nc = await connect_nats(settings.nats_url, name)
    js = nc.jetstream()
    infra = Infrastructure(settings, mongo, db, nc, js, OutboxWakeup())
    parts = build(infra)
    await ensure_indexes(db, [*outbox_indexes(settings.outbox_retention_days), *inbox_indexes(),
                              *idempotency_indexes(), *parts.indexes])

    await wait_for_consumers(js, [sub for sub, _ in parts.events])
    broker = create_broker(settings.nats_url, name)
    attach_request_handlers(broker, RequestServer(name, db), parts.requests, queue=name)
    for sub, handler in parts.events:
        policy = await read_retry_policy(js, sub)
        attach_event_handler(broker, DeliveryHandler(sub, handler, db, js, policy), settings)
    await wait_until_ready("faststream broker", broker.start)

    relay = OutboxRelay(db, js, settings, infra.wakeup, name)

    async def nats_ready() -> bool:
        return nc.is_connected

    async def mongo_ready() -> bool:
        await mongo.admin.command("ping")
        return True

    tasks = [asyncio.create_task(relay.run(), name="outbox-relay")]
    tasks += [asyncio.create_task(worker(), name=f"worker-{i}") for i, worker in enumerate(parts.workers)]
    server: uvicorn.Server | None = None
    if settings.http_port:
        config = uvicorn.Config(health_app(name, {"mongo": mongo_ready, "nats": nats_ready}),
                                host=settings.http_host, port=settings.http_port, log_level="warning",
                                lifespan="off")
        server = uvicorn.Server(config)
        # `_serve` rather than `serve`: the latter captures SIGTERM/SIGINT, which this runtime
        # handles itself to stop the broker, the relay and the workers in order.
        tasks.append(asyncio.create_task(server._serve(), name="health"))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("service started", http_port=settings.http_port)
    await stop.wait()

    log.info("service stopping")
    await broker.stop()
    relay.stop()
    for stopper in parts.stoppers:
        stopper()
    if server is not None:
        server.should_exit = True
    _, pending = await asyncio.wait(tasks, timeout=10)
    for task in pending:
        task.cancel()
    await nc.drain()
    await mongo.close()
    log.info("service stopped")
