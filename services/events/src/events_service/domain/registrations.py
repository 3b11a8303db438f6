"""A member's registration (RSVP) to an event, with its ticket code.

Statuses: invited, interested, declined (answers without a seat); pending_payment (a seat held
until a paid ticket is paid), registered (a confirmed seat), promoted (a seat offered from the
waitlist, held until the member accepts or the window passes), waitlisted (no seat, queued in
arrival order), cancelled, attended (checked in). `seats` = the member plus their guests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from events_service.domain.ticket_code import new_ticket_code  # desk slice: 100 bits, typeable, QR alphanumeric
from servicekit.domain import AggregateRoot, Conflict, DomainError, DomainEvent, NotFound, new_id


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
    VOID = "void"  # a registration attempt that never committed (its seat claim was released)


HOLDING_SEATS = frozenset({RegistrationStatus.PENDING_PAYMENT, RegistrationStatus.REGISTERED,
                           RegistrationStatus.PROMOTED, RegistrationStatus.ATTENDED})
# A member with one of these may not register again (guests are a ticket count, not a second registration).
ACTIVE = HOLDING_SEATS | {RegistrationStatus.WAITLISTED}


class CancelReason(StrEnum):
    MEMBER = "member"
    STAFF = "staff"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_TIMEOUT = "payment_timeout"
    OFFER_EXPIRED = "offer_expired"
    EVENT_CANCELLED = "event_cancelled"




# -- domain events -----------------------------------------------------------------------------

@dataclass(frozen=True)
class RegistrationConfirmed(DomainEvent):
    registration_id: str
    event_id: str
    member_id: str
    ticket_type_id: str
    guests: int
    price_minor: int
    currency: str
    ticket_code: str = ""  # sealed for notifications in the contract, never in clear on the bus


@dataclass(frozen=True)
class RegistrationWaitlisted(DomainEvent):
    registration_id: str
    event_id: str
    member_id: str
    ticket_type_id: str
    guests: int
    waitlisted_at: datetime


@dataclass(frozen=True)
class RegistrationPromoted(DomainEvent):
    registration_id: str
    event_id: str
    member_id: str
    accept_by: datetime


@dataclass(frozen=True)
class RegistrationPaymentRequested(DomainEvent):
    """The seat is held until `pay_by` (the checkout itself is the gateway's reply)."""

    registration_id: str
    event_id: str
    member_id: str
    price_minor: int
    currency: str
    pay_by: datetime


@dataclass(frozen=True)
class RegistrationGuestsChanged(DomainEvent):
    registration_id: str
    event_id: str
    member_id: str
    guests: int


@dataclass(frozen=True)
class RegistrationCancelled(DomainEvent):
    registration_id: str
    event_id: str
    member_id: str
    reason: str
    seats_released: int
    paid_minor: int = 0  # what the member had paid for these seats (a confirmed paid ticket)
    currency: str = ""


@dataclass(frozen=True)
class RsvpAnswered(DomainEvent):
    """invited → interested / declined (no seat)."""

    registration_id: str
    event_id: str
    member_id: str
    status: str


@dataclass(frozen=True)
class MemberInvited(DomainEvent):
    """One invitee of a segment invitation, with what their invitation email shows."""

    registration_id: str
    event_id: str
    member_id: str
    invited_at: datetime
    title: str
    title_en: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str
    online_url: str | None


@dataclass(frozen=True)
class Gathering:
    """What an invitation says of the gathering (taken from the `Event` by the use case)."""

    title: str
    title_en: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str
    online_url: str | None


# -- errors --------------------------------------------------------------------------------------

class AlreadyRegistered(Conflict):
    code = "already-registered"
    title = "Already registered"


class RegistrationNotFound(NotFound):
    code = "registration-not-found"
    title = "Registration not found"


class InvalidRegistrationChange(Conflict):
    code = "invalid-registration-change"
    title = "This change is not possible now"


class NoSeat(DomainError):
    """Internal signal: the seat ledger refused (full or quota reached)."""


# -- the aggregate -------------------------------------------------------------------------------

@dataclass(eq=False)
class Registration(AggregateRoot):
    event_id: str = ""
    member_id: str = ""
    ticket_type_id: str = ""
    guests: int = 0
    status: RegistrationStatus = RegistrationStatus.INVITED
    price_minor: int = 0
    currency: str = "EUR"
    member_price: bool = True
    ticket_code: str = ""
    created_at: datetime | None = None
    registered_at: datetime | None = None
    waitlisted_at: datetime | None = None  # arrival order of the waitlist
    accept_by: datetime | None = None  # promoted: the offer's end
    pay_by: datetime | None = None  # pending_payment: the hold's end
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    checked_in_at: datetime | None = None
    invited_at: datetime | None = None
    payment_checkout_id: str | None = None

    @property
    def seats(self) -> int:
        return 1 + self.guests

    @property
    def holds_seats(self) -> bool:
        return self.status in HOLDING_SEATS

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    # -- creation ---------------------------------------------------------------------------

    @classmethod
    def new(cls, *, tenant: str, event_id: str, member_id: str, now: datetime, existing: Registration | None = None,
            registration_id: str | None = None) -> Registration:
        """A fresh registration, or the member's earlier row (invited, declined, cancelled...)
        reused: one row per member and event."""
        if existing is not None:
            if existing.active:
                raise AlreadyRegistered(f"member {member_id} already has a registration ({existing.status})")
            existing.cancelled_at = existing.cancel_reason = existing.accept_by = existing.pay_by = None
            existing.ticket_code = new_ticket_code()
            return existing
        return cls(id=registration_id or new_id(), tenant=tenant, event_id=event_id, member_id=member_id,
                   created_at=now, ticket_code=new_ticket_code())

    @classmethod
    def invite(cls, *, tenant: str, event_id: str, member_id: str, now: datetime,
               gathering: Gathering | None = None) -> Registration:
        """An `invited` row; with `gathering` (a segment invitation) it records `MemberInvited`,
        which the invitation email and the figures follow (an answer to a public event without
        an invitation passes none)."""
        r = cls(id=new_id(), tenant=tenant, event_id=event_id, member_id=member_id, created_at=now,
                ticket_code=new_ticket_code(), invited_at=now)
        if gathering is not None:
            g = gathering
            r.record(MemberInvited(r.id, event_id, member_id, now, g.title, g.title_en, g.starts_at, g.ends_at,
                                   g.timezone, g.venue, g.online_url))
        return r

    def _ticket(self, ticket_type_id: str, guests: int, price_minor: int, currency: str, member_price: bool) -> None:
        self.ticket_type_id, self.guests = ticket_type_id, guests
        self.price_minor, self.currency, self.member_price = price_minor, currency, member_price

    def confirm_seat(self, *, ticket_type_id: str, guests: int, price_minor: int, currency: str, member_price: bool,
                     now: datetime, payment_window: timedelta) -> None:
        """A seat was taken for it: registered (free), or pending payment (paid)."""
        self._ticket(ticket_type_id, guests, price_minor, currency, member_price)
        if price_minor > 0:
            self.status = RegistrationStatus.PENDING_PAYMENT
            self.pay_by = now + payment_window
            self.record(RegistrationPaymentRequested(self.id, self.event_id, self.member_id, price_minor, currency,
                                                     self.pay_by))
            return
        self._registered(now)

    def _registered(self, now: datetime) -> None:
        self.status = RegistrationStatus.REGISTERED
        self.registered_at = now
        self.pay_by = self.accept_by = None
        self.record(RegistrationConfirmed(self.id, self.event_id, self.member_id, self.ticket_type_id, self.guests,
                                          self.price_minor, self.currency, self.ticket_code))

    def join_waitlist(self, *, ticket_type_id: str, guests: int, price_minor: int, currency: str, member_price: bool,
                      now: datetime) -> None:
        self._ticket(ticket_type_id, guests, price_minor, currency, member_price)
        self.status = RegistrationStatus.WAITLISTED
        self.waitlisted_at = now
        self.record(RegistrationWaitlisted(self.id, self.event_id, self.member_id, ticket_type_id, guests, now))

    # -- transitions --------------------------------------------------------------------------

    def promote(self, now: datetime, window: timedelta) -> None:
        """A seat freed up and was taken for this waitlisted member: offered until `accept_by`."""
        if self.status is not RegistrationStatus.WAITLISTED:
            raise InvalidRegistrationChange(f"a {self.status} registration cannot be promoted")
        self.status = RegistrationStatus.PROMOTED
        self.accept_by = now + window
        self.record(RegistrationPromoted(self.id, self.event_id, self.member_id, self.accept_by))

    def accept(self, now: datetime, payment_window: timedelta) -> None:
        if self.status is not RegistrationStatus.PROMOTED:
            raise InvalidRegistrationChange(f"a {self.status} registration has no seat offer to accept")
        assert self.accept_by is not None
        if now >= self.accept_by:
            raise InvalidRegistrationChange("the offer has expired")
        self.accept_by = None
        if self.price_minor > 0:
            self.status = RegistrationStatus.PENDING_PAYMENT
            self.pay_by = now + payment_window
            self.record(RegistrationPaymentRequested(self.id, self.event_id, self.member_id, self.price_minor,
                                                     self.currency, self.pay_by))
            return
        self._registered(now)

    def paid(self, now: datetime) -> bool:
        """The payment succeeded; False when the registration no longer waits for it (released)."""
        if self.status is not RegistrationStatus.PENDING_PAYMENT:
            return False
        self._registered(now)
        return True

    def change_guests(self, guests: int, max_guests: int) -> int:
        """New guest count; returns the change in seats (the caller takes or releases them)."""
        if self.status not in (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED):
            raise InvalidRegistrationChange(f"guests of a {self.status} registration cannot be changed")
        if self.price_minor > 0 and guests > self.guests:
            raise InvalidRegistrationChange("paid tickets: cancel and register again to add guests")
        if not 0 <= guests <= max_guests:
            raise InvalidRegistrationChange(f"this ticket type allows up to {max_guests} guests")
        delta = guests - self.guests
        if delta:
            self.guests = guests
            self.record(RegistrationGuestsChanged(self.id, self.event_id, self.member_id, guests))
        return delta if self.holds_seats else 0

    def cancel(self, reason: CancelReason, now: datetime) -> int:
        """Returns the seats released (0 for a waitlisted registration)."""
        if not self.active:
            raise InvalidRegistrationChange(f"a {self.status} registration cannot be cancelled")
        if self.status is RegistrationStatus.ATTENDED:
            raise InvalidRegistrationChange("the member attended")
        released = self.seats if self.holds_seats else 0
        paid = self.price_minor if self.status is RegistrationStatus.REGISTERED else 0
        self.status = RegistrationStatus.CANCELLED
        self.cancelled_at, self.cancel_reason = now, reason.value
        self.accept_by = self.pay_by = None
        self.record(RegistrationCancelled(self.id, self.event_id, self.member_id, reason.value, released, paid,
                                          self.currency))
        return released

    def answer(self, status: RegistrationStatus) -> None:
        """An invitee says interested or declined (a seat needs a registration)."""
        if status not in (RegistrationStatus.INTERESTED, RegistrationStatus.DECLINED):
            raise InvalidRegistrationChange("an answer is interested or declined")
        if self.active:
            raise InvalidRegistrationChange("cancel the registration first")
        if self.status is status:
            return  # the same answer again (a second click on the email's link): nothing new
        self.status = status
        self.record(RsvpAnswered(self.id, self.event_id, self.member_id, status.value))

    def expired(self, now: datetime) -> CancelReason | None:
        """Why the seat hold lapsed, if it did."""
        if self.status is RegistrationStatus.PROMOTED and self.accept_by is not None and now >= self.accept_by:
            return CancelReason.OFFER_EXPIRED
        if self.status is RegistrationStatus.PENDING_PAYMENT and self.pay_by is not None and now >= self.pay_by:
            return CancelReason.PAYMENT_TIMEOUT
        return None
