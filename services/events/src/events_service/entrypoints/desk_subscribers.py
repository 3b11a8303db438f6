"""Subscribers of the attendance figures (lane `events.figures`): the service's own registration
and check-in events move one attendance record each (one transaction with the lane's inbox row,
so a redelivery is a no-op and the record's rules make reordering harmless)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.events import desk_v1, v1
from alumni_contracts.subscriptions import Subscription, subscriptions_of
from events_service.domain.event_figures import Attendance
from events_service.service_layer import desk
from events_service.service_layer.desk_ports import DeskUnitOfWork
from servicekit.messaging import EventHandler

_STATUS: dict[type[Any], Attendance] = {
    v1.RegistrationConfirmed: Attendance.REGISTERED,
    v1.RegistrationWaitlisted: Attendance.WAITLISTED,
    v1.RegistrationPromoted: Attendance.WAITLISTED,  # a seat offered, not taken: not counted as registered
    v1.RegistrationCancelled: Attendance.CANCELLED,
    desk_v1.AttendeeCheckedIn: Attendance.ATTENDED,
    v1.MemberInvited: Attendance.INVITED,  # marks the invitation only (the conversion's denominator)
}


def figures_event_handlers(uow_factory: Callable[[], DeskUnitOfWork]) -> list[tuple[Subscription, EventHandler]]:
    async def project(event: CloudEvent[Any]) -> None:
        data = event.data
        status = Attendance(data.answer) if isinstance(data, v1.InvitationAnswered) else _STATUS[type(data)]
        await desk.project_attendance(desk.ProjectAttendance(
            tenant=event.tenant, event_id=data.event_id, status=status, at=event.time,
            member_id=data.member_id, registration_id=data.registration_id,
            guests=getattr(data, "guests", 0), invited=isinstance(data, v1.MemberInvited)), uow_factory())

    return [(s, project) for s in subscriptions_of("events") if s.lane == "figures"]
