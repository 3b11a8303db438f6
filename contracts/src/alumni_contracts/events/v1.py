"""Events published by the events service (gatherings), major version 1.

Registrations carry ids and counts, never names or emails: a consumer that needs to write to a
registrant (notifications) keeps its own projection of members."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, Field

from alumni_contracts.common import Identifier
from alumni_contracts.envelope import EventData
from alumni_contracts.privacy import MemberDataErasedBase

_EVENT_ID = Field(description="Event id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b12"])
_REGISTRATION_ID = Field(description="Registration id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b77"])
_MEMBER_ID = Field(description="Member id of the registrant.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])


class Visibility(StrEnum):
    PUBLIC = "public"
    ALUMNI = "alumni"
    INVITED = "invited"


class EventScheduled(EventData):
    """A gathering (reunion, conference, afterwork) was scheduled."""

    service = "events"
    event_name = "event_scheduled"
    version = 1

    event_id: Identifier = _EVENT_ID
    title: str = Field(description="Title of the gathering (French, or English when only that exists).",
                       examples=["Gala des 10 ans"], min_length=1, max_length=200)
    starts_at: AwareDatetime = Field(description="Start (UTC).")
    ends_at: AwareDatetime = Field(description="End (UTC).")
    timezone: str = Field(description="IANA timezone the event is held in.", examples=["Europe/Paris"])
    venue: str = Field(description="Venue name and address (empty for an online event).", examples=["Campus de Cergy"],
                       max_length=300)
    capacity: int = Field(description="Number of seats.", examples=[120], ge=1)
    # Added within v1 (optional: absent from earlier events).
    title_en: str | None = Field(None, description="English title, if any (added in v1, optional).",
                                 examples=["10-year gala"], max_length=200)
    online_url: str | None = Field(None, description="Online link of a webinar (added in v1, optional).",
                                   examples=["https://meet.example.org/gala"], max_length=500)
    visibility: Visibility | None = Field(None, description="Who sees it (added in v1, optional).",
                                          examples=["alumni"])
    cancellation_policy: str | None = Field(None, description="Cancellation and refund policy told to registrants "
                                            "(added in v1, optional).",
                                            examples=["Remboursement jusqu'à 7 jours avant"], max_length=2000)


class EventPublished(EventData):
    """A draft was published: registration may open."""

    service = "events"
    event_name = "event_published"
    version = 1

    event_id: Identifier = _EVENT_ID
    title: str = Field(description="Title.", examples=["Gala des 10 ans"], max_length=200)
    starts_at: AwareDatetime = Field(description="Start (UTC).")
    ends_at: AwareDatetime = Field(description="End (UTC).")
    visibility: Visibility = Field(description="Who sees it.", examples=["alumni"])
    capacity: int = Field(description="Number of seats.", examples=[120], ge=1)


class EventUpdated(EventData):
    """Staff changed an event; registrants are told when the date, place or link changed."""

    service = "events"
    event_name = "event_updated"
    version = 1

    event_id: Identifier = _EVENT_ID
    changed: list[str] = Field(description="Names of the fields that changed.", examples=[["starts_at", "venue"]])
    starts_at: AwareDatetime = Field(description="Start (UTC), after the change.")
    ends_at: AwareDatetime = Field(description="End (UTC), after the change.")
    timezone: str = Field(description="IANA timezone.", examples=["Europe/Paris"])
    venue: str = Field(description="Venue after the change.", examples=["Campus de Cergy"], max_length=300)
    online_url: str | None = Field(None, description="Online link after the change.", max_length=500)
    capacity: int = Field(description="Seats after the change.", examples=[150], ge=1)
    status: str = Field(description="draft, published, cancelled or completed.", examples=["published"])
    # Added within v1 (optional: absent from earlier events).
    title: str | None = Field(None, description="Title after the change (added in v1, optional).",
                              examples=["Gala des 10 ans"], max_length=200)
    title_en: str | None = Field(None, description="English title after the change (added in v1, optional).",
                                 examples=["10-year gala"], max_length=200)
    cancellation_policy: str | None = Field(None, description="Cancellation and refund policy after the change "
                                            "(added in v1, optional).", max_length=2000)
    material: bool | None = Field(None, description="The date, time, place or link changed: registrants are told "
                                  "(added in v1, optional; absent: decide from `changed`).", examples=[True])


class EventCancelled(EventData):
    """The event is cancelled; each active registration is then cancelled (`registration_cancelled`)."""

    service = "events"
    event_name = "event_cancelled"
    version = 1

    event_id: Identifier = _EVENT_ID
    reason: str = Field(description="Why, as told to registrants.", examples=["Salle indisponible"], max_length=300)


class EventCompleted(EventData):
    """The event took place (attendance figures are final)."""

    service = "events"
    event_name = "event_completed"
    version = 1

    event_id: Identifier = _EVENT_ID


class InvitationsIssued(EventData):
    """Staff invited a segment to an event (computed once). Each service that writes to the
    invitees (notifications: one email each, with a one-click RSVP link) evaluates `segment` on
    its own projection — the same rules select the same people (`alumni_contracts.segments`)."""

    service = "events"
    event_name = "invitations_issued"
    version = 1

    event_id: Identifier = _EVENT_ID
    segment: dict[str, Any] = Field(description="The segment invited (`shared/segment.v1.json`).",
                                    examples=[{"cohort_years": [2016]}])
    invited: int = Field(description="Members invited (the events service's own count).", examples=[312], ge=0)
    issued_at: AwareDatetime = Field(description="When the invitations were computed (UTC).")


class MemberInvited(EventData):
    """One invitee of `invitations_issued` (computed once, emitted in batches): notifications
    writes them one invitation email with a one-click RSVP link, the figures count them as
    invited. Carries what the email shows of the gathering — no name nor address of the member."""

    service = "events"
    event_name = "member_invited"
    version = 1

    registration_id: Identifier = _REGISTRATION_ID
    event_id: Identifier = _EVENT_ID
    member_id: Identifier = Field(description="Member id of the invitee.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    invited_at: AwareDatetime = Field(description="When the invitations were computed (UTC).")
    title: str = Field(description="Title of the gathering (French, or English when only that exists).",
                       examples=["Retrouvailles promo 2016"], min_length=1, max_length=200)
    title_en: str | None = Field(None, description="English title, if any.", examples=["Class of 2016 reunion"],
                                 max_length=200)
    starts_at: AwareDatetime = Field(description="Start (UTC).")
    ends_at: AwareDatetime = Field(description="End (UTC).")
    timezone: str = Field(description="IANA timezone the event is held in.", examples=["Europe/Paris"])
    venue: str = Field("", description="Venue (empty for an online event).", examples=["Campus de Cergy"],
                       max_length=300)
    online_url: str | None = Field(None, description="Online link of a webinar.",
                                   examples=["https://meet.example.org/gala"], max_length=500)


class InvitationAnswered(EventData):
    """An invitee answered without taking a seat: `interested` or `declined` (a seat is a
    `registration_confirmed` / `registration_waitlisted`)."""

    service = "events"
    event_name = "invitation_answered"
    version = 1

    registration_id: Identifier = _REGISTRATION_ID
    event_id: Identifier = _EVENT_ID
    member_id: Identifier = _MEMBER_ID
    answer: str = Field(description="interested or declined.", examples=["declined"],
                        pattern=r"^(interested|declined)$")


class RegistrationConfirmed(EventData):
    """A member holds confirmed seats (free ticket, paid ticket once paid, or an accepted offer)."""

    service = "events"
    event_name = "registration_confirmed"
    version = 1

    registration_id: Identifier = _REGISTRATION_ID
    event_id: Identifier = _EVENT_ID
    member_id: Identifier = _MEMBER_ID
    ticket_type_id: Identifier = Field(description="Ticket type.", examples=["general"])
    guests: int = Field(description="Guests (+1) on top of the member.", examples=[1], ge=0)
    price_minor: int = Field(description="Price paid, in minor units (0: free).", examples=[4500], ge=0)
    currency: str = Field(description="ISO 4217 currency.", examples=["EUR"], pattern=r"^[A-Z]{3}$")
    ticket_sealed: str | None = Field(
        None, description="The ticket code sealed for the notifications service (AES-256-GCM under a key only the "
        "events and notifications services hold, bound to tenant and registration id): the confirmation email "
        "carries its QR code. Opaque to everyone else; the code itself never travels in clear (added in v1, "
        "optional).", examples=["v1.3q2-Xb7a.Zm9vYmFy"], max_length=200)


class RegistrationPaymentRequested(EventData):
    """A paid ticket's seat is held until `pay_by`: the registration is pending payment."""

    service = "events"
    event_name = "registration_payment_requested"
    version = 1

    registration_id: Identifier = _REGISTRATION_ID
    event_id: Identifier = _EVENT_ID
    member_id: Identifier = _MEMBER_ID
    price_minor: int = Field(description="Price to pay, in minor units.", examples=[4500], ge=1)
    currency: str = Field(description="ISO 4217 currency.", examples=["EUR"], pattern=r"^[A-Z]{3}$")
    pay_by: AwareDatetime = Field(description="The seat is released if unpaid by then (UTC).")


class RegistrationWaitlisted(EventData):
    """The event (or the ticket type) was full: the member waits, in arrival order."""

    service = "events"
    event_name = "registration_waitlisted"
    version = 1

    registration_id: Identifier = _REGISTRATION_ID
    event_id: Identifier = _EVENT_ID
    member_id: Identifier = _MEMBER_ID
    ticket_type_id: Identifier = Field(description="Ticket type asked for.", examples=["general"])
    guests: int = Field(description="Guests asked for.", examples=[0], ge=0)
    waitlisted_at: AwareDatetime = Field(description="Arrival on the waitlist (its order).")


class RegistrationPromoted(EventData):
    """A seat freed up and is held for this waitlisted member until `accept_by`."""

    service = "events"
    event_name = "registration_promoted"
    version = 1

    registration_id: Identifier = _REGISTRATION_ID
    event_id: Identifier = _EVENT_ID
    member_id: Identifier = _MEMBER_ID
    accept_by: AwareDatetime = Field(description="The offer lapses then (and passes to the next one).")


class RegistrationGuestsChanged(EventData):
    """The member changed how many guests come with them."""

    service = "events"
    event_name = "registration_guests_changed"
    version = 1

    registration_id: Identifier = _REGISTRATION_ID
    event_id: Identifier = _EVENT_ID
    member_id: Identifier = _MEMBER_ID
    guests: int = Field(description="Guests now.", examples=[0], ge=0)


class RegistrationCancelled(EventData):
    """A registration ended: by the member, staff, a failed or late payment, a lapsed offer, or
    the event's cancellation."""

    service = "events"
    event_name = "registration_cancelled"
    version = 1

    registration_id: Identifier = _REGISTRATION_ID
    event_id: Identifier = _EVENT_ID
    member_id: Identifier = _MEMBER_ID
    reason: str = Field(description="member, staff, payment_failed, payment_timeout, offer_expired or event_cancelled.",
                        examples=["member"])
    seats_released: int = Field(description="Seats given back (0 for a waitlisted registration).", examples=[2], ge=0)
    paid_minor: int | None = Field(None, description="What the member had paid for the seats, in minor units (0: "
                                   "free or not paid yet; added in v1, optional).", examples=[4500], ge=0)
    currency: str | None = Field(None, description="ISO 4217 currency of `paid_minor` (added in v1, optional).",
                                 examples=["EUR"], pattern=r"^[A-Z]{3}$")


class MemberDataErased(MemberDataErasedBase):
    """The events service erased its copies of a member's data."""

    service = "events"
    event_name = "member_data_erased"
    version = 1


ALL: tuple[type[EventData], ...] = (EventScheduled, EventPublished, EventUpdated, EventCancelled, EventCompleted,
                                    InvitationsIssued, MemberInvited, InvitationAnswered,
                                    RegistrationConfirmed, RegistrationPaymentRequested, RegistrationWaitlisted,
                                    RegistrationPromoted,
                                    RegistrationGuestsChanged, RegistrationCancelled, MemberDataErased)
