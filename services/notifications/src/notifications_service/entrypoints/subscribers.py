from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.members.membership_v1 import MembershipEnteredGrace, MembershipLapsed
from alumni_contracts.members.v1 import GroupMembershipChanged, MemberConsentChanged
from alumni_contracts.members.v2 import MemberProfileUpdated, MemberRegistered
from alumni_contracts.subscriptions import Subscription, subscription
from notifications_service.service_layer import handlers
from notifications_service.service_layer.commands import (
    RecordConsentState,
    SendDuesReminder,
    SendGroupInvitation,
    SendWelcome,
    UpdateContact,
)
from notifications_service.service_layer.ports import NotificationsUnitOfWork, Renderer
from servicekit.erasure import erasure_subscriber
from servicekit.messaging import EventHandler


def event_handlers(uow_factory: Callable[[], NotificationsUnitOfWork], renderer: Renderer, message_id_domain: str,
                   queued: Callable[[], None]) -> list[tuple[Subscription, EventHandler]]:
    async def on_member_registered(event: CloudEvent[Any]) -> None:
        data: MemberRegistered = event.data
        await handlers.queue_welcome(SendWelcome(
            tenant=event.tenant, cause_event_id=event.id, member_id=data.member_id,
            member_version=event.aggregateversion, first_name=data.first_name, last_name=data.last_name,
            email=str(data.email) if data.email else None, locale=data.locale.value, program=data.cohort.program,
            graduation_year=data.cohort.graduation_year, imported=data.origin == "import"), uow_factory(), renderer,
            message_id_domain)
        queued()

    async def on_member_profile_updated(event: CloudEvent[Any]) -> None:
        data: MemberProfileUpdated = event.data
        await handlers.update_contact(UpdateContact(
            tenant=event.tenant, member_id=data.member_id, member_version=event.aggregateversion,
            first_name=data.first_name, last_name=data.last_name, email=str(data.email) if data.email else None,
            locale=data.locale.value,
            email_bounced=data.email_bounced, mail_returned=data.mail_returned, deceased=data.deceased),
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
                uow_factory(), renderer, message_id_domain):
            queued()

    async def on_membership_entered_grace(event: CloudEvent[Any]) -> None:
        data: MembershipEnteredGrace = event.data
        stage = "instalment" if data.missed_instalment else "grace"
        if await handlers.queue_dues_reminder(SendDuesReminder(
                tenant=event.tenant, cause_event_id=event.id, member_id=data.member_id, stage=stage,
                until=data.grace_until, missed_instalment=data.missed_instalment),
                uow_factory(), renderer, message_id_domain):
            queued()

    async def on_membership_lapsed(event: CloudEvent[Any]) -> None:
        data: MembershipLapsed = event.data
        if data.reason == "payment-refunded":
            return  # the member asked for their money back: no reminder
        if await handlers.queue_dues_reminder(SendDuesReminder(
                tenant=event.tenant, cause_event_id=event.id, member_id=data.member_id, stage="lapsed",
                until=None, missed_instalment=data.missed_instalment), uow_factory(), renderer, message_id_domain):
            queued()

    return [(subscription("notifications", MemberRegistered), on_member_registered),
            (subscription("notifications", MembershipEnteredGrace), on_membership_entered_grace),
            (subscription("notifications", MembershipLapsed), on_membership_lapsed),
            (subscription("notifications", GroupMembershipChanged), on_group_membership_changed),
            (subscription("notifications", MemberProfileUpdated), on_member_profile_updated),
            (subscription("notifications", MemberConsentChanged), on_member_consent_changed),
            erasure_subscriber("notifications", uow_factory, handlers.erase_recipient)]
