"""Commands and queries of the events service (gateway → events over request/reply)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, HttpUrl, SerializerFunctionWrapHandler, StringConstraints, model_serializer, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import CurrencyCode, Identifier, Timestamp
from alumni_contracts.events.v1 import Visibility
from alumni_contracts.segments import Segment
from alumni_contracts.text import PersonText

SCHEDULE_EVENT = "schedule_event"
UPDATE_EVENT = "update_event"
SET_TICKET_TYPES = "set_ticket_types"
PUBLISH_EVENT = "publish_event"
CANCEL_EVENT = "cancel_event"
COMPLETE_EVENT = "complete_event"
GET_EVENT = "get_event"
LIST_EVENTS = "list_events"
REGISTER = "register"
CANCEL_REGISTRATION = "cancel_registration"
CHANGE_GUESTS = "change_guests"
ACCEPT_OFFER = "accept_offer"
ANSWER_INVITATION = "answer_invitation"
GET_REGISTRATION = "get_registration"
MY_REGISTRATIONS = "my_registrations"
EVENT_REGISTRATIONS = "event_registrations"
ISSUE_INVITATIONS = "issue_invitations"
PREVIEW_INVITATIONS = "preview_invitations"

Title = Annotated[str, PersonText(max_length=200)]
LongText = Annotated[str, PersonText(max_length=5000, min_length=0, multiline=True)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,40}$")]
# An IANA zone name (checked against the zone database by the events domain).
Timezone = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+){0,2}$", max_length=64)]


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class RegistrationStatus(StrEnum):
    INVITED = "invited"
    INTERESTED = "interested"
    DECLINED = "declined"
    PENDING_PAYMENT = "pending_payment"
    REGISTERED = "registered"
    PROMOTED = "promoted"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ATTENDED = "attended"


class TicketTypeIn(Request):
    id: Slug | None = Field(None, description="Stable id (slug); generated from the position when absent.",
                            examples=["member"])
    name: Annotated[str, PersonText(max_length=80)] = Field(examples=["Tarif adhérent"])
    name_en: Annotated[str, PersonText(max_length=80)] | None = Field(None, examples=["Member rate"])
    member_price_minor: int = Field(0, ge=0, le=10_000_000, description="Price for dues-paying members (minor units).")
    non_member_price_minor: int = Field(0, ge=0, le=10_000_000, description="Price for other alumni (minor units).")
    currency: CurrencyCode = "EUR"
    quota: int | None = Field(None, ge=1, le=100_000, description="Seats of this type (within the capacity).")
    max_guests: int = Field(0, ge=0, le=10, description="Guests (+1) a registration may bring.")
    opens_at: Timestamp | None = Field(None, description="Registration opens (default: at publication).")
    closes_at: Timestamp | None = Field(None, description="Registration closes (default: at the start).")


class TicketTypeOut(Result):
    id: str
    name: str
    name_en: str | None = None
    member_price_minor: int
    non_member_price_minor: int
    currency: str
    quota: int | None = None
    max_guests: int
    opens_at: Timestamp | None = None
    closes_at: Timestamp | None = None
    free: bool


class _EventFields(Request):
    title_en: Title | None = Field(None, examples=["10-year gala"])
    description: LongText | None = Field(None, description="Description in French.")
    description_en: LongText | None = Field(None, description="Description in English.")
    timezone: Timezone = Field("Europe/Paris", description="IANA timezone the event is held in.")
    online_url: HttpUrl | None = Field(None, description="Link of an online event (webinar).")
    organiser: Annotated[str, PersonText(max_length=120)] | None = Field(None, examples=["Club Finance"])
    visibility: Visibility = Field(Visibility.ALUMNI, description="public, alumni (of the tenant), or invited "
                                   "(members of the invited segment only).")
    segment_id: Identifier | None = Field(None, description="Invitation-only events: the segment invited.")
    cancellation_policy: LongText | None = Field(None, description="Cancellation and refund policy.")


class ScheduleEvent(_EventFields):
    title: Title | None = Field(None, description="Title in French (or the only title).", examples=["Gala des 10 ans"])
    starts_at: Timestamp = Field(description="Start, with its UTC offset.")
    ends_at: Timestamp = Field(description="End, with its UTC offset.")
    venue: Annotated[str, PersonText(max_length=300, min_length=0)] = Field(
        "", examples=["Pavillon Dauphine, Paris"], description="Venue and address (empty: online).")
    capacity: int = Field(ge=1, le=100_000)
    ticket_types: list[TicketTypeIn] | None = Field(None, max_length=20,
                                                    description="Default: one free ticket type without guests.")
    status: EventStatus = Field(EventStatus.PUBLISHED, description="draft or published (the first API version "
                                "created events published: still the default).")

    @model_validator(mode="after")
    def _check(self) -> ScheduleEvent:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if not (self.title or self.title_en):
            raise ValueError("title (French) or title_en is required")
        if self.status not in (EventStatus.DRAFT, EventStatus.PUBLISHED):
            raise ValueError("a new event is a draft or published")
        if not self.venue and self.online_url is None:
            raise ValueError("a venue or an online_url is required")
        return self


class UpdateEvent(Request):
    """The fields sent change; the others keep their value."""

    event_id: Identifier
    title: Title | None = None
    title_en: Title | None = None
    description: LongText | None = None
    description_en: LongText | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    timezone: Timezone | None = None
    venue: Annotated[str, PersonText(max_length=300, min_length=0)] | None = None
    online_url: HttpUrl | None = None
    organiser: Annotated[str, PersonText(max_length=120)] | None = None
    visibility: Visibility | None = None
    segment_id: Identifier | None = None
    cancellation_policy: LongText | None = None
    capacity: int | None = Field(None, ge=1, le=100_000)

    @model_serializer(mode="wrap")
    def _only_the_fields_sent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """On the wire (gateway → events) only the fields the caller set: an absent field keeps its
        value, a field sent as null clears it. Serialising every field would turn each absent one
        into a null that the service reads as "clear it" (a PATCH of the description once wiped
        the venue and the timezone)."""
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set}


class SetTicketTypes(Request):
    event_id: Identifier
    ticket_types: list[TicketTypeIn] = Field(min_length=1, max_length=20)


class EventRef(Request):
    event_id: Identifier


class CancelEvent(Request):
    event_id: Identifier
    reason: Annotated[str, PersonText(max_length=300)] = Field(examples=["Salle indisponible"])


class ListEvents(Request):
    include_drafts: bool = False
    limit: int = Field(100, ge=1, le=500)


class EventScheduledResult(Result):
    event_id: Identifier


class EventOut(Result):
    event_id: str
    status: EventStatus
    title: str | None = None
    title_en: str | None = None
    description: str = ""
    description_en: str = ""
    starts_at: Timestamp
    ends_at: Timestamp
    timezone: str
    venue: str
    online_url: str | None = None
    organiser: str = ""
    visibility: Visibility
    segment_id: str | None = None
    cancellation_policy: str = ""
    capacity: int
    seats_taken: int = Field(description="Seats held (registered, pending payment, offered, attended).")
    seats_left: int
    ticket_types: list[TicketTypeOut]
    cancelled_reason: str = ""


class EventList(Result):
    items: list[EventOut]


class Register(Request):
    event_id: Identifier
    member_id: Identifier | None = Field(None, description="Staff register anyone; an alumnus only themself.")
    ticket_type_id: Slug | None = Field(None, description="Default: the event's first ticket type.")
    guests: int = Field(0, ge=0, le=10, description="Guests (+1) coming with the member.")


class RegistrationRef(Request):
    registration_id: Identifier


class ChangeGuests(Request):
    registration_id: Identifier
    guests: int = Field(ge=0, le=10)


class InvitationAnswer(StrEnum):
    INTERESTED = "interested"
    DECLINED = "declined"


class AnswerInvitation(Request):
    event_id: Identifier
    member_id: Identifier | None = None
    answer: InvitationAnswer


class IssueInvitations(Request):
    event_id: Identifier
    segment: Segment = Field(description="Who is invited (computed once, on the events service's own projection).")


class InvitationsResult(Result):
    event_id: str
    invited: int = Field(description="Members invited.")
    issued_at: Timestamp
    segment: dict[str, Any]


class InvitationsPreview(Result):
    event_id: str
    count: int = Field(description="Members of the segment on the events service's projection who would be invited "
                                   "now (those without a registration to this event).", ge=0)
    matching: int = Field(description="Members of the segment (with or without a registration).", ge=0)


class MyRegistrations(Request):
    pass


class EventRegistrations(Request):
    event_id: Identifier
    status: RegistrationStatus | None = None
    limit: int = Field(500, ge=1, le=1000, description="Rows per page, at most 1,000 (one NATS reply stays under 1 MB).")
    after: Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=r"^[A-Za-z0-9_-]+$")] | None = Field(
        None, description="The `next_cursor` of the previous page (absent: the first page).")


class RegistrationOut(Result):
    registration_id: str
    event_id: str
    member_id: str
    status: RegistrationStatus
    ticket_type_id: str
    guests: int
    seats: int
    price_minor: int
    currency: str
    member_price: bool
    ticket_code: str | None = Field(None, description="The ticket's code (registered and attended only).")
    registered_at: Timestamp | None = None
    waitlisted_at: Timestamp | None = None
    accept_by: Timestamp | None = Field(None, description="Promoted: accept the seat before this.")
    pay_by: Timestamp | None = Field(None, description="Pending payment: pay before this or the seat is released.")
    cancelled_at: Timestamp | None = None
    cancel_reason: str | None = None
    checked_in_at: Timestamp | None = None
    event_title: str | None = None
    event_starts_at: Timestamp | None = None


class RegistrationList(Result):
    items: list[RegistrationOut]
    next_cursor: str | None = Field(None, description="Pass as `after` for the next page; absent on the last page "
                                                      "(paged lists only).")
