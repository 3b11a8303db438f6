"""Delivers events to partner webhooks: one durable JetStream pull consumer per subscription
and stream, each in its own task, so a slow or failing partner only ever delays itself.

- Live consumer `pwh-<id>-<service>`: created with `deliver_policy=new` when the subscription
  is, filtered on the subscription's event types in its tenant (`evt.<tenant>.<service>.<name>.v<n>`).
  Disabling stops its task and keeps the consumer: enabling resumes where it stopped.
- Replay consumer `pwr-<id>-<service>`: `deliver_policy=by_start_sequence` (`opt_start_seq`) or
  `by_start_time` (`opt_start_time`), read up to the stream's last sequence at the time of the
  request, then deleted.
- Each task fetches up to `concurrency` messages and delivers them concurrently (bounded
  concurrency per subscription). A failed attempt is retried in the task with exponential
  backoff (`msg.in_progress()` keeps JetStream from redelivering meanwhile); after
  `max_attempts` the message is terminated (the `MSG_TERMINATED` advisory lands in the `DLQ`
  stream), the attempt is logged as `dead`, and the subscription is disabled
  (`partner_webhook_disabled` tells the managers). Messages of that subscription still in flight
  are left unacknowledged: redelivered once it is enabled again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from alumni_contracts import naming
from notifications_service.adapters.http_delivery import Attempt, HttpDelivery
from notifications_service.adapters.partner_webhooks_repository import MongoDeliveryLog
from notifications_service.domain.partner_webhooks import (
    ALWAYS_DELIVERED,
    PartnerWebhook,
    Replay,
    backoff_seconds,
    live_durable,
    member_of,
    services_of,
    shareable,
    subject_filter,
)
from notifications_service.service_layer import partner_webhooks as hooks
from servicekit.domain import new_id
from servicekit.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class DispatchSettings:
    max_attempts: int = 8
    backoff_base: float = 5.0
    backoff_cap: float = 600.0
    concurrency: int = 4
    ack_wait: float = 60.0
    fetch_wait: float = 2.0
    sync_seconds: float = 10.0


def _now() -> datetime:
    return datetime.now(UTC)


class Pump:
    """One consumer of one subscription on one stream."""

    def __init__(self, dispatcher: PartnerDispatcher, webhook: PartnerWebhook, service: str,
                 replay: Replay | None) -> None:
        self.d, self.webhook, self.service, self.replay = dispatcher, webhook, service, replay
        self.stream = naming.stream_name(service)
        self.durable = replay.durable if replay else live_durable(webhook.id, service)
        self.halted = False

    def config(self) -> ConsumerConfig:
        subjects = [subject_filter(self.webhook.tenant, t) for t in self.webhook.event_types
                    if t.split(".")[2] == self.service]
        settings = self.d.settings
        common: dict[str, Any] = {
            "name": self.durable, "durable_name": self.durable, "ack_policy": AckPolicy.EXPLICIT,
            "ack_wait": settings.ack_wait, "max_deliver": -1, "max_ack_pending": max(settings.concurrency * 4, 16),
            "description": f"partner webhook {self.webhook.id}{' replay' if self.replay else ''}"}
        if len(subjects) == 1:
            common["filter_subject"] = subjects[0]
        else:
            common["filter_subjects"] = subjects
        if self.replay is None:
            return ConsumerConfig(deliver_policy=DeliverPolicy.NEW, **common)
        if self.replay.from_sequence is not None:
            return ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                                  opt_start_seq=self.replay.from_sequence, **common)
        return ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=self.replay.from_time,
                              **common)

    async def run(self) -> None:
        js = self.d.js
        try:
            await js.consumer_info(self.stream, self.durable)
        except NotFoundError:
            await js.add_consumer(self.stream, self.config())
        sub = await js.pull_subscribe_bind(self.durable, self.stream)
        try:
            while not self.halted:
                try:
                    msgs = await sub.fetch(batch=self.d.settings.concurrency, timeout=self.d.settings.fetch_wait)
                except (nats.errors.TimeoutError, TimeoutError):
                    msgs = []
                if msgs:
                    await asyncio.gather(*(self.handle(m) for m in msgs))
                if self.replay is not None and await self._replay_finished(sub):
                    await self.d.finish_replay(self)
                    return
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _replay_finished(self, sub: JetStreamContext.PullSubscription) -> bool:
        info = await sub.consumer_info()
        assert self.replay is not None
        delivered = (info.delivered.stream_seq if info.delivered else 0) or 0
        return info.num_ack_pending == 0 and (info.num_pending == 0 or delivered >= self.replay.until_sequence)

    async def handle(self, msg: Msg) -> None:
        webhook, meta = self.webhook, msg.metadata
        seq = meta.sequence.stream
        if self.replay is not None and seq > self.replay.until_sequence:
            await msg.ack()  # arrived after the replay was asked for: the live consumer sends it
            return
        try:
            event = json.loads(msg.data)
            event_type, data = str(event["type"]), event.get("data") or {}
        except (ValueError, KeyError, TypeError):
            await msg.term()
            return
        entry = {"tenant": webhook.tenant, "webhook_id": webhook.id, "event_id": str(event.get("id")),
                 "event_type": event_type, "stream": self.stream, "stream_sequence": seq,
                 "replay": self.replay is not None}
        member = member_of(data)
        consents = await self.d.log.consents(webhook.tenant, member) \
            if member is not None and event_type not in ALWAYS_DELIVERED else None
        if not shareable(event_type, data, consents):
            await self.d.record(entry, 0, "withheld", None, "the member does not allow sharing with partners", 0)
            await msg.ack()
            return
        attempt = 0
        while not self.halted:
            attempt += 1
            secrets = [s.value for s in self.webhook.signing_secrets(_now())]  # rotation applies at once
            result: Attempt = await self.d.delivery.deliver(self.webhook.url, event, self.webhook.mode, secrets)
            if result.ok:
                await self.d.record(entry, attempt, "delivered", result.status_code, None, result.duration_ms)
                await msg.ack()
                return
            if attempt >= self.d.settings.max_attempts and not self.halted:
                # Halt every pump of this subscription before the first await: a sibling message
                # reaching its last attempt meanwhile sees `halted` and stays unacknowledged
                # instead of being dead-lettered too (one dead letter disables the endpoint).
                self.halted = True
                self.d.halt(self.webhook.id)
                await self.d.record(entry, attempt, "dead", result.status_code, result.error, result.duration_ms)
                await msg.term()
                await self.d.dead_letter(self, str(event.get("id")),
                                         f"{result.error} after {attempt} attempts")
                return
            await self.d.record(entry, attempt, "failed", result.status_code, result.error, result.duration_ms)
            if self.halted:  # disabled meanwhile: left unacknowledged, redelivered once enabled
                return
            if not await self._wait(msg, backoff_seconds(attempt, self.d.settings.backoff_base,
                                                         self.d.settings.backoff_cap)):
                return  # halted: left unacknowledged, redelivered when the subscription runs again

    async def _wait(self, msg: Msg, delay: float) -> bool:
        delay *= 1 + random.uniform(0, 0.1)  # jitter: retries of many messages do not align
        heartbeat = max(0.05, self.d.settings.ack_wait / 3)
        while delay > 0 and not self.halted:
            await msg.in_progress()
            step = min(delay, heartbeat)
            await asyncio.sleep(step)
            delay -= step
        return not self.halted


class PartnerDispatcher:
    """Runs the pumps of every active subscription (all tenants); `changed()` resyncs at once,
    and a periodic resync picks up changes made through another replica."""

    def __init__(self, js: JetStreamContext, log_: MongoDeliveryLog, delivery: HttpDelivery,
                 auto_disable: Callable[[hooks.AutoDisable], Any], settings: DispatchSettings) -> None:
        self.js, self.log, self.delivery, self.settings = js, log_, delivery, settings
        self._auto_disable = auto_disable
        self._pumps: dict[str, tuple[Pump, asyncio.Task[None]]] = {}
        self._wake = asyncio.Event()
        self._stopped = False

    # --- the `Consumers` port of the use cases ---
    def changed(self) -> None:
        self._wake.set()

    async def last_sequence(self, service: str) -> int:
        info = await self.js.stream_info(naming.stream_name(service))
        return int(info.state.last_seq)

    async def remove(self, consumers: list[tuple[str, str]]) -> None:
        for service, durable in consumers:
            pump = self._pumps.pop(durable, None)
            if pump is not None:
                pump[0].halted = True
                pump[1].cancel()
            with contextlib.suppress(NotFoundError):
                await self.js.delete_consumer(naming.stream_name(service), durable)

    # --- the loop ---
    async def run(self) -> None:
        while not self._stopped:
            self._wake.clear()
            try:
                await self.sync()
            except Exception as exc:  # noqa: BLE001 - MongoDB or NATS unavailable: try again at the next round
                log.warning("partner webhook sync failed", error=f"{type(exc).__name__}: {exc}"[:200])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.sync_seconds)
        for pump, task in self._pumps.values():
            pump.halted = True
            task.cancel()
        if self._pumps:
            await asyncio.wait([t for _, t in self._pumps.values()], timeout=5)
        self._pumps.clear()
        await self.delivery.aclose()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    async def sync(self) -> None:
        wanted: dict[str, tuple[PartnerWebhook, str, Replay | None]] = {}
        for webhook in await self.log.active():
            for service in services_of(webhook.event_types):
                wanted[live_durable(webhook.id, service)] = (webhook, service, None)
            for started in webhook.replays:
                wanted[started.durable] = (webhook, started.service, started)
        for durable in list(self._pumps):
            pump, task = self._pumps[durable]
            if durable not in wanted or task.done():
                pump.halted = True
                if durable not in wanted:
                    task.cancel()
                del self._pumps[durable]
        for durable, (webhook, service, replay) in wanted.items():
            running = self._pumps.get(durable)
            if running is not None:
                running[0].webhook = webhook  # new secrets, status
                continue
            pump = Pump(self, webhook, service, replay)
            self._pumps[durable] = (pump, asyncio.create_task(self._guard(pump), name=f"webhook-{durable}"))

    async def _guard(self, pump: Pump) -> None:
        try:
            await pump.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the next sync starts it again
            log.warning("partner webhook consumer stopped", durable=pump.durable,
                        error=f"{type(exc).__name__}: {exc}"[:200])
            await asyncio.sleep(1)

    async def record(self, entry: dict[str, Any], attempt: int, outcome: str, status: int | None,
                     error: str | None, duration_ms: int) -> None:
        await self.log.record({"_id": new_id(), **entry, "attempt": attempt, "outcome": outcome,
                               "status_code": status, "error": error, "duration_ms": duration_ms, "at": _now()})

    def halt(self, webhook_id: str) -> None:
        for pump, _ in self._pumps.values():
            if pump.webhook.id == webhook_id:
                pump.halted = True

    async def dead_letter(self, pump: Pump, event_id: str, reason: str) -> None:
        self.halt(pump.webhook.id)
        log.warning("partner webhook disabled after a dead letter", webhook_id=pump.webhook.id,
                    tenant=pump.webhook.tenant, event_id=event_id)
        await self._auto_disable(hooks.AutoDisable(pump.webhook.tenant, pump.webhook.id, reason[:300], event_id))

    async def finish_replay(self, pump: Pump) -> None:
        with contextlib.suppress(NotFoundError):
            await self.js.delete_consumer(pump.stream, pump.durable)
        await self.log.replay_done(pump.webhook.tenant, pump.webhook.id, pump.durable)
        self._pumps.pop(pump.durable, None)
