"""Partner webhooks: the use case declarations, their wiring, and the delivery worker.

`wire` composes the use cases with whatever adapters it is given (fakes in unit tests);
`build` gives it MongoDB, JetStream and HTTP. `bootstrap.build` adds what it returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from alumni_contracts import naming
from alumni_contracts.notifications import alerts as al
from alumni_contracts.notifications import partner_webhooks as pw
from alumni_contracts.registry import REGISTRY
from alumni_contracts.rpc import STAFF, Role
from notifications_service.adapters.http_delivery import HttpDelivery
from notifications_service.adapters.partner_webhooks_repository import (
    INDEXES,
    MongoDeliveryLog,
    MongoPartnerWebhooksUnitOfWork,
)
from notifications_service.adapters.secret_box import SecretBox
from notifications_service.config import NotificationsSettings
from notifications_service.domain.partner_webhooks import PartnerWebhook
from notifications_service.entrypoints.partner_dispatcher import DispatchSettings, PartnerDispatcher
from notifications_service.service_layer import partner_webhooks as hooks
from notifications_service.service_layer import staff_alerts as sa
from servicekit.bus import Caller, MessageBus, UseCase, fresh, serve
from servicekit.logging import get_logger
from servicekit.mongo import Document, IndexSpec
from servicekit.retry import is_write_conflict, retry_transient
from servicekit.rpc import RequestHandler
from servicekit.runtime import Infrastructure

PARTNERS_AND_STAFF: frozenset[Role] = frozenset({Role.PARTNER, *STAFF})
EVENT_TYPES = frozenset(m.type_name() for m in REGISTRY.models())


def command(name: str) -> str:
    return naming.command_subject("notifications", name)


def query(name: str) -> str:
    return naming.query_subject("notifications", name)


def who(caller: Caller) -> hooks.Who:
    return hooks.Who(caller.tenant, caller.subject, caller.staff)


def webhook_out(shown: hooks.Shown | PartnerWebhook) -> pw.PartnerWebhookOut:
    w, secret = (shown.webhook, shown.secret) if isinstance(shown, hooks.Shown) else (shown, None)
    replay = ", ".join(f"EVT_{r.service.upper()} " + (f"from #{r.from_sequence}" if r.from_sequence is not None
                                                     else f"from {r.from_time:%Y-%m-%d %H:%M} UTC" if r.from_time
                                                     else "") + f" to #{r.until_sequence}" for r in w.replays)
    return pw.PartnerWebhookOut(
        webhook_id=w.id, url=w.url, event_types=w.event_types, mode=pw.ContentMode(w.mode.value),
        description=w.description, status=pw.WebhookStatus(w.status.value), disabled_reason=w.disabled_reason,
        owner=w.owner, created_at=w.created_at,
        secrets=[pw.SecretOut(secret_id=s.id, created_at=s.created_at, expires_at=s.expires_at) for s in w.secrets],
        secret=secret, replay=replay or None)


def webhooks_out(found: list[PartnerWebhook]) -> pw.PartnerWebhookList:
    return pw.PartnerWebhookList(items=[webhook_out(w) for w in found])


def deliveries_out(found: list[Document]) -> pw.DeliveryPage:
    items = [pw.DeliveryOut(
        event_id=d["event_id"], event_type=d["event_type"], stream=d["stream"], stream_sequence=d["stream_sequence"],
        attempt=d["attempt"], outcome=pw.DeliveryOutcome(d["outcome"]), status_code=d.get("status_code"),
        error=d.get("error"), duration_ms=d.get("duration_ms", 0), replay=bool(d.get("replay")),
        at=d["at"] if d["at"].tzinfo else d["at"].replace(tzinfo=UTC)) for d in found]
    return pw.DeliveryPage(items=items, next=found[-1]["_id"] if found else None)


def staff_alerts_out(found: sa.StaffAlertsView) -> al.StaffAlertsOut:
    alerts, subject, lang = found.alerts, found.subject, found.lang
    items = [al.StaffAlertOut(alert_id=x.id, kind=x.kind, about=x.about, title=x.title.get(lang, x.title["fr"]),
                              body=x.body.get(lang, x.body["fr"]), created_at=x.created_at,
                              read=subject in x.read_by) for x in alerts]
    return al.StaffAlertsOut(items=items, unread=sum(not i.read for i in items))


USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=query(al.LIST_STAFF_ALERTS), request=al.ListStaffAlerts, roles=STAFF,
            message=lambda r, c: sa.ListStaffAlerts(c.tenant, c.subject, r.limit, r.lang), reply=staff_alerts_out,
            description="The staff's alerts (a partner webhook disabled automatically), with your read marks."),
    UseCase(subject=command(al.MARK_STAFF_ALERTS_READ), request=al.MarkStaffAlertsRead, roles=STAFF,
            idempotent=True,
            message=lambda r, c: sa.MarkStaffAlertsRead(c.tenant, c.subject, None if r.all else list(r.alert_ids)),
            reply=lambda marked: al.StaffAlertsMarkedRead(marked=marked),
            description="Mark some (or all) staff alerts read, for yourself."),
    UseCase(subject=command(pw.CREATE_PARTNER_WEBHOOK), request=pw.CreatePartnerWebhook, roles=PARTNERS_AND_STAFF,
            idempotent=True, message=lambda r, c: hooks.CreateWebhook(who(c), r.url, list(r.event_types),
                                                                      r.mode.value, r.description),
            reply=webhook_out, description="Register a webhook endpoint for event types; returns its secret once."),
    UseCase(subject=query(pw.LIST_PARTNER_WEBHOOKS), request=pw.ListPartnerWebhooks, roles=PARTNERS_AND_STAFF,
            message=lambda r, c: hooks.ListWebhooks(who(c)), reply=webhooks_out,
            description="The subscriptions (a partner: its own; managers: the tenant's)."),
    UseCase(subject=query(pw.GET_PARTNER_WEBHOOK), request=pw.PartnerWebhookRef, roles=PARTNERS_AND_STAFF,
            message=lambda r, c: hooks.GetWebhook(who(c), r.webhook_id), reply=webhook_out,
            description="One subscription."),
    UseCase(subject=command(pw.DELETE_PARTNER_WEBHOOK), request=pw.PartnerWebhookRef, roles=PARTNERS_AND_STAFF,
            message=lambda r, c: hooks.DeleteWebhook(who(c), r.webhook_id),
            reply=lambda webhook_id: pw.Deleted(webhook_id=webhook_id),
            description="Delete a subscription, its consumers and its delivery log."),
    UseCase(subject=command(pw.DISABLE_PARTNER_WEBHOOK), request=pw.PartnerWebhookRef, roles=PARTNERS_AND_STAFF,
            message=lambda r, c: hooks.DisableWebhook(who(c), r.webhook_id), reply=webhook_out,
            description="Stop deliveries (the position is kept)."),
    UseCase(subject=command(pw.ENABLE_PARTNER_WEBHOOK), request=pw.PartnerWebhookRef, roles=PARTNERS_AND_STAFF,
            message=lambda r, c: hooks.EnableWebhook(who(c), r.webhook_id), reply=webhook_out,
            description="Resume deliveries where they stopped."),
    UseCase(subject=command(pw.ROTATE_PARTNER_WEBHOOK_SECRET), request=pw.RotatePartnerWebhookSecret,
            roles=PARTNERS_AND_STAFF, idempotent=True,
            message=lambda r, c: hooks.RotateSecret(who(c), r.webhook_id, r.overlap_hours), reply=webhook_out,
            description="A new signing secret (shown once); the old one keeps signing during the overlap."),
    UseCase(subject=command(pw.REPLAY_PARTNER_WEBHOOK), request=pw.ReplayPartnerWebhook, roles=PARTNERS_AND_STAFF,
            idempotent=True, message=lambda r, c: hooks.ReplayWebhook(who(c), r.webhook_id, r.from_time, r.stream,
                                                                      r.from_sequence),
            reply=webhook_out, description="Deliver again from a stream sequence or a date."),
    UseCase(subject=query(pw.LIST_PARTNER_WEBHOOK_DELIVERIES), request=pw.ListPartnerWebhookDeliveries,
            roles=PARTNERS_AND_STAFF,
            message=lambda r, c: hooks.ListDeliveries(who(c), r.webhook_id, r.limit, r.before),
            reply=deliveries_out, description="The delivery log of a subscription, newest first."),
    UseCase(subject=query(pw.LIST_PARTNER_EVENT_TYPES), request=pw.ListPartnerEventTypes, roles=PARTNERS_AND_STAFF,
            message=lambda r, c: hooks.ListEventTypes(who(c)), reply=lambda items: pw.PartnerEventTypes(items=items),
            description="The event types a subscription may name."),
]

HANDLERS: list[Callable[..., Awaitable[Any]]] = [
    hooks.create_webhook, hooks.list_webhooks, hooks.get_webhook, hooks.delete_webhook, hooks.disable_webhook,
    hooks.enable_webhook, hooks.rotate_secret, hooks.replay_webhook,
    hooks.list_deliveries, hooks.list_event_types, hooks.auto_disable, sa.list_staff_alerts,
    sa.mark_staff_alerts_read]


def wire(uow_factory: Callable[[], hooks.WebhooksUnitOfWork], targets: hooks.TargetCheck, consumers: hooks.Consumers,
         log: hooks.DeliveryLog, notices: sa.ManagerNotices | None = None) -> tuple[MessageBus, list[RequestHandler]]:
    bus = MessageBus.wire(HANDLERS, uow=fresh(uow_factory), targets=targets, consumers=consumers, log=log,
                          event_types=EVENT_TYPES, notices=notices)
    return bus, serve(USE_CASES, bus)


def dispatch_settings(s: NotificationsSettings) -> DispatchSettings:
    return DispatchSettings(max_attempts=s.partner_webhook_max_attempts, backoff_base=s.partner_webhook_backoff_seconds,
                            backoff_cap=s.partner_webhook_backoff_cap_seconds,
                            concurrency=s.partner_webhook_concurrency, ack_wait=s.partner_webhook_ack_wait_seconds,
                            fetch_wait=s.partner_webhook_fetch_wait_seconds, sync_seconds=s.partner_webhook_sync_seconds)


@dataclass
class PartnerWebhooksParts:
    requests: list[RequestHandler]
    workers: list[Callable[[], Any]] = field(default_factory=list)
    stoppers: list[Callable[[], None]] = field(default_factory=list)
    indexes: list[IndexSpec] = field(default_factory=list)


def build(infra: Infrastructure) -> PartnerWebhooksParts:
    settings = infra.settings
    assert isinstance(settings, NotificationsSettings)

    box = SecretBox.from_config(settings.webhook_secret_keys.get_secret_value(), settings.webhook_secret_key_id)
    if box.uses_dev_key:
        get_logger(__name__).warning("partner webhook secrets are encrypted with the development key: set "
                                     "NOTIFICATIONS_WEBHOOK_SECRET_KEYS in production")

    def uow() -> MongoPartnerWebhooksUnitOfWork:
        return MongoPartnerWebhooksUnitOfWork(infra.mongo, settings.mongo_db, hooks.to_contract, infra.wakeup, box)

    from notifications_service.adapters.templates import JinjaRenderer
    from notifications_service.bootstrap import composer_for  # the composition root's own helper

    notices = sa.ManagerNotices(composer_for(JinjaRenderer(), settings), sa.managers_from(settings.managers()))
    delivery = HttpDelivery(settings.partner_webhook_timeout_seconds, settings.partner_webhooks_allow_loopback,
                            settings.partner_webhook_max_redirects)
    log = MongoDeliveryLog(infra.db, box)
    holder: list[MessageBus] = []

    async def auto_disable(cmd: hooks.AutoDisable) -> Any:
        return await retry_transient(lambda: holder[0].handle(cmd), retry_if=is_write_conflict)

    dispatcher = PartnerDispatcher(infra.js, log, delivery, auto_disable, dispatch_settings(settings))
    bus, requests = wire(uow, delivery, dispatcher, log, notices)
    holder.append(bus)
    return PartnerWebhooksParts(requests, [dispatcher.run], [dispatcher.stop], list(INDEXES))
