"""Event subscribers: the conventions every consumer follows.

- Attach to a durable pull consumer declared by the topology (`JStream(declare=False)`;
  services never create streams or consumers as a side effect).
- `AckPolicy.MANUAL`: FastStream's default terminates on any exception and a plain NAK
  ignores the consumer's backoff (DESIGN §9). We ack only after the handler's transaction
  committed. A transient failure is *not acknowledged at all*: the server redelivers when
  the ack wait runs out, which follows the consumer's backoff list exactly. (A NAK with a
  delay is worse than it looks: measured on nats-server 2.15, the redelivery then waits the
  delay *plus* the backoff entry, roughly doubling every wait.) After `max_deliver`
  attempts, or on a permanent error (malformed payload, unknown type, business rejection),
  the message goes to the DLQ with its reason and is terminated.
- Write conflicts are transient, not rejections: an optimistic-locking `ConcurrencyConflict`,
  a MongoDB transient transaction error or a duplicate key from a concurrent upsert is run
  again in process, then left unacknowledged for a redelivery with the consumer's backoff.
  Only business rejections (`DomainError`, `PermanentError`) and malformed payloads are
  dead-lettered at once.
- The inbox makes a redelivery or a duplicate a no-op.
- A handler still running tells the server so (`+WPI`, every half ack wait): a slow
  transaction on a loaded database is not redelivered to a second worker meanwhile, and
  burns no delivery of the `max_deliver` budget.
- The last delivery is patient with write conflicts: a consumer killed mid-transaction leaves
  its transaction open until MongoDB reaps it (60 s idle), and every redelivery of that
  message conflicts until then. However the backoff list was written and however many
  deliveries were spent before the crash, the last one keeps running the handler again (the
  in-progress heartbeat holding the message) until the reaping has freed the keys, instead of
  dead-lettering a message that nothing is wrong with.
- Typed handling through FastStream's message (`NatsMessage`), no private attribute of either
  library; the one step neither offers (terminate with a reason) is `terminate_with_reason`.
- Optional batch pull (`consumer_batch`, off by default: see bench/RESULTS.md): one call per
  fetched batch, each message still settled on its own, one aggregate's events in stream order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from faststream import AckPolicy, Context
from faststream.nats import JStream, NatsBroker, NatsMessage, NatsUserPassword, PullSub
from faststream.nats.message import NatsBatchMessage
from faststream.nats.message import NatsMessage as FsNatsMessage
from faststream.nats.subscriber import LogicSubscriber
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pymongo.asynchronous.database import AsyncDatabase

from alumni_contracts import naming
from alumni_contracts.envelope import CloudEvent
from alumni_contracts.registry import REGISTRY, MalformedEvent, UnknownEventType
from alumni_contracts.subscriptions import Subscription
from servicekit import context, inbox, metrics
from servicekit.domain import DomainError
from servicekit.logging import bound, get_logger
from servicekit.mongo import Document
from servicekit.retry import backoff_delay, is_write_conflict, retry_transient
from servicekit.settings import ConsumerConfig
from servicekit.topology import MONGO_TRANSACTION_LIFETIME_SECONDS
from servicekit.worker import repeating

EventHandler = Callable[[CloudEvent[Any]], Awaitable[None]]
log = get_logger(__name__)

# How long the last delivery keeps re-running a handler that meets write conflicts: past the
# reaping of a dead consumer's transaction, with a margin for a loaded server.
LAST_DELIVERY_PATIENCE_SECONDS = MONGO_TRANSACTION_LIFETIME_SECONDS + 30.0
# Floor of the in-progress heartbeat period (a sub-second first backoff in tests).
MIN_HEARTBEAT_SECONDS = 0.1


class PermanentError(Exception):
    """Raise from a handler when retrying cannot help: the message is dead-lettered at once."""


@dataclass(frozen=True)
class RetryPolicy:
    """Read from the declared consumer on the server, so there is one source of truth."""

    max_deliver: int
    backoff: tuple[float, ...]

    def delay(self, delivered: int) -> float:
        """The ack wait of delivery number `delivered`: when the server redelivers it."""
        if not self.backoff:
            return 1.0
        return self.backoff[min(delivered, len(self.backoff)) - 1]

    def heartbeat(self, delivered: int) -> float:
        """How often a running handler sends `+WPI`: twice per ack wait."""
        return max(MIN_HEARTBEAT_SECONDS, self.delay(delivered) / 2)


def in_progress(delivery: Delivery, every: float) -> contextlib.AbstractAsyncContextManager[None]:
    """Keep telling the server the delivery is being worked on, so the ack wait restarts
    instead of running out under a slow handler (a lost heartbeat costs at most a duplicate
    delivery, which the inbox absorbs)."""
    return repeating(every, delivery.in_progress, "in-progress-ack")


async def _quietly(ack: Awaitable[None]) -> None:
    """An in-progress ack lost costs at most a duplicate delivery (the inbox absorbs it)."""
    with contextlib.suppress(Exception):
        await ack


def create_broker(nats_url: str, name: str,
                  error_cb: Callable[[Exception], Awaitable[None]] | None = None, **options: Any) -> NatsBroker:
    """`options`: credentials and inbox prefix (`NatsConfig.nats_options()`)."""
    security = None
    if options.get("user"):
        security = NatsUserPassword(username=options["user"], password=options.get("password") or "")
    # FastStream logs every message at INFO; ours are structured already, so its go to DEBUG.
    return NatsBroker(
        nats_url.split(","),
        security=security,
        inbox_prefix=options.get("inbox_prefix", "_INBOX"),
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        error_cb=error_cb,
        logger=logging.getLogger("faststream"),
        log_level=logging.DEBUG,
    )


async def read_retry_policy(js: JetStreamContext, sub: Subscription) -> RetryPolicy:
    info = await js.consumer_info(sub.stream, sub.durable)
    cfg = info.config
    return RetryPolicy(max_deliver=cfg.max_deliver or 1, backoff=tuple(cfg.backoff or ()))


TERM = b"+TERM"


def terminate_with_reason(raw: Msg, reason: str) -> Awaitable[None]:
    """Terminate a JetStream delivery with `+TERM <reason>`: the reason then appears in the
    server's MSG_TERMINATED advisory (kept in the DLQ stream next to our dead letter).

    Neither nats-py 2.16 (`Msg.term()`) nor FastStream 0.7 (`NatsMessage.reject()`) takes a
    reason, so the ack is sent with nats-py's public `Msg.respond` on the message's own
    connection: JetStream reads an ack from whatever is published to the delivery's reply
    subject (the headers `respond` repeats are ignored by the server). `respond` does not mark
    the message acknowledged, so nothing may settle it afterwards (the subscriber's ack policy
    is manual). `test_messaging.py::test_terminate_still_needs_our_reason_path` fails when
    either library grows a reason parameter: switch to it then."""
    return raw.respond(TERM + b" " + reason[:200].encode())


@dataclass(frozen=True)
class Delivery:
    """One JetStream delivery as the subscriber convention handles it: the nats-py message's
    public content and metadata, settled through FastStream's message when there is one
    (per-message mode) or through nats-py's public acks (batch mode, where FastStream's batch
    message can only settle the whole batch at once)."""

    raw: Msg
    ack: Callable[[], Awaitable[None]]
    in_progress: Callable[[], Awaitable[None]]

    @classmethod
    def of(cls, msg: FsNatsMessage) -> Delivery:
        return cls(msg.raw_message, msg.ack, msg.in_progress)

    @classmethod
    def of_raw(cls, raw: Msg) -> Delivery:
        return cls(raw, raw.ack, raw.in_progress)


@dataclass(frozen=True)
class Parsed:
    delivery: Delivery
    event: CloudEvent[Any]


class DeliveryHandler:
    """Handles one JetStream delivery end to end; independent of FastStream for testing."""

    def __init__(self, sub: Subscription, handler: EventHandler, db: AsyncDatabase[Document],
                 js: JetStreamContext, policy: RetryPolicy) -> None:
        self.sub = sub
        self._handler = handler
        self._db = db
        self._js = js
        self.policy = policy

    async def __call__(self, msg: Delivery | Msg) -> str:
        delivery = msg if isinstance(msg, Delivery) else Delivery.of_raw(msg)
        parsed = await self.parse(delivery)
        if isinstance(parsed, str):
            return parsed
        return await self.handle(parsed)

    async def parse(self, delivery: Delivery) -> Parsed | str:
        """The delivery's event, or the outcome of dead-lettering a malformed one."""
        try:
            event = REGISTRY.parse(delivery.raw.data)
            if type(event.data) is not self.sub.event:
                raise MalformedEvent(f"{event.type} is not {self.sub.event.type_name()}")
        except (UnknownEventType, MalformedEvent) as exc:
            return await self._dead_letter(delivery.raw, f"permanent: {exc}", None)
        return Parsed(delivery, event)

    async def handle(self, parsed: Parsed) -> str:
        delivery, event = parsed.delivery, parsed.event
        raw = delivery.raw
        delivered = raw.metadata.num_delivered
        ctx = context.of_event(self.sub.inbox_consumer, event.id, event.correlationid, event.tenant)
        assert ctx.inbox is not None
        if await inbox.seen(self._db, ctx.inbox):
            await delivery.ack()
            return self._outcome("duplicate")
        with bound(tenant=event.tenant, correlation_id=event.correlationid, causation_id=event.id,
                   consumer=self.sub.durable), context.handling(ctx):
            started = time.perf_counter()
            try:
                async with in_progress(delivery, self.policy.heartbeat(delivered)):
                    await self._run(event, last=delivered >= self.policy.max_deliver)
            except inbox.AlreadyProcessed:
                await delivery.ack()
                return self._outcome("duplicate")
            except (PermanentError, DomainError) as exc:
                return await self._dead_letter(raw, f"rejected: {type(exc).__name__}: {exc}", event.id)
            except Exception as exc:  # noqa: BLE001 - anything else is presumed transient
                if delivered >= self.policy.max_deliver:
                    return await self._dead_letter(
                        raw, f"gave up after {delivered} deliveries: {type(exc).__name__}: {exc}", event.id)
                # No ack: the ack wait (the consumer's backoff list) schedules the redelivery.
                log.warning("handler failed, will be redelivered", event_id=event.id, delivered=delivered,
                            retry_in=self.policy.delay(delivered), error=repr(exc)[:300])
                return self._outcome("retry")
            finally:
                metrics.HANDLER_SECONDS.labels(self.sub.durable).observe(time.perf_counter() - started)
            await delivery.ack()
            return self._outcome("ok")

    async def handle_batch(self, raws: Sequence[Msg]) -> list[str]:
        """One fetched batch: every message is settled on its own (ack, DLQ + term, or left
        unacked for a redelivery with backoff), exactly as in per-message mode. Events of one
        aggregate (tenant + CloudEvent subject) run one after the other in stream order;
        different aggregates run concurrently. Messages waiting behind their aggregate's
        earlier ones send in-progress acks meanwhile, so their ack wait does not run out."""
        outcomes: dict[int, str] = {}
        lanes: dict[tuple[str, str], list[tuple[int, Parsed]]] = {}
        # The ack waits have run since the pull (FastStream fills the batch first): restart them.
        await asyncio.gather(*(_quietly(raw.in_progress()) for raw in raws))
        for i, raw in enumerate(raws):
            parsed = await self.parse(Delivery.of_raw(raw))
            if isinstance(parsed, str):
                outcomes[i] = parsed
            else:
                lanes.setdefault((parsed.event.tenant, parsed.event.subject), []).append((i, parsed))
        waiting = {i: p.delivery for lane in lanes.values() for i, p in lane[1:]}

        async def run_lane(lane: list[tuple[int, Parsed]]) -> None:
            for i, parsed in lane:
                waiting.pop(i, None)
                outcomes[i] = await self.handle(parsed)

        async def beat_waiting() -> None:
            await asyncio.gather(*(_quietly(d.in_progress()) for d in list(waiting.values())))

        async with repeating(self.policy.heartbeat(1), beat_waiting, "in-progress-acks-of-batch"):
            await asyncio.gather(*(run_lane(lane) for lane in lanes.values()))
        return [outcomes[i] for i in range(len(raws))]

    async def _run(self, event: CloudEvent[Any], *, last: bool) -> None:
        """The handler, re-run in process on write conflicts; on the last delivery for as long
        as a dead consumer's transaction can hold the keys (`LAST_DELIVERY_PATIENCE_SECONDS`)."""
        if not last:
            await retry_transient(lambda: self._handler(event), retry_if=is_write_conflict)
            return
        deadline = time.monotonic() + LAST_DELIVERY_PATIENCE_SECONDS
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._handler(event)
                return
            except Exception as exc:
                if not is_write_conflict(exc) or time.monotonic() > deadline:
                    raise
                delay = backoff_delay(attempt, 0.05, 5.0, jitter=0.3)
                log.info("last delivery meets a write conflict, running again", event_id=event.id,
                         attempt=attempt, retry_in=round(delay, 2), error=type(exc).__name__)
                await asyncio.sleep(delay)

    def _outcome(self, outcome: str) -> str:
        metrics.MESSAGES_HANDLED.labels(self.sub.durable, outcome).inc()
        return outcome

    async def _dead_letter(self, raw: Msg, reason: str, event_id: str | None) -> str:
        """Keep the payload and the reason in the DLQ stream, then terminate the delivery."""
        seq = raw.metadata.sequence.stream
        headers = {
            naming.HEADER_MSG_ID: f"dead-{self.sub.durable}-{event_id or seq}",
            naming.HEADER_DEAD_REASON: reason[:1000],
            naming.HEADER_DEAD_SUBJECT: raw.subject,
            naming.HEADER_DEAD_STREAM_SEQ: str(seq),
            naming.HEADER_DEAD_CONSUMER: self.sub.durable,
            naming.HEADER_DEAD_DELIVERIES: str(raw.metadata.num_delivered),
        }
        await self._js.publish(naming.dead_letter_subject(self.sub.stream, self.sub.durable),
                               raw.data, headers=headers, timeout=5.0)
        await terminate_with_reason(raw, reason)
        log.error("message dead-lettered", consumer=self.sub.durable, stream_seq=seq, reason=reason)
        return self._outcome("dead_letter")


def fetch_timeout(config: ConsumerConfig, policy: RetryPolicy, batch: bool) -> float:
    """How long one pull waits. FastStream's batch pull keeps fetching until the batch is full
    or this time has passed, so at low traffic an event waits up to this long before its
    handler runs, its ack wait already running: bounded to a quarter of the first ack wait
    (0.5 s with the default backoff), so the wait never causes a redelivery and the backoff
    between deliveries stays within 25 % of the declared one. The per-message pull returns what
    is there at once: it waits only when idle."""
    if not batch:
        return config.consumer_fetch_timeout
    return min(config.consumer_fetch_timeout, policy.delay(1) / 4)


def attach_event_handler(broker: NatsBroker, delivery: DeliveryHandler, config: ConsumerConfig,
                         inbox_prefix: str | None = None) -> None:
    """`inbox_prefix`: the NATS user's own (FastStream's pull subscriber does not take the
    connection's; the generated permissions allow no other inbox).

    `config.consumer_batch`: FastStream's batch pull (`PullSub(batch=True)`) hands the whole
    fetched batch to one call, settled message by message by `DeliveryHandler.handle_batch`;
    otherwise FastStream runs one call per message (each with its own parsing, middlewares and
    task). Both fetch `consumer_batch_size` messages per pull; bench/RESULTS.md compares them."""
    sub = delivery.sub

    def subscriber(batch: bool) -> LogicSubscriber[Any]:
        return broker.subscriber(
            sub.filter_subject,
            stream=JStream(sub.stream, declare=False),
            durable=sub.durable,
            pull_sub=PullSub(batch_size=config.consumer_batch_size, timeout=fetch_timeout(config, delivery.policy, batch),
                             batch=batch),
            ack_policy=AckPolicy.MANUAL,
            inbox_prefix=(inbox_prefix or "_INBOX").encode() + b".",
            title=f"{sub.durable}:{sub.filter_subject}",
            description=(sub.event.__doc__ or "").strip(),
        )

    if config.consumer_batch:
        @subscriber(batch=True)
        async def _on_batch(msg: Annotated[NatsBatchMessage, Context("message")]) -> None:
            await delivery.handle_batch(msg.raw_message)
        return

    @subscriber(batch=False)
    async def _on_event(msg: NatsMessage) -> None:
        await delivery(Delivery.of(msg))
