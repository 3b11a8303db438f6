"""A gathering (*événement*) of the alumni community; not to be confused with a bus message.

An `Event` holds what staff edit (titles FR/EN, schedule, venue or online link, visibility,
policy, ticket types) and its lifecycle draft → published → cancelled / completed. Seats are
*not* counted here: the count lives in one document updated conditionally (see
`service_layer.ports.SeatLedger`), so that concurrent registrations never oversell.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from servicekit.domain import AggregateRoot, Conflict, DomainError, DomainEvent, NotFound, new_id


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class Visibility(StrEnum):
    PUBLIC = "public"  # anyone (alumni of the tenant register; the page is public)
    ALUMNI = "alumni"  # the tenant's alumni
    INVITED = "invited"  # only members invited (a segment); staff see it


# -- domain events -----------------------------------------------------------------------------

@dataclass(frozen=True)
class EventScheduled(DomainEvent):
    event_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str
    capacity: int
    title_en: str | None = None
    online_url: str | None = None
    visibility: str = Visibility.ALUMNI.value
    cancellation_policy: str = ""


@dataclass(frozen=True)
class EventPublished(DomainEvent):
    event_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    visibility: str
    capacity: int


@dataclass(frozen=True)
class EventUpdated(DomainEvent):
    event_id: str
    changed: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str
    online_url: str | None
    capacity: int
    status: str
    title: str = ""
    title_en: str | None = None
    cancellation_policy: str = ""
    material: bool = False  # registrants are told (see MATERIAL)


# What registrants are told about when it changes: when and where it happens (a typo in the
# description or a new ticket type is not worth an email to hundreds of people).
MATERIAL = frozenset({"starts_at", "ends_at", "timezone", "venue", "online_url"})


@dataclass(frozen=True)
class EventCancelled(DomainEvent):
    event_id: str
    reason: str


@dataclass(frozen=True)
class EventCompleted(DomainEvent):
    event_id: str


@dataclass(frozen=True)
class InvitationsIssued(DomainEvent):
    event_id: str
    segment: dict[str, Any]
    invited: int
    issued_at: datetime


class InvitationsAlreadyIssued(Conflict):
    code = "invitations-already-issued"
    title = "Invitations were already issued with another segment"


# -- errors --------------------------------------------------------------------------------------

class InvalidSchedule(DomainError):
    code = "invalid-schedule"
    title = "Invalid schedule"


class EventNotFound(NotFound):
    code = "event-not-found"
    title = "Event not found"


class EventNotOpen(Conflict):
    """Registration refused by the event's state or dates (409)."""

    code = "event-not-open"
    title = "Registration is not open"


class InvalidTransition(Conflict):
    code = "invalid-event-transition"
    title = "Invalid event transition"


class TicketTypeNotFound(NotFound):
    code = "ticket-type-not-found"
    title = "Ticket type not found"


class InvalidTicketType(DomainError):
    code = "invalid-ticket-type"
    title = "Invalid ticket type"


# -- ticket types --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TicketType:
    """A kind of ticket: free (prices 0) or paid, member vs non-member price, its own quota
    (within the event's capacity), how many guests (+1) one registration may bring, and when
    registration opens and closes."""

    id: str
    name: str
    member_price_minor: int = 0
    non_member_price_minor: int = 0
    currency: str = "EUR"
    quota: int | None = None  # None: only the event's capacity limits it
    max_guests: int = 0
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    name_en: str | None = None

    @property
    def free(self) -> bool:
        return self.member_price_minor == 0 and self.non_member_price_minor == 0

    def price_for(self, member: bool, seats: int) -> int:
        """Price of a registration of `seats` seats (the registrant and their guests)."""
        return (self.member_price_minor if member else self.non_member_price_minor) * seats

    def check(self) -> None:
        if not self.name.strip():
            raise InvalidTicketType("a ticket type needs a name")
        if self.member_price_minor < 0 or self.non_member_price_minor < 0:
            raise InvalidTicketType("prices cannot be negative")
        if self.quota is not None and self.quota < 1:
            raise InvalidTicketType("a quota is at least 1")
        if not 0 <= self.max_guests <= 10:
            raise InvalidTicketType("guests per registration: 0 to 10")
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise InvalidTicketType("registration must close after it opens")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise InvalidTicketType("currency is an ISO 4217 code")

    def open_at(self, now: datetime) -> bool:
        return (self.opens_at is None or now >= self.opens_at) and (self.closes_at is None or now < self.closes_at)


def default_ticket_type() -> TicketType:
    return TicketType(id="general", name="Entrée", name_en="Admission")


# -- the aggregate -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Details:
    """What staff edit about an event (one value, so an update is a whole, checked change)."""

    title_fr: str | None
    title_en: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str = "Europe/Paris"
    venue: str = ""
    online_url: str | None = None
    description_fr: str = ""
    description_en: str = ""
    organiser: str = ""
    visibility: Visibility = Visibility.ALUMNI
    segment_id: str | None = None  # invited-only events: the segment invited
    cancellation_policy: str = ""
    capacity: int = 1

    @property
    def title(self) -> str:
        return self.title_fr or self.title_en or ""

    def check(self, now: datetime, *, new: bool) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidSchedule(f"unknown timezone {self.timezone!r}") from None
        if not (self.title_fr or self.title_en):
            raise InvalidSchedule("a title in French or English is required")
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise InvalidSchedule("start and end need a UTC offset")
        if self.ends_at <= self.starts_at:
            raise InvalidSchedule("the event must end after it starts")
        if new and self.ends_at <= now:
            raise InvalidSchedule("cannot schedule an event that is already over")
        if self.capacity < 1:
            raise InvalidSchedule("capacity must be at least 1")
        if not self.venue.strip() and not self.online_url:
            raise InvalidSchedule("a venue or an online link is required")


@dataclass(eq=False)
class Event(AggregateRoot):
    details: Details = field(default_factory=lambda: Details(None, None, datetime.min, datetime.min))
    status: EventStatus = EventStatus.DRAFT
    ticket_types: list[TicketType] = field(default_factory=list)
    acceptance_window: timedelta = timedelta(hours=48)  # a promoted member's time to accept
    payment_window: timedelta = timedelta(minutes=30)  # a pending payment holds its seat this long
    created_at: datetime | None = None
    cancelled_reason: str = ""
    invitation_segment: dict[str, Any] | None = None  # computed once: the segment invited
    invited_count: int = 0
    invitations_issued_at: datetime | None = None

    # Compatibility accessors (the first version of the model had these fields).
    @property
    def title(self) -> str:
        return self.details.title

    @property
    def starts_at(self) -> datetime:
        return self.details.starts_at

    @property
    def ends_at(self) -> datetime:
        return self.details.ends_at

    @property
    def timezone(self) -> str:
        return self.details.timezone

    @property
    def venue(self) -> str:
        return self.details.venue

    @property
    def capacity(self) -> int:
        return self.details.capacity

    @classmethod
    def schedule(cls, *, tenant: str, title: str | None = None, starts_at: datetime, ends_at: datetime,
                 timezone: str, venue: str, capacity: int, now: datetime, details: Details | None = None,
                 ticket_types: list[TicketType] | None = None, publish: bool = False) -> Event:
        """A new event, a draft unless `publish` (the first API created published events
        directly: `POST /api/v1/events` without `status` keeps doing so)."""
        if details is None:
            details = Details(title_fr=title, title_en=None, starts_at=starts_at, ends_at=ends_at, timezone=timezone,
                              venue=venue, capacity=capacity)
        details.check(now, new=True)
        types = list(ticket_types or [default_ticket_type()])
        _check_types(types, details.capacity)
        event = cls(id=new_id(), tenant=tenant, details=details, ticket_types=types, created_at=now)
        d = details
        event.record(EventScheduled(event.id, d.title, d.starts_at, d.ends_at, d.timezone, d.venue, d.capacity,
                                    d.title_en, d.online_url, d.visibility.value, d.cancellation_policy))
        if publish:
            event.publish(now)
        return event

    def publish(self, now: datetime) -> None:
        if self.status is not EventStatus.DRAFT:
            raise InvalidTransition(f"a {self.status} event cannot be published")
        if self.details.ends_at <= now:
            raise InvalidTransition("the event is already over")
        self.status = EventStatus.PUBLISHED
        d = self.details
        self.record(EventPublished(self.id, d.title, d.starts_at, d.ends_at, d.visibility.value, d.capacity))

    def update(self, details: Details, now: datetime, *, seats_taken: int) -> tuple[str, ...]:
        """Staff change the details; the capacity cannot drop below the seats already held."""
        if self.status in (EventStatus.CANCELLED, EventStatus.COMPLETED):
            raise InvalidTransition(f"a {self.status} event cannot be changed")
        details.check(now, new=False)
        if details.capacity < seats_taken:
            raise InvalidSchedule(f"{seats_taken} seats are already taken: capacity cannot be {details.capacity}")
        if details.visibility is Visibility.INVITED and self.details.visibility is not Visibility.INVITED \
                and self.status is EventStatus.PUBLISHED:
            raise InvalidTransition("a published event cannot become invitation-only")
        changed = tuple(name for name in Details.__dataclass_fields__
                        if getattr(details, name) != getattr(self.details, name))
        if not changed:
            return changed
        self.details = details
        d = details
        self.record(EventUpdated(self.id, changed, d.starts_at, d.ends_at, d.timezone, d.venue, d.online_url,
                                 d.capacity, self.status.value, d.title, d.title_en, d.cancellation_policy,
                                 material=bool(MATERIAL.intersection(changed))))
        return changed

    def set_ticket_types(self, types: list[TicketType]) -> None:
        if self.status in (EventStatus.CANCELLED, EventStatus.COMPLETED):
            raise InvalidTransition(f"a {self.status} event cannot be changed")
        _check_types(types, self.details.capacity)
        removed = {t.id for t in self.ticket_types} - {t.id for t in types}
        if removed and self.status is EventStatus.PUBLISHED:
            raise InvalidTicketType(f"ticket types of a published event cannot be removed: {sorted(removed)}")
        self.ticket_types = list(types)
        d = self.details
        self.record(EventUpdated(self.id, ("ticket_types",), d.starts_at, d.ends_at, d.timezone, d.venue, d.online_url,
                                 d.capacity, self.status.value, d.title, d.title_en, d.cancellation_policy))

    def cancel(self, reason: str) -> None:
        if self.status in (EventStatus.CANCELLED, EventStatus.COMPLETED):
            raise InvalidTransition(f"a {self.status} event cannot be cancelled")
        self.status = EventStatus.CANCELLED
        self.cancelled_reason = reason
        self.record(EventCancelled(self.id, reason))

    def complete(self, now: datetime) -> None:
        if self.status is not EventStatus.PUBLISHED:
            raise InvalidTransition(f"a {self.status} event cannot be completed")
        if now < self.details.starts_at:
            raise InvalidTransition("the event has not started")
        self.status = EventStatus.COMPLETED
        self.record(EventCompleted(self.id))

    def invitations_already(self, segment: dict[str, Any]) -> bool:
        """True when these invitations were issued already (a retry: nothing to do again);
        refuses another segment (invitations are computed once per event) or a closed event."""
        if self.invitation_segment is not None:
            if self.invitation_segment != segment:
                raise InvitationsAlreadyIssued("this event's invitations went to another segment")
            return True
        if self.status in (EventStatus.CANCELLED, EventStatus.COMPLETED):
            raise InvalidTransition(f"a {self.status} event sends no invitations")
        return False

    def invitations_issued(self, segment: dict[str, Any], invited: int, now: datetime) -> None:
        self.invitation_segment, self.invited_count, self.invitations_issued_at = segment, invited, now
        self.record(InvitationsIssued(self.id, segment, invited, now))

    def ticket_type(self, type_id: str | None) -> TicketType:
        if type_id is None:
            return self.ticket_types[0]
        for t in self.ticket_types:
            if t.id == type_id:
                return t
        raise TicketTypeNotFound(f"no ticket type {type_id!r} for this event")

    def visible_to(self, *, staff: bool, invited: bool) -> bool:
        if staff:
            return True
        if self.status is EventStatus.DRAFT:
            return False
        return self.details.visibility is not Visibility.INVITED or invited

    def check_open_for(self, ticket: TicketType, guests: int, now: datetime) -> None:
        """Refuses a registration that the event's state or the ticket's dates forbid (409)."""
        if self.status is not EventStatus.PUBLISHED:
            raise EventNotOpen(f"the event is {self.status}")
        if now >= self.details.ends_at:
            raise EventNotOpen("the event is over")
        if not ticket.open_at(now):
            raise EventNotOpen("registration for this ticket type is closed" if ticket.closes_at and now >= ticket.closes_at
                               else "registration for this ticket type is not open yet")
        if guests < 0 or guests > ticket.max_guests:
            raise TooManyGuests(f"this ticket type allows up to {ticket.max_guests} guests")


class TooManyGuests(DomainError):
    code = "too-many-guests"
    title = "Too many guests"


def _check_types(types: list[TicketType], capacity: int) -> None:
    if not types:
        raise InvalidTicketType("an event has at least one ticket type")
    if len(types) > 20:
        raise InvalidTicketType("at most 20 ticket types")
    ids = [t.id for t in types]
    if len(set(ids)) != len(ids):
        raise InvalidTicketType("ticket type ids must be unique")
    for t in types:
        t.check()
        if t.quota is not None and t.quota > capacity:
            raise InvalidTicketType(f"the quota of {t.id!r} exceeds the event's capacity")


def with_new_id(ticket: TicketType) -> TicketType:
    return replace(ticket, id=new_id())
