from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from events_service.domain.model import Event
from events_service.service_layer.commands import ProjectMember, ScheduleEvent
from events_service.service_layer.desk import erase_desk_member
from events_service.service_layer.desk_ports import DeskUnitOfWork
from events_service.service_layer.ports import EventsUnitOfWork
from servicekit.domain import utcnow
from servicekit.erasure import EraseMemberData


async def schedule_event(cmd: ScheduleEvent, uow: EventsUnitOfWork, clock: Callable[[], datetime] = utcnow) -> str:
    async with uow:
        event = Event.schedule(tenant=cmd.tenant, title=cmd.title, starts_at=cmd.starts_at, ends_at=cmd.ends_at,
                               timezone=cmd.timezone, venue=cmd.venue, capacity=cmd.capacity, now=clock())
        await uow.events.add(event)
        await uow.commit()
    return event.id


async def project_member(cmd: ProjectMember, uow: EventsUnitOfWork) -> None:
    async with uow:
        await uow.members.apply(cmd)
        await uow.commit()


async def erase_attendee(uow: EventsUnitOfWork, cmd: EraseMemberData) -> tuple[dict[str, int], dict[str, int]]:
    """Events keeps a copy of members (names, email, cohorts) to target invitations: it goes,
    with the desk slice's attendance records and calendar feed."""
    erased = {"members": await uow.members.erase(cmd.tenant, cmd.member_id)}
    if isinstance(uow, DeskUnitOfWork):  # the service's unit of work; bare fakes of older tests lack the desk
        erased |= await erase_desk_member(uow, cmd.tenant, cmd.member_id)
    return erased, {}
