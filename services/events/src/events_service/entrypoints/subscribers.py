"""Event subscribers: thin, they turn a contract event into a command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.fundraising.v1 import TicketPaid, TicketPaymentFailed
from alumni_contracts.members.membership_v1 import ALL as MEMBERSHIP_EVENTS
from alumni_contracts.members.v2 import MemberProfileUpdated, MemberRegistered
from alumni_contracts.subscriptions import Subscription, subscription
from events_service.service_layer import handlers, registrations
from events_service.service_layer.commands import ProjectMember, ProjectMembership, SettleTicketPayment
from events_service.service_layer.ports import EventsUnitOfWork
from events_service.service_layer.seat_gate import SeatGate
from servicekit.erasure import erasure_subscriber
from servicekit.messaging import EventHandler


def event_handlers(uow_factory: Callable[[], EventsUnitOfWork],
                   gate: SeatGate | None = None) -> list[tuple[Subscription, EventHandler]]:
    seats = gate or SeatGate()

    async def on_member_registered(event: CloudEvent[Any]) -> None:
        data: MemberRegistered = event.data
        await handlers.project_member(ProjectMember(
            tenant=event.tenant, member_id=data.member_id, version=event.aggregateversion,
            first_name=data.first_name, last_name=data.last_name, email=str(data.email) if data.email else None,
            locale=data.locale.value,
            cohorts=((data.cohort.program, data.cohort.graduation_year),)), uow_factory())

    async def on_member_profile_updated(event: CloudEvent[Any]) -> None:
        data: MemberProfileUpdated = event.data
        await handlers.project_member(ProjectMember(
            tenant=event.tenant, member_id=data.member_id, version=event.aggregateversion,
            first_name=data.first_name, last_name=data.last_name, email=str(data.email) if data.email else None,
            locale=data.locale.value,
            cohorts=tuple((c.program, c.graduation_year) for c in data.cohorts), deceased=data.deceased),
            uow_factory())

    async def on_membership(event: CloudEvent[Any]) -> None:
        data = event.data
        await registrations.project_membership(
            ProjectMembership(event.tenant, data.member_id, data.status.value, data.at), uow_factory())

    async def on_ticket_paid(event: CloudEvent[Any]) -> None:
        await registrations.settle_ticket_payment(
            SettleTicketPayment(event.tenant, event.data.registration_id, paid=True), uow_factory(), seats)

    async def on_ticket_failed(event: CloudEvent[Any]) -> None:
        await registrations.settle_ticket_payment(
            SettleTicketPayment(event.tenant, event.data.registration_id, paid=False), uow_factory(), seats)

    return [(subscription("events", MemberRegistered), on_member_registered),
            (subscription("events", TicketPaid), on_ticket_paid),
            (subscription("events", TicketPaymentFailed), on_ticket_failed),
            (subscription("events", MemberProfileUpdated), on_member_profile_updated),
            *((subscription("events", e), on_membership) for e in MEMBERSHIP_EVENTS),
            erasure_subscriber("events", uow_factory, handlers.erase_attendee)]
