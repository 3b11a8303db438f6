"""Use cases of the events themselves: schedule, edit, ticket types, publish, cancel, complete,
read; and the projections fed by members' events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import cast

from events_service.domain.model import Event, EventNotFound, EventStatus, InvalidSchedule, InvalidTicketType, TicketType
from events_service.domain.registrations import CancelReason
from events_service.service_layer.commands import (
    CancelEvent,
    CompleteEvent,
    GetEvent,
    ListEvents,
    ProjectMember,
    PublishEvent,
    ScheduleEvent,
    SetTicketTypes,
    UpdateEventFields,
)
from events_service.service_layer.desk import erase_desk_member
from events_service.service_layer.desk_ports import DeskUnitOfWork
from events_service.service_layer.ports import EventsUnitOfWork
from events_service.service_layer.registrations import fill_freed_seats
from events_service.service_layer.seat_gate import SeatGate
from servicekit.domain import utcnow
from servicekit.erasure import EraseMemberData

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class EventView:
    event: Event
    seats_taken: int


async def schedule_event(cmd: ScheduleEvent, uow: EventsUnitOfWork, clock: Callable[[], datetime] = utcnow) -> str:
    async with uow:
        event = Event.schedule(tenant=cmd.tenant, title=cmd.title, starts_at=cmd.starts_at, ends_at=cmd.ends_at,
                               timezone=cmd.timezone, venue=cmd.venue, capacity=cmd.capacity, now=clock(),
                               details=cmd.details, ticket_types=list(cmd.ticket_types) or None, publish=cmd.publish)
        await uow.events.add(event)
        await uow.commit()
    return event.id


async def _event(uow: EventsUnitOfWork, tenant: str, event_id: str) -> Event:
    event = await uow.events.get(tenant, event_id)
    if event is None:
        raise EventNotFound(f"no event {event_id}")
    return event


async def update_event(cmd: UpdateEventFields, uow: EventsUnitOfWork, gate: SeatGate,
                       clock: Clock = utcnow) -> EventView:
    async with uow:
        event = await _event(uow, cmd.tenant, cmd.event_id)
        async with gate.hold(cmd.tenant, event.id):
            taken = await uow.seats.taken(cmd.tenant, event.id)
            old_capacity = event.capacity
            event.update(replace(event.details, **cmd.changes), clock(), seats_taken=taken)
            delta = event.capacity - old_capacity
            if delta and not await uow.seats.resize(cmd.tenant, event.id, delta, {}):
                raise InvalidSchedule("seats were taken meanwhile: capacity cannot shrink that much")
            await uow.events.save(event)
            if delta > 0:
                await fill_freed_seats(uow, event, clock)
            await uow.commit()
        return EventView(event, await uow.seats.taken(cmd.tenant, event.id))


async def set_ticket_types(cmd: SetTicketTypes, uow: EventsUnitOfWork, gate: SeatGate) -> EventView:
    async with uow:
        event = await _event(uow, cmd.tenant, cmd.event_id)
        async with gate.hold(cmd.tenant, event.id):
            before: dict[str, TicketType] = {t.id: t for t in event.ticket_types}
            event.set_ticket_types(list(cmd.ticket_types))
            deltas: dict[str, int] = {}
            for t in event.ticket_types:
                old = before.get(t.id)
                old_quota = old.quota if old is not None else None
                if t.quota != old_quota:
                    # A quota set or changed: its counter moves by the difference (a new quota
                    # starts at its full size minus nothing — the type had no seats counted).
                    deltas[t.id] = (t.quota or 0) - (old_quota or 0)
            if deltas and not await uow.seats.resize(cmd.tenant, event.id, 0, deltas):
                raise InvalidTicketType("seats already taken exceed the new quota")
            await uow.events.save(event)
            await uow.commit()
        return EventView(event, await uow.seats.taken(cmd.tenant, event.id))


async def publish_event(cmd: PublishEvent, uow: EventsUnitOfWork, clock: Clock = utcnow) -> EventView:
    async with uow:
        event = await _event(uow, cmd.tenant, cmd.event_id)
        event.publish(clock())
        await uow.events.save(event)
        await uow.commit()
        return EventView(event, await uow.seats.taken(cmd.tenant, event.id))


async def cancel_event(cmd: CancelEvent, uow_factory: Callable[[], EventsUnitOfWork], gate: SeatGate,
                       clock: Clock = utcnow) -> EventView:
    """The event is cancelled (its `event_cancelled` notifies registrants), then each active
    registration is cancelled in turn (`registration_cancelled`, reason `event_cancelled`)."""
    uow = uow_factory()
    async with uow:
        event = await _event(uow, cmd.tenant, cmd.event_id)
        event.cancel(cmd.reason)
        await uow.events.save(event)
        await uow.commit()
    after: str | None = None
    while True:
        uow = uow_factory()
        async with uow:
            batch = await uow.registrations.active_of_event(cmd.tenant, event.id, after, 200)
            if not batch:
                break
            async with gate.hold(cmd.tenant, event.id):
                for r in batch:
                    r.cancel(CancelReason.EVENT_CANCELLED, clock())
                    await uow.registrations.save(r)
                await uow.commit()
            after = batch[-1].id
    return EventView(event, 0)


async def complete_event(cmd: CompleteEvent, uow: EventsUnitOfWork, clock: Clock = utcnow) -> EventView:
    async with uow:
        event = await _event(uow, cmd.tenant, cmd.event_id)
        event.complete(clock())
        await uow.events.save(event)
        await uow.commit()
        return EventView(event, await uow.seats.taken(cmd.tenant, event.id))


async def get_event(cmd: GetEvent, uow: EventsUnitOfWork) -> EventView:
    async with uow:
        event = await _event(uow, cmd.tenant, cmd.event_id)
        invited = False
        if not cmd.actor.staff and cmd.actor.member_id:
            row = await uow.registrations.for_member(cmd.tenant, event.id, cmd.actor.member_id)
            invited = row is not None  # invited, or registered by staff
        if not event.visible_to(staff=cmd.actor.staff, invited=invited):
            raise EventNotFound(f"no event {cmd.event_id}")
        return EventView(event, await uow.seats.taken(cmd.tenant, event.id))


async def list_events(cmd: ListEvents, uow: EventsUnitOfWork) -> list[EventView]:
    async with uow:
        events = await uow.events.list(cmd.tenant, cmd.limit)
        views: list[EventView] = []
        for e in events:
            if e.status is EventStatus.DRAFT and not (cmd.actor.staff and cmd.include_drafts):
                continue
            if not e.visible_to(staff=cmd.actor.staff, invited=False):
                if not cmd.actor.member_id:
                    continue
                row = await uow.registrations.for_member(cmd.tenant, e.id, cmd.actor.member_id)
                if row is None:
                    continue
            views.append(EventView(e, await uow.seats.taken(cmd.tenant, e.id)))
        return views


async def project_member(cmd: ProjectMember, uow: EventsUnitOfWork) -> None:
    async with uow:
        await uow.members.apply(cmd)
        await uow.commit()


async def erase_attendee(uow: EventsUnitOfWork, cmd: EraseMemberData) -> tuple[dict[str, int], dict[str, int]]:
    """Events keeps a copy of members (names, email, cohorts) to target invitations and their
    membership state: it goes. Registrations stay as anonymous seat counts (no name in them).
    The desk slice's attendance records and calendar feed go too."""
    erased = {"members": await uow.members.erase(cmd.tenant, cmd.member_id),
              "memberships": await uow.memberships.erase(cmd.tenant, cmd.member_id)}
    if hasattr(uow, "invitations"):  # (the desk's bare test fakes have no invitation batches)
        erased["invitation_batches"] = await uow.invitations.forget(cmd.tenant, cmd.member_id)
    if hasattr(uow, "attendance"):  # the service's unit of work has the desk slice; bare test fakes may not
        erased |= await erase_desk_member(cast(DeskUnitOfWork, uow), cmd.tenant, cmd.member_id)
    return erased, {}
