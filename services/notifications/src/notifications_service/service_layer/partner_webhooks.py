"""Use cases of partner webhooks: register, list, disable/enable, rotate, replay, delivery log.

Commands are plain dataclasses; handlers take a unit of work and ports (`TargetCheck`,
`Consumers`) so the unit tests run them with fakes through `bootstrap`."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from alumni_contracts.envelope import EventData
from alumni_contracts.notifications import v1
from notifications_service.domain.partner_webhooks import (
    Mode,
    PartnerWebhook,
    Replay,
    Secret,
    UnknownEventTypes,
    WebhookConflict,
    WebhookDisabled,
    WebhookNotFound,
    live_durable,
    replay_durable,
    services_of,
)
from notifications_service.service_layer.staff_alerts import ManagerNotices, StaffAlerts
from servicekit.domain import DomainEvent, new_id
from servicekit.mongo import Document
from servicekit.uow import after_commit


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def to_contract(event: DomainEvent) -> EventData:
    match event:
        case WebhookDisabled():
            return v1.PartnerWebhookDisabled(webhook_id=event.webhook_id, host=event.host, automatic=event.automatic,
                                             reason=event.reason[:300], dead_event_id=event.dead_event_id,
                                             disabled_at=event.at)
    raise TypeError(f"no contract for {type(event).__name__}")


# --- ports ---------------------------------------------------------------------------------

class WebhookRepository(Protocol):
    async def get(self, tenant: str, webhook_id: str) -> PartnerWebhook | None: ...
    async def list(self, tenant: str) -> list[PartnerWebhook]: ...
    async def save(self, w: PartnerWebhook) -> None: ...
    async def delete(self, tenant: str, webhook_id: str) -> bool: ...


class WebhooksUnitOfWork(Protocol):
    @property
    def webhooks(self) -> WebhookRepository: ...
    @property
    def alerts(self) -> StaffAlerts: ...
    async def __aenter__(self) -> WebhooksUnitOfWork: ...
    async def __aexit__(self, *args: Any) -> None: ...
    async def commit(self) -> None: ...


class TargetCheck(Protocol):
    async def check(self, url: str) -> None:
        """Raise `UnsafeTarget` unless the URL is a public HTTPS endpoint now."""


class Consumers(Protocol):
    """The JetStream side the dispatcher runs: told of changes, asked for stream positions."""

    def changed(self) -> None: ...
    async def last_sequence(self, service: str) -> int: ...
    async def remove(self, consumers: list[tuple[str, str]]) -> None:
        """Delete these (service, durable) consumers; missing ones are fine."""


class DeliveryLog(Protocol):
    async def page(self, tenant: str, webhook_id: str, limit: int, before: str | None) -> list[Document]: ...
    async def erase_webhook(self, tenant: str, webhook_id: str) -> int: ...


# --- commands ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Who:
    tenant: str
    subject: str
    staff: bool


@dataclass(frozen=True)
class CreateWebhook:
    who: Who
    url: str
    event_types: list[str]
    mode: str
    description: str


@dataclass(frozen=True)
class ListWebhooks:
    who: Who


@dataclass(frozen=True)
class GetWebhook:
    who: Who
    webhook_id: str


@dataclass(frozen=True)
class DeleteWebhook:
    who: Who
    webhook_id: str


@dataclass(frozen=True)
class DisableWebhook:
    who: Who
    webhook_id: str


@dataclass(frozen=True)
class EnableWebhook:
    who: Who
    webhook_id: str


@dataclass(frozen=True)
class RotateSecret:
    who: Who
    webhook_id: str
    overlap_hours: int


@dataclass(frozen=True)
class ReplayWebhook:
    who: Who
    webhook_id: str
    from_time: datetime | None
    stream: str | None
    from_sequence: int | None


@dataclass(frozen=True)
class ListDeliveries:
    who: Who
    webhook_id: str
    limit: int
    before: str | None


@dataclass(frozen=True)
class ListEventTypes:
    who: Who


@dataclass(frozen=True)
class Shown:
    """A subscription and, once, its new secret."""

    webhook: PartnerWebhook
    secret: str | None = None


# --- handlers ------------------------------------------------------------------------------

async def _visible(uow: WebhooksUnitOfWork, who: Who, webhook_id: str) -> PartnerWebhook:
    found = await uow.webhooks.get(who.tenant, webhook_id)
    if found is None or not found.visible_to(who.subject, who.staff):
        raise WebhookNotFound(f"no webhook subscription {webhook_id}")
    return found


async def create_webhook(cmd: CreateWebhook, uow: WebhooksUnitOfWork, targets: TargetCheck, consumers: Consumers,
                         event_types: frozenset[str], clock: Callable[[], datetime] = utcnow) -> Shown:
    unknown = sorted(set(cmd.event_types) - event_types)
    if unknown:
        raise UnknownEventTypes(f"not published by the platform: {', '.join(unknown)} "
                                "(GET /api/v1/partner/event-types lists them)")
    await targets.check(cmd.url)
    now, secret = clock(), new_secret()
    webhook = PartnerWebhook(id=new_id(), tenant=cmd.who.tenant, url=cmd.url,
                             event_types=sorted(set(cmd.event_types)), mode=Mode(cmd.mode),
                             description=cmd.description, owner=cmd.who.subject, created_at=now,
                             secrets=[Secret(new_id(), secret, now)])
    webhook.version = 1  # new: inserted, then updated conditionally on its version
    async with uow:
        await uow.webhooks.save(webhook)
        await uow.commit()
    after_commit(consumers.changed)
    return Shown(webhook, secret)


async def list_webhooks(q: ListWebhooks, uow: WebhooksUnitOfWork) -> list[PartnerWebhook]:
    async with uow:
        return [w for w in await uow.webhooks.list(q.who.tenant) if w.visible_to(q.who.subject, q.who.staff)]


async def get_webhook(q: GetWebhook, uow: WebhooksUnitOfWork) -> Shown:
    async with uow:
        return Shown(await _visible(uow, q.who, q.webhook_id))


async def delete_webhook(cmd: DeleteWebhook, uow: WebhooksUnitOfWork, consumers: Consumers,
                         log: DeliveryLog) -> str:
    async with uow:
        webhook = await _visible(uow, cmd.who, cmd.webhook_id)
        await uow.webhooks.delete(cmd.who.tenant, cmd.webhook_id)
        await uow.commit()
    await consumers.remove([*((s, live_durable(webhook.id, s)) for s in services_of(webhook.event_types)),
                            *((r.service, r.durable) for r in webhook.replays)])
    await log.erase_webhook(cmd.who.tenant, webhook.id)
    after_commit(consumers.changed)
    return webhook.id


async def disable_webhook(cmd: DisableWebhook, uow: WebhooksUnitOfWork, consumers: Consumers,
                          clock: Callable[[], datetime] = utcnow) -> Shown:
    async with uow:
        webhook = await _visible(uow, cmd.who, cmd.webhook_id)
        if webhook.disable(f"disabled by {'a manager' if cmd.who.staff else 'the partner'}", clock()):
            await uow.webhooks.save(webhook)
            await uow.commit()
    after_commit(consumers.changed)
    return Shown(webhook)


async def enable_webhook(cmd: EnableWebhook, uow: WebhooksUnitOfWork, targets: TargetCheck,
                         consumers: Consumers) -> Shown:
    async with uow:
        webhook = await _visible(uow, cmd.who, cmd.webhook_id)
        await targets.check(webhook.url)  # an endpoint that moved inside is not re-enabled
        if webhook.enable():
            await uow.webhooks.save(webhook)
            await uow.commit()
    after_commit(consumers.changed)
    return Shown(webhook)


async def rotate_secret(cmd: RotateSecret, uow: WebhooksUnitOfWork, consumers: Consumers,
                        clock: Callable[[], datetime] = utcnow) -> Shown:
    now, secret = clock(), new_secret()
    async with uow:
        webhook = await _visible(uow, cmd.who, cmd.webhook_id)
        webhook.rotate(Secret(new_id(), secret, now), timedelta(hours=cmd.overlap_hours), now)
        await uow.webhooks.save(webhook)
        await uow.commit()
    after_commit(consumers.changed)  # the running consumers sign with the new secret at once
    return Shown(webhook, secret)


async def replay_webhook(cmd: ReplayWebhook, uow: WebhooksUnitOfWork, consumers: Consumers) -> Shown:
    async with uow:
        webhook = await _visible(uow, cmd.who, cmd.webhook_id)
        covered = services_of(webhook.event_types)
        if cmd.stream is not None:
            service = cmd.stream.removeprefix("EVT_").lower()
            if service not in covered:
                raise WebhookConflict(f"the subscription has no event type from {cmd.stream} "
                                      f"(its streams: {', '.join('EVT_' + s.upper() for s in covered)})")
            covered = [service]
        replays = []
        for service in covered:
            last = await consumers.last_sequence(service)
            if last == 0 or (cmd.from_sequence is not None and cmd.from_sequence > last):
                continue
            replays.append(Replay(service, replay_durable(webhook.id, service), last, cmd.from_sequence,
                                  cmd.from_time))
        if not replays:
            raise WebhookConflict("nothing to replay: the stream holds no event at or after that position")
        await consumers.remove([(r.service, r.durable) for r in webhook.replays])  # a new replay replaces one
        webhook.start_replay(replays)
        await uow.webhooks.save(webhook)
        await uow.commit()
    after_commit(consumers.changed)
    return Shown(webhook)


async def list_deliveries(q: ListDeliveries, uow: WebhooksUnitOfWork, log: DeliveryLog) -> list[Document]:
    async with uow:
        await _visible(uow, q.who, q.webhook_id)
    return await log.page(q.who.tenant, q.webhook_id, q.limit, q.before)


async def list_event_types(q: ListEventTypes, event_types: frozenset[str]) -> list[str]:
    return sorted(event_types)


@dataclass(frozen=True)
class AutoDisable:
    """The dispatcher dead-lettered an event: the endpoint is disabled and the managers told
    (`partner_webhook_disabled`)."""

    tenant: str
    webhook_id: str
    reason: str
    dead_event_id: str


async def auto_disable(cmd: AutoDisable, uow: WebhooksUnitOfWork, consumers: Consumers,
                       clock: Callable[[], datetime] = utcnow, notices: ManagerNotices | None = None) -> bool:
    """Disable the endpoint, publish `partner_webhook_disabled` and, in the same transaction,
    queue the managers' email and the staff alert (`service_layer.staff_alerts`): once per disable."""
    async with uow:
        webhook = await uow.webhooks.get(cmd.tenant, cmd.webhook_id)
        if webhook is None or not webhook.disable(cmd.reason, clock(), automatic=True, dead_event_id=cmd.dead_event_id):
            return False
        await uow.webhooks.save(webhook)
        if notices is not None:
            disabled = next(e for e, _ in reversed(webhook.pending_events()) if isinstance(e, WebhookDisabled))
            await notices.queue(uow.alerts, webhook, disabled)
        await uow.commit()
    consumers.changed()
    return True
