"""Use cases: queue a welcome email (in the event's transaction), then deliver it.

Sending is split from queueing on purpose: the inbound event is acknowledged once the
notification is durably queued, and delivery has its own retries. A crash after the SMTP
server accepted the message but before it was marked sent is the one ambiguous window: the
retry re-sends with the *same* Message-ID, which receivers can deduplicate.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from notifications_service.domain import reminders
from notifications_service.domain.bounces import AddressHealth, BounceKind, BouncePolicy
from notifications_service.domain.model import Notification, Status
from notifications_service.domain.preferences import (
    Category,
    Channel,
    MemberPreferences,
    MessageClass,
    Preferences,
    channels_for,
)
from notifications_service.domain.reminders import SKIPPED, MembershipView, ReminderPolicy, Stage
from notifications_service.service_layer.commands import (
    RecordConsentState,
    RecordMembership,
    SendGroupInvitation,
    SendHelpNudge,
    SendRecurringGiftReminder,
    SendWelcome,
    UpdateContact,
)
from notifications_service.service_layer.mailer import Composer, Message, Queued, queue_message
from notifications_service.service_layer.ports import (
    DeliveryQueue,
    Mailer,
    NotificationsUnitOfWork,
    PermanentDeliveryError,
    RecipientDeferred,
    RecipientRefused,
    ReminderCandidates,
    SendRate,
)
from servicekit import context
from servicekit.domain import utcnow
from servicekit.erasure import EraseMemberData
from servicekit.logging import bound, get_logger
from servicekit.retry import backoff_delay, retry_transient

log = get_logger(__name__)
WELCOME = "welcome"
GROUP_INVITATION = "group_invitation"
HELP_NUDGE = "help_nudge"
HELP_TOPICS = {"fr": {"career_change": "une reconversion", "relocation": "une installation à l'étranger ou dans une autre ville",
                      "company": "une entreprise", "industry": "un secteur", "first_job": "un premier emploi",
                      "other": "une question"},
               "en": {"career_change": "a career change", "relocation": "a relocation", "company": "a company",
                      "industry": "an industry", "first_job": "a first job", "other": "a question"}}
# Profile fields and each consent purpose follow their own aggregate version: the events that
# carry them reach this service through different consumers, in any order.
PROFILE_VERSION = "profile_version"


async def queue_welcome(cmd: SendWelcome, uow: NotificationsUnitOfWork, composer: Composer) -> str | None:
    """The welcome message's delivery key, or None when there is none to send: a member
    imported in bulk (nobody asked for it). Without an email it reaches the in-app feed only."""
    async with uow:
        queued: Queued | None = None
        if not await uow.contacts.erased(cmd.tenant, cmd.member_id):  # a late event about an erased member
            await uow.contacts.apply(cmd.tenant, cmd.member_id, cmd.member_version, {
                "email": cmd.email, "locale": cmd.locale, "first_name": cmd.first_name, "last_name": cmd.last_name,
                "program": cmd.program, "graduation_year": cmd.graduation_year,
                "contactable": cmd.email is not None}, PROFILE_VERSION)
            if not cmd.imported:
                queued = await queue_message(Message(
                    tenant=cmd.tenant, member_id=cmd.member_id, kind=WELCOME, category=Category.MEMBERSHIP,
                    marketing=False, cause=cmd.cause_event_id, email=cmd.email, locale=cmd.locale,
                    values={"first_name": cmd.first_name, "last_name": cmd.last_name, "program": cmd.program,
                            "graduation_year": cmd.graduation_year}), uow, composer)
        await uow.commit()
    return queued.key if queued and queued.email else None


async def queue_group_invitation(cmd: SendGroupInvitation, uow: NotificationsUnitOfWork,
                                 composer: Composer) -> str | None:
    """A service message (no marketing consent needed), sent only to a contactable member this
    service knows; returns the notification id, or None when nobody is to be written to."""
    async with uow:
        queued = await queue_message(Message(
            tenant=cmd.tenant, member_id=cmd.member_id, kind=GROUP_INVITATION, category=Category.COMMUNITY,
            marketing=False, cause=cmd.cause_event_id, values={"group_name": cmd.group_name}), uow, composer)
        await uow.commit()
    return queued.key if queued.email else None


class ContactNotKnownYet(Exception):
    """Transient: the consumer leaves the message unacknowledged and it comes back after the
    consumer's backoff; a member who never appears ends in the DLQ after `max_deliver`."""


async def queue_help_nudge(cmd: SendHelpNudge, uow: NotificationsUnitOfWork, composer: Composer) -> str | None:
    """Remind a helper of a request they have not answered (email and in-app, a service message:
    the helper opted in to be asked). The request's text never travels: the message points to
    the member area. Returns the notification id when an email was queued. A redelivered event
    queues nothing more (the delivery key is the event id)."""
    async with uow:
        if await uow.contacts.erased(cmd.tenant, cmd.member_id):
            return None
        contact = await uow.contacts.get(cmd.tenant, cmd.member_id)
        if contact is None:  # members' registration has not reached this service yet: retried (backoff)
            raise ContactNotKnownYet(f"member {cmd.member_id} not known to notifications yet")
        locale = "en" if contact.get("locale") == "en" else "fr"
        queued = await queue_message(Message(
            tenant=cmd.tenant, member_id=cmd.member_id, kind=HELP_NUDGE, category=Category.COMMUNITY,
            marketing=False, cause=cmd.cause_event_id,
            values={"topic": HELP_TOPICS[locale].get(cmd.topic, HELP_TOPICS[locale]["other"]),
                    "respond_by": reminders.long_date(cmd.respond_by, locale)}), uow, composer, contact)
        await uow.commit()
    return queued.key if queued.email else None


RECURRING_GIFT_FAILED = "recurring_gift_failed"
MY_DONATIONS_PATH = "/console#my-donations-panel"  # where the donor updates the card (the console)


def _euros(minor: int, currency: str, locale: str) -> str:
    units, cents = divmod(minor, 100)
    return f"{units},{cents:02d} {currency}" if locale == "fr" else f"{currency} {units}.{cents:02d}"


async def queue_recurring_gift_reminder(cmd: SendRecurringGiftReminder, uow: NotificationsUnitOfWork,
                                        composer: Composer) -> str | None:
    """The donor's reminder of a failed charge (email and in-app), once per failed charge: the
    delivery key names the gift, the period and the attempt, so a redelivered or replayed event
    queues nothing new."""
    # The key is the notification's id, its Message-ID and `notification_sent`'s id: an
    # `Identifier` (letters, digits, `-`, `_`; at most 64): 4 + 36 + 8 + 2 + 3 dashes ≤ 64.
    period = cmd.period.strftime("%Y%m%d") if cmd.period else "manual"
    async with uow:
        contact = await uow.contacts.get(cmd.tenant, cmd.member_id)
        locale = str((contact or {}).get("locale") or "fr")
        queued = await queue_message(Message(
            tenant=cmd.tenant, member_id=cmd.member_id, kind=RECURRING_GIFT_FAILED, category=Category.FUNDRAISING,
            marketing=False, cause=cmd.cause_event_id,
            key=f"rgf-{cmd.recurring_gift_id}-{period}-{min(cmd.failures, 99)}",
            values={"amount": _euros(cmd.amount_minor, cmd.currency, locale), "frequency": cmd.frequency,
                    "reason": cmd.reason, "period": cmd.period.isoformat() if cmd.period else "",
                    "next_attempt_on": cmd.next_attempt_on.isoformat() if cmd.next_attempt_on else "",
                    "final": cmd.final, "automatic": cmd.automatic,
                    "update_url": composer.link(MY_DONATIONS_PATH)}), uow, composer, contact)
        await uow.commit()
    return queued.key if queued else None


async def update_contact(cmd: UpdateContact, uow: NotificationsUnitOfWork) -> None:
    async with uow:
        await uow.contacts.apply(cmd.tenant, cmd.member_id, cmd.member_version, {
            "email": cmd.email, "locale": cmd.locale, "first_name": cmd.first_name, "last_name": cmd.last_name,
            "email_bounced": cmd.email_bounced, "mail_returned": cmd.mail_returned, "deceased": cmd.deceased,
            **({"program": cmd.program, "graduation_year": cmd.graduation_year} if cmd.program else {}),
            # No email at all without an address, to a bouncing one, or to a member known to be deceased.
            "contactable": not (cmd.email is None or cmd.email_bounced or cmd.deceased)}, PROFILE_VERSION)
        await uow.commit()


NEWSLETTER_PURPOSE = "newsletter"


async def record_consent_state(cmd: RecordConsentState, uow: NotificationsUnitOfWork) -> None:
    async with uow:
        withdrawing = cmd.purpose == NEWSLETTER_PURPOSE and not cmd.granted
        before = await uow.contacts.get(cmd.tenant, cmd.member_id) if withdrawing else None
        applied = await uow.contacts.apply(cmd.tenant, cmd.member_id, cmd.member_version,
                                           {f"consents.{cmd.purpose}": cmd.granted}, f"consent_versions.{cmd.purpose}")
        if applied and before is not None and (before.get("consents") or {}).get(NEWSLETTER_PURPOSE) is True:
            # A newsletter consent withdrawn (granted before): an unsubscribe in the figures of the
            # last newsletter sent to the member (once per message: a one-click counted it already).
            await uow.notifications.count_unsubscribe(cmd.tenant, cmd.member_id)
        await uow.commit()


async def erase_recipient(uow: NotificationsUnitOfWork, cmd: EraseMemberData
                          ) -> tuple[dict[str, int], dict[str, int]]:
    """Contact details, consent states and every message (the rendered text names them)."""
    return {"contacts": await uow.contacts.erase(cmd.tenant, cmd.member_id),
            "notifications": await uow.notifications.erase_for(cmd.tenant, cmd.member_id),
            "feed": await uow.feed.erase(cmd.tenant, cmd.member_id),
            "preferences": await uow.preferences.erase(cmd.tenant, cmd.member_id),
            "addresses": await uow.addresses.erase(cmd.tenant, cmd.member_id),
            "dues_memberships": await uow.memberships.erase(cmd.tenant, cmd.member_id),
            "job_alerts": await uow.job_alerts.erase(cmd.tenant, cmd.member_id),
            # the gatherings' registrants (service_layer/gatherings.py), when the unit of work has them
            **({"gathering_registrants": await registrants.erase(cmd.tenant, cmd.member_id)}
               if (registrants := getattr(uow, "registrants", None)) is not None else {})}, {}


async def record_membership(cmd: RecordMembership, uow: NotificationsUnitOfWork, composer: Composer) -> str | None:
    """Project a membership transition (older or repeated events change nothing), withdraw the
    queued reminders it made untrue — a payment stops them at once — and, for a lapse, queue its
    notice. Returns the id of a notification queued, if any."""
    t = cmd.transition
    queued = None
    async with uow:
        if await uow.contacts.erased(t.tenant, t.member_id):
            return None
        view = reminders.apply(await uow.memberships.get(t.tenant, t.membership_id), t)
        if view is None:
            return None
        await uow.memberships.save(view)
        moot = [n.id for n in await uow.notifications.pending_about(t.tenant, t.membership_id)
                if not _still_relevant(view, n)]
        withdrawn = await uow.notifications.withdraw(t.tenant, moot)
        if reminders.lapse_notice_due(t):
            contact = await uow.contacts.get(t.tenant, t.member_id)
            if _contactable(contact):
                assert contact is not None
                outcome = await queue_message(_reminder(view, Stage.LAPSED, contact), uow, composer, contact)
                if outcome.email:
                    queued = outcome.key
        await uow.commit()
    if withdrawn:
        log.info("dues reminders withdrawn", membership_id=t.membership_id, status=t.status, count=withdrawn)
    return queued


def _contactable(contact: dict[str, object] | None) -> bool:
    """Service messages (no marketing consent needed): a known member with an email, not
    bouncing, not deceased (`contactable` as the contact projection computes it)."""
    return contact is not None and bool(contact.get("contactable", True)) and bool(contact.get("email"))


def _still_relevant(view: MembershipView, n: Notification) -> bool:
    if not n.template.startswith(reminders.TEMPLATE_PREFIX):
        return True
    stage = Stage(n.template.removeprefix(reminders.TEMPLATE_PREFIX))
    period = n.id.rsplit("-", 1)[-1]
    return reminders.still_relevant(view, stage, period)


async def queue_due_reminders(candidates: ReminderCandidates, uow_factory: Callable[[], NotificationsUnitOfWork],
                              composer: Composer, policy: ReminderPolicy, clock: Callable[[], datetime] = utcnow) -> int:
    """One sweep: queue the reminder due for each membership; returns how many were queued.
    Each (member, period, stage) is one notification id, so two sweeps racing (or a sweep re-run
    after a crash) queue it once; the stage is then recorded on the membership."""
    now = clock()
    queued = 0
    for view in await candidates(now, policy.notice_days):
        stage, superseded = reminders.due(view, now, policy)
        if stage is None:
            continue
        try:
            if await retry_transient(partial(_queue_reminder, view, stage, superseded, uow_factory, composer)):
                queued += 1
        except Exception:
            log.exception("dues reminder not queued", tenant=view.tenant, membership_id=view.membership_id,
                          stage=stage.value)
    return queued


async def _queue_reminder(view: MembershipView, stage: Stage, superseded: list[Stage],
                          uow_factory: Callable[[], NotificationsUnitOfWork], composer: Composer) -> bool:
    assert view.paid_until is not None
    period = reminders.period_key(view.paid_until)
    async with uow_factory() as uow:
        current = await uow.memberships.get(view.tenant, view.membership_id)
        if current is None or current.version != view.version or current.was_reminded(stage):
            return False  # an event (a payment) or another sweep got there first: the next sweep decides
        contact = await uow.contacts.get(view.tenant, view.member_id)
        if contact is None:
            return False  # the member's registration is not projected here yet: the next sweep decides
        marks = {s.value: f"{SKIPPED}:{period}" for s in superseded}
        added = False
        if _contactable(contact):
            assert contact is not None
            added = (await queue_message(_reminder(view, stage, contact), uow, composer, contact)).email
            marks[stage.value] = period
        else:
            marks[stage.value] = f"{SKIPPED}:{period}"  # nobody to write to: not reminded, not retried
        await uow.memberships.mark_reminded(view.tenant, view.membership_id, view.version, marks)
        await uow.commit()
    if added:
        log.info("dues reminder queued", tenant=view.tenant, membership_id=view.membership_id, stage=stage.value)
    return added


def _reminder(view: MembershipView, stage: Stage, contact: dict[str, Any]) -> Message:
    """A dues reminder: transactional (membership), once per (member, period, stage)."""
    assert view.paid_until is not None
    locale = str(contact.get("locale") or "fr")
    return Message(
        tenant=view.tenant, member_id=view.member_id, kind=reminders.template_of(stage), category=Category.MEMBERSHIP,
        marketing=False, cause=view.last_event_id, about=view.membership_id,
        key=reminders.delivery_key(stage, view.member_id, view.paid_until), values={
            "lifetime": view.plan_kind == "lifetime",
            "paid_until": reminders.long_date(view.paid_until, locale),
            "grace_until": reminders.long_date(view.grace_until, locale) if view.grace_until else "",
            "next_instalment": (view.instalments_paid or 0) + 1 if view.plan_kind == "lifetime" else None,
            "missed_instalment": view.missed_instalment, "plan_name": view.plan_name or "",
            "amount": reminders.money(view.amount_due_minor, view.currency, locale)
            if view.amount_due_minor and view.currency else ""})


@dataclass
class _Outcome:
    notification: Notification
    bounce: BounceKind | None = None


async def deliver_due(queue: DeliveryQueue, mailer: Mailer, uow_factory: Callable[[], NotificationsUnitOfWork],
                      *, batch_size: int, max_attempts: int, clock: Callable[[], datetime] = utcnow,
                      stopping: Callable[[], bool] = lambda: False, rate: SendRate | None = None,
                      bounce_policy: BouncePolicy = BouncePolicy(), concurrency: int = 1, settle_every: int = 25,
                      lease_seconds: float | None = None, monotonic: Callable[[], float] = time.monotonic) -> int:
    """One delivery round; returns how many notifications were settled (sent or failed).

    The claimed batch is sent `concurrency` messages at a time (the SMTP pool's size) and settled
    in chunks of `settle_every`: the sent ones of a chunk are marked with one write and their
    `notification_sent` events with one outbox insert, in one transaction — while the next chunk
    is being sent. A message is marked sent only after the SMTP server accepted it; a crash in
    between re-sends it (same Message-ID) — at most the two chunks in flight for marketing
    messages, the one message in flight for transactional ones (sent one at a time).

    Once `stopping` (the process is shutting down), or once half the lease is spent (a slow,
    rate-limited round must not let another replica claim what it is still sending), the
    notifications not yet sent are given back. `rate` paces each tenant's sends; a refused
    recipient is a hard bounce, a deferral that outlives every retry a soft one (both recorded
    against the address in the settling transaction)."""
    token, due = await queue.claim(batch_size)
    if not due:
        return 0
    started = monotonic()
    unwanted = await _withdrawn_since_queued(due, uow_factory)
    slots = asyncio.Semaphore(max(1, concurrency))
    given_back: list[str] = []

    def out_of_time() -> bool:
        return lease_seconds is not None and monotonic() - started > lease_seconds / 2

    async def deliver(notification: Notification) -> _Outcome | None:
        async with slots:
            if given_back or stopping() or out_of_time():
                given_back.append(notification.id)
                return None
            assert notification.email is not None
            if notification.id in unwanted:
                # Consent or preference withdrawn since it was queued (a long fan-out): the
                # withdrawal applies to this very send, not only to the next message queued.
                notification.mark_withdrawn("consent or preference withdrawn before sending")
                log.info("marketing email withdrawn before sending", notification_id=notification.id)
                return _Outcome(notification)
            if rate is not None:
                await rate.wait(notification.tenant)
            try:
                await mailer.send(notification.email, notification.tenant)
            except PermanentDeliveryError as exc:
                notification.mark_failed(str(exc))
                log.warning("email refused for good", notification_id=notification.id, error=str(exc))
                return _Outcome(notification, BounceKind.HARD if isinstance(exc, RecipientRefused) else None)
            except Exception as exc:  # noqa: BLE001 - SMTP server down, timeout: retry later
                attempts = notification.attempts + 1
                if attempts < max_attempts:
                    delay = backoff_delay(attempts, 1.0, 300.0)
                    log.warning("email delivery failed, will retry", notification_id=notification.id,
                                attempts=attempts, retry_in=round(delay, 1), error=repr(exc)[:200])
                    await queue.retry_later(notification.id, token, attempts, delay, repr(exc))
                    return None
                notification.mark_failed(f"gave up after {attempts} attempts: {exc!r}")
                return _Outcome(notification, BounceKind.SOFT if isinstance(exc, RecipientDeferred) else None)
            notification.mark_sent(clock())
            return _Outcome(notification)

    settled = 0
    settling: asyncio.Task[int] | None = None
    chunk = max(1, settle_every)
    # Transactional messages (welcome, receipts, tickets, reminders) keep the one-message crash
    # window: each is sent alone and recorded before the next is sent. Marketing messages (a
    # newsletter's 100,000) are sent concurrently and settled in pipelined chunks: a crash
    # re-sends at most the two chunks in flight, with their Message-IDs (README, "Mailer").
    transactional = [n for n in due if n.email is None or not n.email.marketing]
    bulk = [n for n in due if n.email is not None and n.email.marketing]
    plan = [([n], False) for n in transactional] + [(bulk[i:i + chunk], True) for i in range(0, len(bulk), chunk)]
    try:
        for group, pipelined in plan:
            outcomes = await asyncio.gather(*(deliver(n) for n in group))
            if settling is not None:
                settled += await settling
                settling = None
            task = asyncio.create_task(_settle_chunk([o for o in outcomes if o is not None], token,
                                                     uow_factory, clock, bounce_policy))
            if pipelined:
                settling = task
            else:
                settled += await task
    finally:
        if settling is not None:
            settled += await settling
        if given_back:
            await queue.release(given_back, token)
    return settled


async def _withdrawn_since_queued(due: list[Notification], uow_factory: Callable[[], NotificationsUnitOfWork]
                                  ) -> set[str]:
    """The marketing notifications of the batch whose consent or preference was withdrawn since
    they were queued: read at send time, one query per tenant for contacts and one for preferences."""
    by_tenant: dict[str, list[Notification]] = {}
    for n in due:
        if n.email is not None and n.email.marketing:
            by_tenant.setdefault(n.tenant, []).append(n)
    unwanted: set[str] = set()
    for tenant, batch in by_tenant.items():
        members = sorted({n.member_id for n in batch})
        async with uow_factory() as uow:
            contacts = await uow.contacts.get_many(tenant, members)
            prefs = await uow.preferences.get_many(tenant, members)
        for n in batch:
            assert n.email is not None
            try:
                category = Category(n.email.category)
            except ValueError:
                continue
            mine = prefs.get(n.member_id)
            message = MessageClass(n.template, category, marketing=True)
            if Channel.EMAIL not in channels_for(message, contacts.get(n.member_id),
                                                 mine.preferences if mine else Preferences()):
                unwanted.add(n.id)
    return unwanted


async def _settle_chunk(outcomes: list[_Outcome], token: str, uow_factory: Callable[[], NotificationsUnitOfWork],
                        clock: Callable[[], datetime], policy: BouncePolicy) -> int:
    """Settle a chunk: the sent ones of one flow (tenant, correlation, cause — a newsletter's are
    all one) in one transaction; the others (failed, withdrawn, bounced) one by one. A group that
    cannot be settled together is settled one by one, so one bad notification holds back no other."""
    groups: dict[tuple[str, str | None, str], list[Notification]] = {}
    singles: list[_Outcome] = []
    for outcome in outcomes:
        n = outcome.notification
        if n.status is Status.SENT and outcome.bounce is None:
            groups.setdefault((n.tenant, n.correlation_id, n.cause), []).append(n)
        else:
            singles.append(outcome)
    settled = 0
    for (tenant, correlation_id, cause), group in groups.items():
        origin = context.Origin(correlation_id or context.current().correlation_id, cause)
        with bound(tenant=tenant, correlation_id=origin.correlation_id, causation_id=origin.causation_id), \
                context.handling(context.resuming(origin, tenant)):
            try:
                settled += len(await retry_transient(partial(_settle_group, group, token, uow_factory)))
                continue
            except Exception:  # noqa: BLE001 - settled one by one below
                log.warning("a chunk of sent notifications could not be settled together; one by one",
                            count=len(group))
        singles.extend(_Outcome(n) for n in group)
    for outcome in singles:
        settled += await _settle_one(outcome.notification, token, uow_factory, outcome.bounce, clock(), policy)
    return settled


async def _settle_group(group: list[Notification], token: str,
                        uow_factory: Callable[[], NotificationsUnitOfWork]) -> list[str]:
    async with uow_factory() as uow:
        done = await uow.notifications.finish_many(group, token)
        await uow.commit()
    return done


async def _settle_one(notification: Notification, token: str, uow_factory: Callable[[], NotificationsUnitOfWork],
                      bounce: BounceKind | None, now: datetime, policy: BouncePolicy) -> int:
    # The delivery's events (notification_sent) are caused by the event that queued it.
    origin = context.Origin(notification.correlation_id or context.current().correlation_id, notification.cause)
    with bound(tenant=notification.tenant, correlation_id=origin.correlation_id,
               causation_id=origin.causation_id), context.handling(context.resuming(origin, notification.tenant)):
        try:
            await retry_transient(partial(_settle, notification, token, uow_factory, bounce, now, policy))
        except Exception:
            log.exception("notification not settled; retried when its lease expires",
                          notification_id=notification.id)
            return 0
    return 1


async def _settle(notification: Notification, token: str, uow_factory: Callable[[], NotificationsUnitOfWork],
                  bounce: BounceKind | None, now: datetime, policy: BouncePolicy) -> None:
    async with uow_factory() as uow:
        await uow.notifications.finish(notification, token)
        if bounce is not None and notification.email is not None:
            await _apply_bounce(uow, notification.tenant, notification.member_id, notification.email.to, bounce, now,
                                policy, f"smtp:{notification.id}")
        await uow.commit()


async def _apply_bounce(uow: NotificationsUnitOfWork, tenant: str, member_id: str, email: str, kind: BounceKind,
                        at: datetime, policy: BouncePolicy, report_id: str) -> bool:
    """Record one bounce or complaint against (member, address); an invalidated address is no
    longer contactable here at once (members flags `email_bounced` from the event); a complaint
    withdraws the marketing consent (the newsletter) as an unsubscribe would."""
    health = await uow.addresses.get(tenant, member_id, email) or AddressHealth(
        id=f"{member_id}:{email.casefold()}", tenant=tenant, member_id=member_id, email=email)
    if not health.report(kind, at, policy, report_id):
        return False
    await uow.addresses.save(health)
    if health.invalidated_at is not None:
        await uow.contacts.mark_bouncing(tenant, member_id, email)
    if kind is BounceKind.COMPLAINT:
        prefs = await uow.preferences.get(tenant, member_id) or MemberPreferences(id=member_id, tenant=tenant,
                                                                                  member_id=member_id)
        contact = await uow.contacts.get(tenant, member_id)
        prefs.unsubscribe(Category.NEWSLETTERS, "complaint", str((contact or {}).get("locale") or "fr"), at)
        await uow.preferences.save(prefs)
    return True
