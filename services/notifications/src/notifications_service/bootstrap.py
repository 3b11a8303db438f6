"""Composition root of the notifications service.

`bootstrap` wires use cases to whatever adapters it is given (fakes in unit tests);
`build` gives it MongoDB, SMTP and the Jinja2 templates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import cast

from notifications_service.adapters.gatherings import GATHERING_INDEXES, REGISTRANTS, MongoGatheringsUnitOfWork
from notifications_service.adapters.job_alerts_repository import INDEXES as JOB_ALERT_INDEXES
from notifications_service.adapters.job_alerts_repository import JOB_ALERTS
from notifications_service.adapters.markdown import MarkdownRenderer
from notifications_service.adapters.mongo_repository import (
    ADDRESSES,
    CONTACTS,
    DUES_MEMBERSHIPS,
    FEED,
    INDEXES,
    NOTIFICATIONS,
    PREFERENCES,
    MongoDeliveryQueue,
    reminder_candidates,
)
from notifications_service.adapters.newsletters import (
    NEWSLETTER_INDEXES,
    MongoNewslettersUnitOfWork,
    due_newsletters,
    figures_reader,
)
from notifications_service.adapters.smtp import SmtpMailer, TenantRate
from notifications_service.adapters.templates import JinjaRenderer
from notifications_service.adapters.tickets import TicketFiles
from notifications_service.config import NotificationsSettings
from notifications_service.domain.bounces import BouncePolicy
from notifications_service.domain.branding import Brand
from notifications_service.domain.reminders import MembershipView, ReminderPolicy
from notifications_service.domain.rsvp_links import RsvpLinks
from notifications_service.domain.unsubscribe import UnsubscribeSigner
from notifications_service.entrypoints import job_alert_use_cases, partner_webhooks
from notifications_service.entrypoints.event_invitation_subscribers import INVITATION_USE_CASES, invitation_handlers
from notifications_service.entrypoints.gathering_subscribers import gathering_handlers
from notifications_service.entrypoints.mailer_worker import mailer_worker
from notifications_service.entrypoints.newsletter_use_cases import NEWSLETTER_USE_CASES
from notifications_service.entrypoints.subscribers import event_handlers
from notifications_service.entrypoints.use_cases import USE_CASES
from notifications_service.service_layer import gatherings, handlers, job_alerts, member_notifications, newsletters
from notifications_service.service_layer.contract_mapping import to_contract
from notifications_service.service_layer.event_invitations import RsvpUrls, check_rsvp_link
from notifications_service.service_layer.mailer import Composer
from notifications_service.service_layer.ports import (
    DeliveryQueue,
    Mailer,
    NotificationsUnitOfWork,
    Renderer,
    SendRate,
)
from servicekit.bus import MessageBus, fresh, serve
from servicekit.data_export import export_handler
from servicekit.mongo import Document
from servicekit.periodic import Sweep
from servicekit.rpc import RequestHandler
from servicekit.runtime import Infrastructure, ServiceParts
from servicekit.sealed import Sealer
from servicekit.segments import AUDIENCE, AUDIENCE_INDEXES, MongoAudienceUnitOfWork, audience_handlers
from servicekit.worker import WorkLoop


def export_queries(tenant: str, member_id: str) -> dict[str, Document]:
    return {CONTACTS: {"tenant": tenant, "_id": member_id},
            NOTIFICATIONS: {"tenant": tenant, "member_id": member_id},
            DUES_MEMBERSHIPS: {"tenant": tenant, "member_id": member_id},
            FEED: {"tenant": tenant, "member_id": member_id},
            PREFERENCES: {"tenant": tenant, "_id": member_id},
            ADDRESSES: {"tenant": tenant, "member_id": member_id},
            AUDIENCE: {"tenant": tenant, "_id": member_id},
            JOB_ALERTS: {"tenant": tenant, "_id": member_id},
            REGISTRANTS: {"tenant": tenant, "member_id": member_id}}


def composer_for(renderer: Renderer, settings: NotificationsSettings) -> Composer:
    brands = {tenant: Brand(**values) for tenant, values in settings.brands().items()}
    signer = UnsubscribeSigner(settings.unsubscribe_secret.get_secret_value(),
                               timedelta(days=settings.unsubscribe_ttl_days))
    return Composer(renderer, lambda tenant: brands.get(tenant) or Brand(name=tenant.capitalize()), signer,
                    settings.public_url, settings.message_id_domain)


def bootstrap(uow_factory: Callable[[], NotificationsUnitOfWork], queue: DeliveryQueue, mailer: Mailer,
              renderer: Renderer, settings: NotificationsSettings, rate: SendRate | None = None
              ) -> tuple[ServiceParts, WorkLoop]:
    composer = composer_for(renderer, settings)
    bounce_policy = BouncePolicy(soft_limit=settings.soft_bounce_limit)
    worker = mailer_worker(queue, mailer, uow_factory, batch_size=settings.delivery_batch_size,
                           max_attempts=settings.delivery_max_attempts, poll_seconds=settings.delivery_poll_seconds,
                           rate=rate, bounce_policy=bounce_policy,
                           concurrency=getattr(mailer, "pool_size", 1), settle_every=settings.delivery_settle_every,
                           lease_seconds=settings.delivery_lease_seconds)
    urls = RsvpUrls(RsvpLinks(settings.unsubscribe_secret.get_secret_value()), settings.public_url)
    bus = MessageBus.wire([*member_notifications.HANDLERS, check_rsvp_link], uow=fresh(uow_factory),
                          signer=composer.signer, urls=urls,
                          bounce_secret=settings.bounce_webhook_secret.get_secret_value(),
                          bounce_policy=bounce_policy)
    alerts_bus = MessageBus.wire(job_alerts.HANDLERS, uow=fresh(uow_factory))
    public_url = settings.public_url.rstrip("/")

    def job_url(tenant: str, job_id: str) -> str:
        return f"{public_url}/console#jobs"

    async def run_mailer() -> None:
        try:
            await worker.run()
        finally:
            close = getattr(mailer, "close", None)  # the SMTP pool: QUIT its idle sessions
            if close is not None:
                await close()

    # Gatherings' messages (issue 11): their unit of work adds two projections to the service's own
    # (adapters/gatherings.py); the sealer opens the ticket codes the events service sealed.
    sealer = Sealer.from_setting(settings.ticket_seal_secrets.get_secret_value(), gatherings.TICKET_SEAL_PURPOSE)
    parts = ServiceParts(requests=[*serve([*USE_CASES, *INVITATION_USE_CASES], bus),
                                   *serve(job_alert_use_cases.USE_CASES, alerts_bus)],
                         events=[*event_handlers(uow_factory, composer, worker.wake),
                                 *invitation_handlers(uow_factory, composer, urls, worker.wake),
                                 job_alert_use_cases.job_posted_handler(
                                     uow_factory, composer, job_url, worker.wake),
                                 *gathering_handlers(cast(Callable[[], gatherings.GatheringsUnitOfWork], uow_factory),
                                                     composer, TicketFiles(), sealer, worker.wake)],
                         workers=[run_mailer], stoppers=[worker.stop])
    return parts, worker


def build(infra: Infrastructure) -> ServiceParts:
    settings = infra.settings
    assert isinstance(settings, NotificationsSettings)

    def uow() -> MongoGatheringsUnitOfWork:  # the service's own, plus the gatherings' projections
        return MongoGatheringsUnitOfWork(infra.mongo, settings.mongo_db, to_contract, infra.wakeup,
                                         settings.delivery_lease_seconds)

    mailer = SmtpMailer(settings.smtp_host, settings.smtp_port, settings.mail_from,
                        username=settings.smtp_username, password=settings.smtp_password,
                        starttls=settings.smtp_starttls, timeout=settings.smtp_timeout,
                        pool_size=settings.smtp_pool_size,
                        max_messages_per_connection=settings.smtp_max_messages_per_connection,
                        idle_seconds=settings.smtp_idle_seconds)
    renderer = JinjaRenderer()
    parts, worker = bootstrap(uow, MongoDeliveryQueue(infra.db, settings.delivery_lease_seconds), mailer,
                              renderer, settings, TenantRate(settings.send_rate_per_tenant))
    composer = composer_for(renderer, settings)
    policy = ReminderPolicy(settings.reminder_notice_days, settings.reminder_grace_fraction)

    async def candidates(now: datetime, notice_days: int) -> list[MembershipView]:
        return await reminder_candidates(infra.db, now, notice_days)

    async def send_reminders() -> None:
        if await handlers.queue_due_reminders(candidates, uow, composer, policy):
            worker.wake()

    # Leased: one replica at a time; each run catches up whatever came due meanwhile.
    reminders = Sweep("notifications", "dues-reminders", send_reminders, settings.reminder_sweep_seconds,
                      db=infra.db)
    parts.workers = [*parts.workers, reminders.run]
    parts.stoppers = [*parts.stoppers, reminders.stop]
    parts.requests = [*parts.requests, export_handler("notifications", infra.db, export_queries)]

    def audience_uow() -> MongoAudienceUnitOfWork:  # segments: newsletters target this projection
        return MongoAudienceUnitOfWork(infra.mongo, settings.mongo_db, lambda _: None)

    parts.events = [*parts.events, *audience_handlers("notifications", audience_uow)]
    requests, fan_out = newsletters_parts(infra, settings, composer, worker.wake)
    parts.requests = [*parts.requests, *requests]
    parts.workers = [*parts.workers, fan_out.run]
    parts.stoppers = [*parts.stoppers, fan_out.stop]
    parts.indexes = [*INDEXES, *AUDIENCE_INDEXES, *NEWSLETTER_INDEXES, *JOB_ALERT_INDEXES, *GATHERING_INDEXES]
    webhooks = partner_webhooks.build(infra)
    parts.requests = [*parts.requests, *webhooks.requests]
    parts.workers = [*parts.workers, *webhooks.workers]
    parts.stoppers = [*parts.stoppers, *webhooks.stoppers]
    parts.indexes = [*parts.indexes, *webhooks.indexes]
    return parts


def newsletters_parts(infra: Infrastructure, settings: NotificationsSettings, composer: Composer,
                      wake_mailer: Callable[[], None]) -> tuple[list[RequestHandler], Sweep]:
    """Newsletters (issue 13 item 4): their use cases and the leased, resumable fan-out sweep."""
    markdown = MarkdownRenderer()

    def uow() -> MongoNewslettersUnitOfWork:
        return MongoNewslettersUnitOfWork(infra.mongo, settings.mongo_db,
                                          partial(newsletters.newsletter_contract, fallback=to_contract),
                                          infra.wakeup, settings.delivery_lease_seconds)

    async def due(now: datetime) -> list[tuple[str, str]]:
        return await due_newsletters(infra.db, now)

    figures = figures_reader(infra.db)

    async def run_fan_out() -> None:
        backpressure = newsletters.Backpressure(figures, settings.newsletter_max_pending,
                                                stopping=lambda: sweep.loop.stopping)
        await newsletters.fan_out_due(due, uow, composer, markdown, settings.newsletter_batch_size, wake_mailer,
                                      backpressure=backpressure)

    sweep = Sweep("notifications", "newsletter-fan-out", run_fan_out, settings.newsletter_sweep_seconds, db=infra.db)
    bus = MessageBus.wire(newsletters.HANDLERS, uow=fresh(uow), figures=figures,
                          composer=composer, markdown=markdown, wake_fan_out=sweep.wake)
    return serve(NEWSLETTER_USE_CASES, bus), sweep
