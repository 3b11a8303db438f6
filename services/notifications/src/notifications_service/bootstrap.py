"""Composition root of the notifications service.

`bootstrap` wires use cases to whatever adapters it is given (fakes in unit tests);
`build` gives it MongoDB, SMTP and the Jinja2 templates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from notifications_service.adapters.mongo_repository import (
    CONTACTS,
    DUES_MEMBERSHIPS,
    INDEXES,
    NOTIFICATIONS,
    MongoDeliveryQueue,
    reminder_candidates,
)
from notifications_service.adapters.smtp import SmtpMailer
from notifications_service.adapters.templates import JinjaRenderer
from notifications_service.adapters.unit_of_work import MongoNotificationsUnitOfWork
from notifications_service.config import NotificationsSettings
from notifications_service.domain.reminders import MembershipView, ReminderPolicy
from notifications_service.entrypoints import partner_webhooks
from notifications_service.entrypoints.mailer_worker import mailer_worker
from notifications_service.entrypoints.subscribers import event_handlers
from notifications_service.service_layer import handlers
from notifications_service.service_layer.contract_mapping import to_contract
from notifications_service.service_layer.ports import DeliveryQueue, Mailer, NotificationsUnitOfWork, Renderer
from servicekit.data_export import export_handler
from servicekit.mongo import Document
from servicekit.periodic import Sweep
from servicekit.runtime import Infrastructure, ServiceParts
from servicekit.worker import WorkLoop


def export_queries(tenant: str, member_id: str) -> dict[str, Document]:
    return {CONTACTS: {"tenant": tenant, "_id": member_id},
            NOTIFICATIONS: {"tenant": tenant, "member_id": member_id},
            DUES_MEMBERSHIPS: {"tenant": tenant, "member_id": member_id}}


def bootstrap(uow_factory: Callable[[], NotificationsUnitOfWork], queue: DeliveryQueue, mailer: Mailer,
              renderer: Renderer, settings: NotificationsSettings) -> tuple[ServiceParts, WorkLoop]:
    worker = mailer_worker(queue, mailer, uow_factory, batch_size=settings.delivery_batch_size,
                           max_attempts=settings.delivery_max_attempts, poll_seconds=settings.delivery_poll_seconds)
    parts = ServiceParts(events=event_handlers(uow_factory, renderer, settings.message_id_domain, worker.wake),
                         workers=[worker.run], stoppers=[worker.stop])
    return parts, worker


def build(infra: Infrastructure) -> ServiceParts:
    settings = infra.settings
    assert isinstance(settings, NotificationsSettings)

    def uow() -> MongoNotificationsUnitOfWork:
        return MongoNotificationsUnitOfWork(infra.mongo, settings.mongo_db, to_contract, infra.wakeup,
                                            settings.delivery_lease_seconds)

    mailer = SmtpMailer(settings.smtp_host, settings.smtp_port, settings.mail_from,
                        username=settings.smtp_username, password=settings.smtp_password,
                        starttls=settings.smtp_starttls, timeout=settings.smtp_timeout)
    renderer = JinjaRenderer()
    parts, worker = bootstrap(uow, MongoDeliveryQueue(infra.db, settings.delivery_lease_seconds), mailer,
                              renderer, settings)
    policy = ReminderPolicy(settings.reminder_notice_days, settings.reminder_grace_fraction)

    async def candidates(now: datetime, notice_days: int) -> list[MembershipView]:
        return await reminder_candidates(infra.db, now, notice_days)

    async def send_reminders() -> None:
        if await handlers.queue_due_reminders(candidates, uow, renderer, policy, settings.message_id_domain):
            worker.wake()

    # Leased: one replica at a time; each run catches up whatever came due meanwhile.
    reminders = Sweep("notifications", "dues-reminders", send_reminders, settings.reminder_sweep_seconds,
                      db=infra.db)
    parts.workers = [*parts.workers, reminders.run]
    parts.stoppers = [*parts.stoppers, reminders.stop]
    parts.requests = [*parts.requests, export_handler("notifications", infra.db, export_queries)]
    parts.indexes = INDEXES
    webhooks = partner_webhooks.build(infra)
    parts.requests = [*parts.requests, *webhooks.requests]
    parts.workers = [*parts.workers, *webhooks.workers]
    parts.stoppers = [*parts.stoppers, *webhooks.stoppers]
    parts.indexes = [*parts.indexes, *webhooks.indexes]
    return parts
