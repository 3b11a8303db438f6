from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events_service.domain.model import Details, TicketType
from events_service.domain.registrations import RegistrationStatus


@dataclass(frozen=True)
class Actor:
    """Who acts: staff may act on anyone; an alumnus only as `member_id`."""

    subject: str
    staff: bool
    member_id: str | None


@dataclass(frozen=True)
class ScheduleEvent:
    tenant: str
    title: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str
    capacity: int
    details: Details | None = None
    ticket_types: tuple[TicketType, ...] = ()
    publish: bool = True  # the first API created events ready for registration


@dataclass(frozen=True)
class UpdateEventFields:
    """The fields named change (names of `Details`); the others keep their value."""

    tenant: str
    event_id: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class SetTicketTypes:
    tenant: str
    event_id: str
    ticket_types: tuple[TicketType, ...]


@dataclass(frozen=True)
class IssueInvitations:
    tenant: str
    event_id: str
    segment: Any  # alumni_contracts.segments.Segment (evaluated by the audience port)


@dataclass(frozen=True)
class PublishEvent:
    tenant: str
    event_id: str


@dataclass(frozen=True)
class CancelEvent:
    tenant: str
    event_id: str
    reason: str


@dataclass(frozen=True)
class CompleteEvent:
    tenant: str
    event_id: str


@dataclass(frozen=True)
class GetEvent:
    tenant: str
    actor: Actor
    event_id: str


@dataclass(frozen=True)
class ListEvents:
    tenant: str
    actor: Actor
    include_drafts: bool = False
    limit: int = 100


@dataclass(frozen=True)
class Register:
    tenant: str
    actor: Actor
    event_id: str
    member_id: str
    ticket_type_id: str | None = None
    guests: int = 0


@dataclass(frozen=True)
class CancelRegistration:
    tenant: str
    actor: Actor
    registration_id: str


@dataclass(frozen=True)
class ChangeGuests:
    tenant: str
    actor: Actor
    registration_id: str
    guests: int


@dataclass(frozen=True)
class AcceptOffer:
    tenant: str
    actor: Actor
    registration_id: str


@dataclass(frozen=True)
class AnswerInvitation:
    tenant: str
    actor: Actor
    event_id: str
    member_id: str
    status: RegistrationStatus


@dataclass(frozen=True)
class GetRegistration:
    tenant: str
    actor: Actor
    registration_id: str


@dataclass(frozen=True)
class MyRegistrations:
    tenant: str
    member_id: str


@dataclass(frozen=True)
class EventRegistrations:
    tenant: str
    event_id: str
    status: RegistrationStatus | None = None
    limit: int = 500
    after: str | None = None  # the opaque cursor of the previous page (`next_cursor`)


@dataclass(frozen=True)
class SettleTicketPayment:
    """From fundraising: the ticket's payment succeeded (`paid`) or failed."""

    tenant: str
    registration_id: str
    paid: bool


@dataclass(frozen=True)
class ReleaseExpiredHolds:
    """The sweeper: lapsed seat offers and unpaid holds free their seats (then the waitlist moves)."""

    tenant: str | None = None
    limit: int = 200


@dataclass(frozen=True)
class SettleClaims:
    """The sweeper: seat claims of registration attempts older than `grace_seconds`."""

    grace_seconds: float = 2.0
    limit: int = 1000


@dataclass(frozen=True)
class PromoteWaiting:
    tenant: str
    event_id: str


@dataclass(frozen=True)
class ProjectMembership:
    tenant: str
    member_id: str
    status: str
    at: datetime


@dataclass(frozen=True)
class ProjectMember:
    """A member as this service needs them (to target invitations)."""

    tenant: str
    member_id: str
    version: int
    first_name: str
    last_name: str
    email: str | None  # None: a member imported without one
    locale: str
    cohorts: tuple[tuple[str, int], ...]  # (program, graduation year), main cohort first
    deceased: bool = False
