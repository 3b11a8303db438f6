"""Use cases: queue a welcome email (in the event's transaction), then deliver it.

Sending is split from queueing on purpose: the inbound event is acknowledged once the
notification is durably queued, and delivery has its own retries. A crash after the SMTP
server accepted the message but before it was marked sent is the one ambiguous window: the
retry re-sends with the *same* Message-ID, which receivers can deduplicate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from notifications_service.domain.model import Notification, OutgoingEmail
from notifications_service.service_layer.commands import (
    RecordConsentState,
    SendDuesReminder,
    SendGroupInvitation,
    SendWelcome,
    UpdateContact,
)
from notifications_service.service_layer.ports import (
    DeliveryQueue,
    Mailer,
    NotificationsUnitOfWork,
    PermanentDeliveryError,
    Renderer,
)
from servicekit import context
from servicekit.domain import utcnow
from servicekit.erasure import EraseMemberData
from servicekit.logging import bound, get_logger
from servicekit.retry import backoff_delay, retry_transient

log = get_logger(__name__)
WELCOME = "welcome"
PARIS = ZoneInfo("Europe/Paris")
GROUP_INVITATION = "group_invitation"
DUES_REMINDER = "dues_reminder"
# Profile fields and each consent purpose follow their own aggregate version: the events that
# carry them reach this service through different consumers, in any order.
PROFILE_VERSION = "profile_version"


async def queue_welcome(cmd: SendWelcome, uow: NotificationsUnitOfWork, renderer: Renderer,
                        message_id_domain: str) -> str | None:
    """The welcome email's notification id, or None when there is none to send: a member
    imported in bulk (nobody asked for it) or without an email (nowhere to send it)."""
    notification = None
    if cmd.email is not None and not cmd.imported:
        subject, body = renderer.render(WELCOME, cmd.locale, {
            "first_name": cmd.first_name, "last_name": cmd.last_name,
            "program": cmd.program, "graduation_year": cmd.graduation_year})
        key = Notification.delivery_key(WELCOME, cmd.cause_event_id)
        notification = Notification.compose(
            tenant=cmd.tenant, member_id=cmd.member_id, template=WELCOME, cause_event_id=cmd.cause_event_id,
            correlation_id=context.current().correlation_id,
            email=OutgoingEmail(to=cmd.email, subject=subject, body_text=body, locale=cmd.locale,
                                message_id=f"<{key}@{message_id_domain}>"))
    async with uow:
        if not await uow.contacts.erased(cmd.tenant, cmd.member_id):  # a late event about an erased member
            await uow.contacts.apply(cmd.tenant, cmd.member_id, cmd.member_version, {
                "email": cmd.email, "locale": cmd.locale, "first_name": cmd.first_name, "last_name": cmd.last_name,
                "contactable": cmd.email is not None}, PROFILE_VERSION)
            if notification is not None:
                await uow.notifications.add_if_absent(notification)
        await uow.commit()
    return notification.id if notification else None


async def queue_group_invitation(cmd: SendGroupInvitation, uow: NotificationsUnitOfWork, renderer: Renderer,
                                 message_id_domain: str) -> str | None:
    """A service message (no marketing consent needed), sent only to a contactable member this
    service knows; returns the notification id, or None when nobody is to be written to."""
    key = Notification.delivery_key(GROUP_INVITATION, cmd.cause_event_id)
    async with uow:
        contact = await uow.contacts.get(cmd.tenant, cmd.member_id)
        queued = None
        if contact is not None and contact.get("contactable", True) and contact.get("email"):
            locale = str(contact.get("locale") or "fr")
            subject, body = renderer.render(GROUP_INVITATION, locale, {
                "first_name": contact.get("first_name", ""), "group_name": cmd.group_name})
            notification = Notification.compose(
                tenant=cmd.tenant, member_id=cmd.member_id, template=GROUP_INVITATION, cause_event_id=cmd.cause_event_id,
                correlation_id=context.current().correlation_id,
            email=OutgoingEmail(to=str(contact["email"]), subject=subject, body_text=body, locale=locale,
                                    message_id=f"<{key}@{message_id_domain}>"))
            await uow.notifications.add_if_absent(notification)
            queued = notification.id
        await uow.commit()
    return queued


async def queue_dues_reminder(cmd: SendDuesReminder, uow: NotificationsUnitOfWork, renderer: Renderer,
                              message_id_domain: str) -> str | None:
    """A service message about the member's own dues (no marketing consent needed), only to a
    contactable member. Keyed by the transition event: one reminder per (member, period, stage),
    whatever the redeliveries, crashes or replicas."""
    key = Notification.delivery_key(DUES_REMINDER, cmd.cause_event_id)
    async with uow:
        contact = await uow.contacts.get(cmd.tenant, cmd.member_id)
        queued = None
        if contact is not None and contact.get("contactable", True) and contact.get("email"):
            locale = str(contact.get("locale") or "fr")
            until = cmd.until.astimezone(PARIS).strftime("%d/%m/%Y" if locale == "fr" else "%Y-%m-%d") \
                if cmd.until else ""
            subject, body = renderer.render(DUES_REMINDER, locale, {
                "first_name": contact.get("first_name", ""), "stage": cmd.stage, "until": until,
                "missed_instalment": cmd.missed_instalment})
            notification = Notification.compose(
                tenant=cmd.tenant, member_id=cmd.member_id, template=DUES_REMINDER, cause_event_id=cmd.cause_event_id,
                correlation_id=context.current().correlation_id,
                email=OutgoingEmail(to=str(contact["email"]), subject=subject, body_text=body, locale=locale,
                                    message_id=f"<{key}@{message_id_domain}>"))
            if await uow.notifications.add_if_absent(notification):
                queued = notification.id
        await uow.commit()
    return queued


async def update_contact(cmd: UpdateContact, uow: NotificationsUnitOfWork) -> None:
    async with uow:
        await uow.contacts.apply(cmd.tenant, cmd.member_id, cmd.member_version, {
            "email": cmd.email, "locale": cmd.locale, "first_name": cmd.first_name, "last_name": cmd.last_name,
            "email_bounced": cmd.email_bounced, "mail_returned": cmd.mail_returned, "deceased": cmd.deceased,
            # No email at all without an address, to a bouncing one, or to a member known to be deceased.
            "contactable": not (cmd.email is None or cmd.email_bounced or cmd.deceased)}, PROFILE_VERSION)
        await uow.commit()


async def record_consent_state(cmd: RecordConsentState, uow: NotificationsUnitOfWork) -> None:
    async with uow:
        await uow.contacts.apply(cmd.tenant, cmd.member_id, cmd.member_version,
                                 {f"consents.{cmd.purpose}": cmd.granted}, f"consent_versions.{cmd.purpose}")
        await uow.commit()


async def erase_recipient(uow: NotificationsUnitOfWork, cmd: EraseMemberData
                          ) -> tuple[dict[str, int], dict[str, int]]:
    """Contact details, consent states and every message (the rendered text names them)."""
    return {"contacts": await uow.contacts.erase(cmd.tenant, cmd.member_id),
            "notifications": await uow.notifications.erase_for(cmd.tenant, cmd.member_id)}, {}


async def deliver_due(queue: DeliveryQueue, mailer: Mailer, uow_factory: Callable[[], NotificationsUnitOfWork],
                      *, batch_size: int, max_attempts: int, clock: Callable[[], datetime] = utcnow,
                      stopping: Callable[[], bool] = lambda: False) -> int:
    """One delivery round; returns how many notifications were settled (sent or failed). Once
    `stopping` (the process is shutting down), the notifications not yet sent are given back."""
    token, due = await queue.claim(batch_size)
    settled = 0
    for index, notification in enumerate(due):
        if stopping():
            await queue.release([n.id for n in due[index:]], token)
            break
        assert notification.email is not None
        try:
            await mailer.send(notification.email)
        except PermanentDeliveryError as exc:
            notification.mark_failed(str(exc))
            log.warning("email refused for good", notification_id=notification.id, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - SMTP server down, timeout: retry later
            attempts = notification.attempts + 1
            if attempts < max_attempts:
                delay = backoff_delay(attempts, 1.0, 300.0)
                log.warning("email delivery failed, will retry", notification_id=notification.id,
                            attempts=attempts, retry_in=round(delay, 1), error=repr(exc)[:200])
                await queue.retry_later(notification.id, token, attempts, delay, repr(exc))
                continue
            notification.mark_failed(f"gave up after {attempts} attempts: {exc!r}")
        else:
            notification.mark_sent(clock())
        # The delivery's events (notification_sent) are caused by the event that queued it.
        origin = context.Origin(notification.correlation_id or context.current().correlation_id, notification.cause)
        with bound(tenant=notification.tenant, correlation_id=origin.correlation_id,
                   causation_id=origin.causation_id), context.handling(context.resuming(origin, notification.tenant)):
            await retry_transient(partial(_settle, notification, token, uow_factory))
        settled += 1
    return settled


async def _settle(notification: Notification, token: str, uow_factory: Callable[[], NotificationsUnitOfWork]) -> None:
    async with uow_factory() as uow:
        await uow.notifications.finish(notification, token)
        await uow.commit()
