"""The desk slice: attendance projection, check-in, tickets, calendar files and feeds,
attendance figures. Handlers take a command and a `DeskUnitOfWork`; domain rules live in
`domain.checkin` and `domain.event_figures`, file formats in `adapters.ics` / `adapters.ticket`."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from events_service.adapters import ics, ticket
from events_service.domain import event_figures as ef
from events_service.domain.checkin import TicketNotFound, admit, fold, normalise_code
from events_service.domain.registrations import Registration, RegistrationNotFound, RegistrationStatus
from events_service.service_layer.desk_ports import DeskUnitOfWork, EventInfo
from servicekit.domain import ConcurrencyConflict, NotFound, utcnow

Clock = Callable[[], datetime]
ADMITTED = (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED)


class EventNotFound(NotFound):
    code = "event-not-found"
    title = "Event not found"


class FeedNotFound(NotFound):
    code = "calendar-feed-not-found"
    title = "Calendar feed not found"


# --- the attendance projection ------------------------------------------------------------

@dataclass(frozen=True)
class ProjectAttendance:
    """A change of one person's attendance to one gathering (from the events' own domain
    events: invitations, registrations, promotions, cancellations)."""

    tenant: str
    event_id: str
    status: ef.Attendance
    at: datetime
    member_id: str | None = None
    registration_id: str | None = None
    ticket_code: str | None = None
    guests: int = 0
    invited: bool = False


async def project_attendance(cmd: ProjectAttendance, uow: DeskUnitOfWork) -> bool:
    key = cmd.member_id or cmd.registration_id
    if key is None:
        raise ValueError("an attendance needs a member or a registration")
    async with uow:
        current = await uow.attendance.get(cmd.tenant, cmd.event_id, key)
        fresh = ef.AttendanceRecord(cmd.tenant, cmd.event_id, key, registration_id=cmd.registration_id,
                                    ticket_code=cmd.ticket_code, guests=cmd.guests)
        changed = ef.apply(current, fresh, cmd.status, cmd.at, invited=cmd.invited)
        if changed is not None:
            await uow.attendance.save(changed)
        await uow.commit()
    return changed is not None


# --- check-in -----------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckInAttendee:
    tenant: str
    event_id: str
    code: str | None = None
    member_id: str | None = None


@dataclass(frozen=True)
class CheckInOutcome:
    first: bool  # False: a second check-in, reported and not counted
    registration_id: str
    member_id: str | None
    name: str
    guests: int
    checked_in_at: datetime


async def _find(cmd: CheckInAttendee, uow: DeskUnitOfWork) -> Registration | None:
    if cmd.code is not None:
        return await uow.tickets.by_code(cmd.tenant, normalise_code(cmd.code))
    assert cmd.member_id is not None
    return await uow.registrations.for_member(cmd.tenant, cmd.event_id, cmd.member_id)


async def check_in_attendee(cmd: CheckInAttendee, uow: DeskUnitOfWork, clock: Clock = utcnow) -> CheckInOutcome:
    method = "code" if cmd.code is not None else "member"
    async with uow:
        registration = await _find(cmd, uow)
        if registration is None or registration.event_id != cmd.event_id:
            # A ticket of another gathering is refused like an unknown one ("not for this event").
            raise TicketNotFound("no registration with this ticket for this event")
        people = await uow.people.of(cmd.tenant, [registration.member_id])
        name = people[registration.member_id].name if registration.member_id in people else ""
        now = clock()
        first = admit(registration, method=method, now=now)
        if first:
            try:
                await uow.registrations.save(registration)
            except ConcurrencyConflict:
                # Another desk admitted them between our read and our write: report theirs.
                first = False
                again = await uow.registrations.get(cmd.tenant, registration.id)
                if again is None or again.checked_in_at is None:
                    raise
                registration = again
            else:
                await uow.commit()
    assert registration.checked_in_at is not None
    return CheckInOutcome(first, registration.id, registration.member_id or None, name, registration.guests,
                          registration.checked_in_at)


@dataclass(frozen=True)
class SearchDesk:
    tenant: str
    event_id: str
    q: str
    limit: int = 20


@dataclass(frozen=True)
class DeskRow:
    registration: Registration
    name: str
    cohort: str


DESK_STATUSES = (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED, RegistrationStatus.WAITLISTED,
                 RegistrationStatus.PROMOTED, RegistrationStatus.PENDING_PAYMENT, RegistrationStatus.CANCELLED)
MAX_DESK_ROWS = 5_000


async def search_desk(cmd: SearchDesk, uow: DeskUnitOfWork) -> list[DeskRow]:
    """Registrations of one gathering whose first or last name starts with `q` (folded). A
    gathering holds at most a few thousand registrations: they come by the (tenant, event)
    index and names from the projection of members by id, then are filtered here."""
    async with uow:
        registrations = [r for r in await uow.registrations.of_event(cmd.tenant, cmd.event_id, None, MAX_DESK_ROWS)
                         if r.status in DESK_STATUSES]
        people = await uow.people.of(cmd.tenant, [r.member_id for r in registrations])
    wanted = fold(cmd.q)
    rows: list[DeskRow] = []
    for r in registrations:
        person = people.get(r.member_id)
        if wanted and (person is None or not (person.folded.startswith(wanted)
                                              or person.folded_reversed.startswith(wanted)
                                              or any(w.startswith(wanted) for w in person.folded.split()))):
            continue
        cohort = f"{person.cohort[0]} {person.cohort[1]}" if person and person.cohort else ""
        rows.append(DeskRow(r, person.name if person else "", cohort))
    rows.sort(key=lambda row: (row.registration.status is RegistrationStatus.CANCELLED, fold(row.name),
                               row.registration.id))
    return rows[:cmd.limit]


# --- figures ------------------------------------------------------------------------------

@dataclass(frozen=True)
class GetEventFigures:
    tenant: str
    event_id: str


async def get_event_figures(cmd: GetEventFigures, uow: DeskUnitOfWork) -> ef.EventFigures:
    async with uow:
        if await uow.catalogue.get(cmd.tenant, cmd.event_id) is None:
            raise EventNotFound(f"no event {cmd.event_id}")
        records = await uow.attendance.for_event(cmd.tenant, cmd.event_id)
        people = await uow.people.of(cmd.tenant, [r.key for r in records])
    cohorts = {k: p.cohort for k, p in people.items() if p.cohort is not None}
    return ef.event_figures(cmd.event_id, records, cohorts)


@dataclass(frozen=True)
class GetCohortReach:
    tenant: str
    months: int = 12


async def get_cohort_reach(cmd: GetCohortReach, uow: DeskUnitOfWork,
                           clock: Clock = utcnow) -> tuple[datetime, list[ef.ReachRow]]:
    since = clock() - timedelta(days=round(cmd.months * 365.25 / 12))
    async with uow:
        attended = await uow.attendance.attended_since(cmd.tenant, since)
        people = await uow.people.of(cmd.tenant, sorted({m for m, _ in attended}))
        alumni = await uow.people.alumni_by_year(cmd.tenant)
    cohorts = {k: p.cohort for k, p in people.items() if p.cohort is not None}
    return since, ef.cohort_reach(attended, cohorts, alumni, since)


# --- calendar files, tickets, feeds -------------------------------------------------------

def _entry(info: EventInfo, uid: str, code: str | None = None) -> ics.CalendarEntry:
    return ics.CalendarEntry(uid=uid, titles=info.titles, starts_at=info.starts_at, ends_at=info.ends_at,
                             timezone=info.timezone, descriptions=info.descriptions,
                             location=info.venue or info.online_url, url=info.online_url, cancelled=info.cancelled,
                             sequence=info.sequence, ticket_code=code)


@dataclass(frozen=True)
class EventCalendar:
    tenant: str
    event_id: str
    language: str
    member_id: str | None = None  # the caller's member id
    staff: bool = True


@dataclass(frozen=True)
class CalendarOut:
    filename: str
    ics: bytes


async def event_calendar(cmd: EventCalendar, uow: DeskUnitOfWork, clock: Clock = utcnow) -> CalendarOut:
    """The gathering's file for whoever may see it (the events domain's rule, `Event.visible_to`):
    staff always; alumni not a draft, and an invitation-only event only when invited."""
    async with uow:
        info = await uow.catalogue.get(cmd.tenant, cmd.event_id)
        visible = info is not None and (cmd.staff or not info.draft)
        if visible and info is not None and not cmd.staff and info.invited_only:
            row = await uow.registrations.for_member(cmd.tenant, cmd.event_id, cmd.member_id) \
                if cmd.member_id else None
            visible = row is not None and row.invited_at is not None
    if info is None or not visible:
        raise EventNotFound(f"no event {cmd.event_id}")
    return CalendarOut(f"event-{cmd.event_id}.ics", ics.calendar([_entry(info, cmd.event_id)], cmd.language,
                                                                  now=clock()))


@dataclass(frozen=True)
class RegistrationDocument:
    """The caller's own registration (an alumnus), or anyone's (staff)."""

    tenant: str
    registration_id: str
    language: str
    member_id: str | None  # the caller's member id
    staff: bool


async def _registration(cmd: RegistrationDocument, uow: DeskUnitOfWork) -> tuple[Registration, EventInfo, str]:
    async with uow:
        r = await uow.registrations.get(cmd.tenant, cmd.registration_id)
        # Someone else's registration is reported as unknown, not forbidden: no probing.
        if r is None or (not cmd.staff and r.member_id != cmd.member_id) or r.status not in DESK_STATUSES[:-1]:
            raise RegistrationNotFound(f"no registration {cmd.registration_id}")
        info = await uow.catalogue.get(cmd.tenant, r.event_id)
        people = await uow.people.of(cmd.tenant, [r.member_id])
    if info is None:
        raise EventNotFound(f"no event {r.event_id}")
    return r, info, people[r.member_id].name if r.member_id in people else ""


async def registration_calendar(cmd: RegistrationDocument, uow: DeskUnitOfWork, clock: Clock = utcnow) -> CalendarOut:
    r, info, _ = await _registration(cmd, uow)
    code = r.ticket_code if r.status in ADMITTED else None
    return CalendarOut(f"registration-{cmd.registration_id}.ics",
                       ics.calendar([_entry(info, cmd.registration_id, code)], cmd.language, now=clock()))


@dataclass(frozen=True)
class TicketOut:
    filename: str
    code: str
    svg: str


@dataclass(frozen=True)
class RegistrationTicket(RegistrationDocument):
    pass


async def registration_ticket(cmd: RegistrationTicket, uow: DeskUnitOfWork) -> TicketOut:
    r, info, name = await _registration(cmd, uow)
    if r.status not in ADMITTED or not r.ticket_code:
        raise RegistrationNotFound("no ticket: the registration has no confirmed seat yet")
    title = info.titles.get(cmd.language) or next(iter(info.titles.values()), "")
    svg = ticket.ticket_svg(ticket.TicketInput(r.ticket_code, title, name, info.starts_at, info.timezone,
                                               info.venue or info.online_url, r.guests, cmd.language))
    return TicketOut(f"ticket-{cmd.registration_id}.svg", r.ticket_code, svg)


def token_hash(token: str) -> str:
    """Feeds are stored by the SHA-256 of their token: the database never holds a usable URL."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssueCalendarFeed:
    tenant: str
    member_id: str


async def issue_calendar_feed(cmd: IssueCalendarFeed, uow: DeskUnitOfWork, clock: Clock = utcnow) -> str:
    token = secrets.token_urlsafe(32)  # 256 bits
    async with uow:
        await uow.feeds.replace(cmd.tenant, cmd.member_id, token_hash(token), clock())
        await uow.commit()
    return token


@dataclass(frozen=True)
class RevokeCalendarFeed:
    tenant: str
    member_id: str


async def revoke_calendar_feed(cmd: RevokeCalendarFeed, uow: DeskUnitOfWork) -> bool:
    async with uow:
        revoked = await uow.feeds.revoke(cmd.tenant, cmd.member_id)
        await uow.commit()
    return revoked


@dataclass(frozen=True)
class CalendarFeed:
    tenant: str
    token: str
    language: str


async def calendar_feed(cmd: CalendarFeed, uow: DeskUnitOfWork, clock: Clock = utcnow) -> CalendarOut:
    """The member's gatherings: confirmed registrations (with their code) and waitlisted ones;
    a gathering cancelled stays in the feed as CANCELLED so calendars remove it."""
    async with uow:
        member_id = await uow.feeds.member_of(cmd.tenant, token_hash(cmd.token))
        if member_id is None:
            raise FeedNotFound("unknown or revoked calendar feed")
        registrations = [r for r in await uow.registrations.of_member(cmd.tenant, member_id)
                         if r.status in DESK_STATUSES[:-1]]
        infos = await uow.catalogue.many(cmd.tenant, [r.event_id for r in registrations])
    entries = [_entry(infos[r.event_id], r.id, r.ticket_code if r.status in ADMITTED else None)
               for r in registrations if r.event_id in infos]
    return CalendarOut("events.ics", ics.calendar(entries, cmd.language, now=clock(), name=""))


async def erase_desk_member(uow: DeskUnitOfWork, tenant: str, member_id: str) -> dict[str, int]:
    """Erasure: the member's attendance records and calendar feed go (figures lose them)."""
    erased = await uow.attendance.erase_member(tenant, member_id)
    revoked = await uow.feeds.revoke(tenant, member_id)
    return {"attendance": erased, "calendar_feeds": int(revoked)}
