from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alumni_contracts.community.v1 import HelpNudged
from alumni_contracts.envelope import CloudEvent
from alumni_contracts.fundraising.v1 import RecurringGiftFailed
from alumni_contracts.members import membership_v1 as dues
from alumni_contracts.members.v1 import GroupMembershipChanged, MemberConsentChanged
from alumni_contracts.members.v2 import MemberProfileUpdated, MemberRegistered
from alumni_contracts.subscriptions import Subscription, subscription
from notifications_service.domain.reminders import Transition
from notifications_service.service_layer import handlers
from notifications_service.service_layer.commands import (
    RecordConsentState,
    RecordMembership,
    SendGroupInvitation,
    SendHelpNudge,
    SendRecurringGiftReminder,
    SendWelcome,
    UpdateContact,
)
from notifications_service.service_layer.mailer import Composer
from notifications_service.service_layer.ports import NotificationsUnitOfWork
from servicekit.erasure import erasure_subscriber
from servicekit.messaging import EventHandler


def event_handlers(uow_factory: Callable[[], NotificationsUnitOfWork], composer: Composer,
                   queued: Callable[[], None]) -> list[tuple[Subscription, EventHandler]]:
    async def on_member_registered(event: CloudEvent[Any]) -> None:
        data: MemberRegistered = event.data
        await handlers.queue_welcome(SendWelcome(
            tenant=event.tenant, cause_event_id=event.id, member_id=data.member_id,
            member_version=event.aggregateversion, first_name=data.first_name, last_name=data.last_name,
            email=str(data.email) if data.email else None, locale=data.locale.value, program=data.cohort.program,
            graduation_year=data.cohort.graduation_year, imported=data.origin == "import"), uow_factory(), composer)
        queued()

    async def on_member_profile_updated(event: CloudEvent[Any]) -> None:
        data: MemberProfileUpdated = event.data
        await handlers.update_contact(UpdateContact(
            tenant=event.tenant, member_id=data.member_id, member_version=event.aggregateversion,
            first_name=data.first_name, last_name=data.last_name, email=str(data.email) if data.email else None,
            locale=data.locale.value,
            email_bounced=data.email_bounced, mail_returned=data.mail_returned, deceased=data.deceased,
            program=data.cohorts[0].program if data.cohorts else "",
            graduation_year=data.cohorts[0].graduation_year if data.cohorts else 0),
            uow_factory())

    async def on_member_consent_changed(event: CloudEvent[Any]) -> None:
        data: MemberConsentChanged = event.data
        await handlers.record_consent_state(RecordConsentState(
            tenant=event.tenant, member_id=data.member_id, member_version=event.aggregateversion,
            purpose=data.purpose.value, granted=data.granted), uow_factory())

    async def on_group_membership_changed(event: CloudEvent[Any]) -> None:
        data: GroupMembershipChanged = event.data
        if data.change != "invited":
            return
        if await handlers.queue_group_invitation(SendGroupInvitation(
                tenant=event.tenant, cause_event_id=event.id, member_id=data.member_id, group_name=data.group_name),
                uow_factory(), composer):
            queued()

    async def on_help_nudged(event: CloudEvent[Any]) -> None:
        data: HelpNudged = event.data
        if await handlers.queue_help_nudge(SendHelpNudge(
                tenant=event.tenant, cause_event_id=event.id, member_id=data.helper_id, topic=data.topic.value,
                respond_by=data.respond_by), uow_factory(), composer):
            queued()

    async def on_recurring_gift_failed(event: CloudEvent[Any]) -> None:
        data: RecurringGiftFailed = event.data
        if await handlers.queue_recurring_gift_reminder(SendRecurringGiftReminder(
                tenant=event.tenant, cause_event_id=event.id, member_id=data.member_id,
                recurring_gift_id=data.recurring_gift_id, amount_minor=data.amount.minor_units,
                currency=data.amount.currency, frequency=data.frequency.value, reason=data.reason,
                failures=data.failures, period=data.period, next_attempt_on=data.next_attempt_on, final=data.final,
                automatic=data.automatic), uow_factory(), composer):
            queued()

    async def on_membership_changed(event: CloudEvent[Any]) -> None:
        data = event.data
        assert isinstance(data, (dues.MembershipActivated, dues.MembershipRenewed, dues.MembershipEnteredGrace,
                                 dues.MembershipLapsed, dues.MembershipCancelled, dues.MembershipBecameLifetime))
        instalment: int | None = None
        if isinstance(data, dues.MembershipRenewed):
            instalment = data.instalment
        elif isinstance(data, dues.MembershipActivated) and data.plan_kind is dues.PlanKind.LIFETIME:
            instalment = 1  # a lifetime plan paid in instalments is active from its first one
        if await handlers.record_membership(RecordMembership(Transition(
            event_id=event.id, version=event.aggregateversion or 0, tenant=event.tenant,
            membership_id=data.membership_id, member_id=data.member_id, plan_kind=data.plan_kind.value,
            status=data.status.value, paid_until=data.paid_until,
            grace_until=data.grace_until if isinstance(data, dues.MembershipEnteredGrace) else None,
            missed_instalment=data.missed_instalment
            if isinstance(data, dues.MembershipEnteredGrace | dues.MembershipLapsed) else None,
            instalment_paid=instalment, reason=data.reason, plan_name=data.plan_name,
            amount_due_minor=data.amount_due_minor, currency=data.currency)), uow_factory(), composer):
            queued()

    return [(subscription("notifications", MemberRegistered), on_member_registered),
            *[(subscription("notifications", e), on_membership_changed) for e in dues.ALL],
            (subscription("notifications", GroupMembershipChanged), on_group_membership_changed),
            (subscription("notifications", HelpNudged), on_help_nudged),
            (subscription("notifications", RecurringGiftFailed), on_recurring_gift_failed),
            (subscription("notifications", MemberProfileUpdated), on_member_profile_updated),
            (subscription("notifications", MemberConsentChanged), on_member_consent_changed),
            erasure_subscriber("notifications", uow_factory, handlers.erase_recipient)]
