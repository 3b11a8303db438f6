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
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from alumni_contracts.subscriptions import Subscription, subscriptions_of
from servicekit.health import ReadinessCheck, health_app
from servicekit.idempotency import OBSOLETE_INDEXES as OBSOLETE_IDEMPOTENCY_INDEXES
from servicekit.idempotency import idempotency_indexes
from servicekit.inbox import inbox_indexes
from servicekit.logging import adopt_library_loggers, configure_logging, get_logger
from servicekit.messaging import DeliveryHandler, EventHandler, attach_event_handler, create_broker, read_retry_policy
from servicekit.mongo import Document, IndexSpec, create_client, drop_indexes, ensure_indexes, wait_for_mongo
from servicekit.outbox import OutboxRelay, OutboxWakeup, outbox_indexes
from servicekit.personal_data import OBSOLETE_TOMBSTONE_INDEXES, TOMBSTONE_INDEXES
from servicekit.retry import wait_until_ready
from servicekit.rpc import RequestHandler, RequestServer, attach_request_handlers
from servicekit.settings import ServiceSettings

MIN_NATS_SERVER = (2, 12, 3)
STOP_TIMEOUT_SECONDS = 10.0
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
    # (collection, index name) replaced by one of `indexes`: dropped once those exist.
    obsolete_indexes: Sequence[tuple[str, str]] = ()
    workers: Sequence[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    stoppers: Sequence[Callable[[], None]] = field(default_factory=list)


def check_nats_version(nc: NatsClient) -> None:
    version = nc.connected_server_version
    found = (version.major, version.minor, version.patch)
    if found < MIN_NATS_SERVER:
        raise RuntimeError(
            f"nats-server {'.'.join(map(str, found))} is too old: {'.'.join(map(str, MIN_NATS_SERVER))}"
            " or newer is required (JetStream data-loss fixes)")


class NatsNotReady(RuntimeError):
    """The first connection to NATS failed (raised out of `nats.connect` by `NatsErrorLog`)."""


class NatsErrorLog:
    """nats-py's error callback (`error_cb=NatsErrorLog(name).on_error`).

    Before the first connection, it makes the attempt fail: with `max_reconnect_attempts=-1`
    nats-py would otherwise retry the *initial* connection forever inside `nats.connect`,
    logging a traceback each time, and the start-up wait would never get control back — now
    that wait retries with backoff and logs one line per attempt. Once connected, reconnects
    stay nats-py's job, and each error is one JSON line without a traceback."""

    def __init__(self, connection: str) -> None:
        self.connection = connection
        self.connected = False

    async def on_error(self, exc: Exception) -> None:
        if not self.connected:
            raise NatsNotReady(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc
        log.warning("nats connection error", connection=self.connection,
                    error=f"{type(exc).__name__}: {exc}"[:200])


async def connect_nats(url: str, name: str, deadline: float | None = None, **options: Any) -> NatsClient:
    """`options`: credentials and inbox prefix (`NatsConfig.nats_options()`)."""
    errors = NatsErrorLog(name)

    async def attempt() -> NatsClient:
        return await nats.connect(url.split(","), name=name, max_reconnect_attempts=-1, error_cb=errors.on_error,
                                  reconnect_time_wait=1, allow_reconnect=True, connect_timeout=2, **options)

    nc = await wait_until_ready("nats", attempt, deadline=deadline)
    errors.connected = True
    check_nats_version(nc)
    return nc


async def wait_for_consumers(js: JetStreamContext, subscriptions: Sequence[Subscription],
                             deadline: float | None = None) -> None:
    async def all_declared() -> None:
        for sub in subscriptions:
            await js.consumer_info(sub.stream, sub.durable)

    await wait_until_ready("nats topology (run `alumni-ops topology apply`)", all_declared, deadline=deadline)


class ServiceHost:
    """One service's moving parts inside an event loop: used by `run_service` and by the
    integration tests, so tests exercise the same assembly as production."""

    def __init__(self, name: str, settings: ServiceSettings, build: Callable[[Infrastructure], ServiceParts]) -> None:
        self.name, self.settings, self._build = name, settings, build
        self.infra: Infrastructure | None = None
        self.parts = ServiceParts()
        self._broker: NatsBroker | None = None
        self._relay: OutboxRelay | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> Infrastructure:
        settings = self.settings
        # Dependencies first, each waited for explicitly (one log line per attempt), and for a
        # bounded time: past it the process exits and its supervisor decides what to do.
        deadline = settings.dependency_wait_seconds or None
        mongo = create_client(settings.mongo_uri, self.name)
        await wait_for_mongo(mongo, deadline=deadline)
        db = mongo[settings.mongo_db]
        nc = await connect_nats(settings.nats_url, self.name, deadline=deadline, **settings.nats_options())
        js = nc.jetstream()
        self.infra = infra = Infrastructure(settings, mongo, db, nc, js, OutboxWakeup())
        self.parts = parts = self._build(infra)
        missing = {s.durable for s in subscriptions_of(self.name)} - {s.durable for s, _ in parts.events}
        if missing:
            raise RuntimeError(f"{self.name} declares subscriptions without a handler: {sorted(missing)}")
        await ensure_indexes(db, [*outbox_indexes(settings.outbox_retention_days), *inbox_indexes(),
                                  *idempotency_indexes(), *TOMBSTONE_INDEXES, *parts.indexes])
        await drop_indexes(db, [*OBSOLETE_IDEMPOTENCY_INDEXES, *OBSOLETE_TOMBSTONE_INDEXES, *parts.obsolete_indexes])
        await wait_for_consumers(js, [sub for sub, _ in parts.events], deadline=deadline)
        broker_errors = NatsErrorLog(f"{self.name}-broker")
        self._broker = broker = create_broker(settings.nats_url, self.name, error_cb=broker_errors.on_error,
                                                      **settings.nats_options())
        attach_request_handlers(broker, RequestServer(db), parts.requests, queue=self.name,
                                concurrency=settings.request_concurrency)
        for sub, handler in parts.events:
            policy = await read_retry_policy(js, sub)
            attach_event_handler(broker, DeliveryHandler(sub, handler, db, js, policy), settings,
                                 settings.nats_options().get("inbox_prefix"))
        await wait_until_ready("faststream broker", broker.start, deadline=deadline)
        broker_errors.connected = True
        adopt_library_loggers()  # FastStream may have set up loggers of its own while starting
        self._relay = OutboxRelay(db, js, settings, infra.wakeup, self.name)
        self._tasks = [asyncio.create_task(self._relay.run(), name="outbox-relay")]
        self._tasks += [asyncio.create_task(w(), name=f"worker-{i}") for i, w in enumerate(parts.workers)]
        return infra

    async def ready(self) -> dict[str, ReadinessCheck]:
        infra = self.infra
        assert infra is not None

        async def nats_ready() -> bool:
            return bool(infra.nats.is_connected)

        async def mongo_ready() -> bool:
            await infra.mongo.admin.command("ping")
            return True

        return {"mongo": mongo_ready, "nats": nats_ready}

    async def stop(self) -> None:
        if self._broker is not None:
            await self._broker.stop()
        if self._relay is not None:
            self._relay.stop()
        for stopper in self.parts.stoppers:
            stopper()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=10)
            for task in pending:
                task.cancel()
        if self.infra is not None:
            await self.infra.nats.drain()
            await self.infra.mongo.close()


async def run_service(
    name: str,
    settings: ServiceSettings,
    build: Callable[[Infrastructure], ServiceParts],
) -> None:
    configure_logging(settings.log_level, settings.log_format, service=name)
    host = ServiceHost(name, settings, build)
    await host.start()
    server: uvicorn.Server | None = None
    health_task: asyncio.Task[None] | None = None
    if settings.http_port:
        config = uvicorn.Config(health_app(name, await host.ready()), host=settings.http_host,
                                port=settings.http_port, log_level="warning", lifespan="off",
                                log_config=None)  # uvicorn's records go through our handler (JSON)
        server = uvicorn.Server(config)
        # `_serve` rather than `serve`: the latter captures SIGTERM/SIGINT, which this runtime
        # handles itself to stop the broker, the relay and the workers in order.
        health_task = asyncio.create_task(server._serve(), name="health")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("service started", http_port=settings.http_port)
    await stop.wait()

    log.info("service stopping")
    if server is not None and health_task is not None:
        server.should_exit = True
        await asyncio.wait([health_task], timeout=5)
    try:
        # Bounded: with NATS gone (its server stopped first, or killed with the local runner),
        # draining the connection waits for a reconnect that never comes.
        await asyncio.wait_for(host.stop(), STOP_TIMEOUT_SECONDS)
    except TimeoutError:
        log.warning("service stop timed out, exiting anyway", timeout=STOP_TIMEOUT_SECONDS)
        return
    log.info("service stopped")
