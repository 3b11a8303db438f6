"""Messages about gatherings (issue 11 items 1, 4 and 5): the confirmation with the ticket's QR
code and the `.ics`, the seat offered from the waitlist, a material change and a cancellation,
each an email and an in-app feed item (transactional: sent to any contactable registrant,
whatever the preferences), each once per registrant and cause (the delivery key).

Fed by the events service's events into two projections of this service (`gatherings`,
`gathering_registrants`); the handlers are plain functions of a command and a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from notifications_service.domain.gatherings import (
    ACTIVE,
    Gathering,
    GatheringNotKnownYet,
    Registrant,
    change_key,
    format_moment,
    format_money,
    money_outcome,
)
from notifications_service.domain.model import Attachment
from notifications_service.domain.preferences import Category
from notifications_service.service_layer.mailer import Composer, Message, queue_message
from notifications_service.service_layer.ports import NotificationsUnitOfWork
from servicekit.domain import utcnow
from servicekit.sealed import Sealer, SealError

CONFIRMED = "gathering_confirmed"
OFFERED = "gathering_offer"
UPDATED = "gathering_updated"
CANCELLED = "gathering_cancelled"
TICKET_SEAL_PURPOSE = "alumni ticket code"  # the events service seals with the same purpose
MY_EVENTS_PATH = "/console#my-registrations"


def ticket_context(registration_id: str) -> str:
    return f"ticket|{registration_id}"


class GatheringRepository(Protocol):
    async def apply(self, tenant: str, event_id: str, version: int, fields: dict[str, Any]) -> bool: ...
    async def get(self, tenant: str, event_id: str) -> Gathering | None: ...


class RegistrantRepository(Protocol):
    async def apply(self, tenant: str, registration_id: str, version: int, fields: dict[str, Any]) -> bool: ...
    async def get(self, tenant: str, registration_id: str) -> Registrant | None: ...
    async def active_of_event(self, tenant: str, event_id: str) -> list[Registrant]: ...
    async def erase(self, tenant: str, member_id: str) -> int: ...


class TicketFiles(Protocol):
    """Builds what the emails carry (`adapters/tickets.py`: segno, icalendar)."""

    def qr(self, code: str) -> Attachment: ...
    def ics(self, g: Gathering, registration_id: str, locale: str, *, now: datetime, ticket_code: str | None = None,
            cancelled: bool = False) -> Attachment: ...


class GatheringsUnitOfWork(NotificationsUnitOfWork, Protocol):
    @property
    def gatherings(self) -> GatheringRepository: ...

    @property
    def registrants(self) -> RegistrantRepository: ...


# -- commands ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectGathering:
    """event_scheduled / event_published / event_updated / event_cancelled: the fields each carries."""

    tenant: str
    event_id: str
    version: int
    fields: dict[str, Any]


@dataclass(frozen=True)
class AnnounceChange:
    """A material change of a published gathering (event_updated): every active registrant told."""

    tenant: str
    cause_event_id: str
    event_id: str
    version: int
    fields: dict[str, Any]


@dataclass(frozen=True)
class ProjectRegistrant:
    """registration_payment_requested / registration_waitlisted: no message, the registrant is known."""

    tenant: str
    registration_id: str
    event_id: str
    member_id: str
    version: int
    status: str
    price_minor: int = 0
    currency: str = ""


@dataclass(frozen=True)
class ConfirmSeat:
    """registration_confirmed: the confirmation with the ticket (QR code when the sealed code
    opens) and the `.ics`."""

    tenant: str
    cause_event_id: str
    registration_id: str
    event_id: str
    member_id: str
    version: int
    guests: int
    price_minor: int
    currency: str
    ticket_sealed: str | None


@dataclass(frozen=True)
class OfferSeat:
    """registration_promoted: a seat freed up and is held until `accept_by`."""

    tenant: str
    cause_event_id: str
    registration_id: str
    event_id: str
    member_id: str
    version: int
    accept_by: datetime


@dataclass(frozen=True)
class RegistrationEnded:
    """registration_cancelled: the projection forgets the seat; a gathering's cancellation is told."""

    tenant: str
    cause_event_id: str
    registration_id: str
    event_id: str
    member_id: str
    version: int
    reason: str
    paid_minor: int | None
    currency: str | None


# -- handlers ---------------------------------------------------------------------------------

async def project_gathering(cmd: ProjectGathering, uow: GatheringsUnitOfWork) -> None:
    async with uow:
        await uow.gatherings.apply(cmd.tenant, cmd.event_id, cmd.version, cmd.fields)
        await uow.commit()


async def project_registrant(cmd: ProjectRegistrant, uow: GatheringsUnitOfWork) -> None:
    async with uow:
        await uow.registrants.apply(cmd.tenant, cmd.registration_id, cmd.version, {
            "event_id": cmd.event_id, "member_id": cmd.member_id, "status": cmd.status,
            "price_minor": cmd.price_minor, "currency": cmd.currency})
        await uow.commit()


def _values(g: Gathering) -> dict[str, Any]:
    """Both languages' values: the template pair of the member's language picks its own."""
    return {"fr": g.values("fr"), "en": g.values("en")}


async def _gathering(uow: GatheringsUnitOfWork, tenant: str, event_id: str) -> Gathering:
    g = await uow.gatherings.get(tenant, event_id)
    if g is None:
        raise GatheringNotKnownYet(f"gathering {event_id} not projected yet")
    return g


async def announce_change(cmd: AnnounceChange, uow: GatheringsUnitOfWork, composer: Composer, files: TicketFiles,
                          clock: Callable[[], datetime] = utcnow) -> int:
    """One message per active registrant, all in the change's own transaction (with its inbox
    record): a crash before the commit sends nothing and the redelivery queues them all; a
    redelivery after it is a no-op; the key (`change_key`: the change and the member) is the
    last guard. Returns the messages queued."""
    queued = 0
    async with uow:
        await uow.gatherings.apply(cmd.tenant, cmd.event_id, cmd.version, cmd.fields)
        g = await _gathering(uow, cmd.tenant, cmd.event_id)
        if g.status != "published":
            await uow.commit()
            return 0
        now = clock()
        for r in await uow.registrants.active_of_event(cmd.tenant, cmd.event_id):
            def calendar(locale: str, r: Registrant = r) -> tuple[Attachment, ...]:
                return (files.ics(g, r.registration_id, locale, now=now),)

            done = await queue_message(Message(
                tenant=cmd.tenant, member_id=r.member_id, kind=UPDATED, category=Category.EVENTS, marketing=False,
                cause=cmd.cause_event_id, key=change_key(cmd.cause_event_id, r.member_id), about=cmd.event_id,
                values={**_values(g), "waiting": r.status in ("waitlisted", "promoted")},
                attachments=calendar if r.status in ("registered", "pending_payment") else ()), uow, composer)
            queued += bool(done)
        await uow.commit()
    return queued


async def confirm_seat(cmd: ConfirmSeat, uow: GatheringsUnitOfWork, composer: Composer, files: TicketFiles,
                       sealer: Sealer | None, clock: Callable[[], datetime] = utcnow) -> bool:
    """The confirmation email. Not sent when a newer state of the registration is already known
    (its cancellation overtook it: different consumers)."""
    async with uow:
        g = await _gathering(uow, cmd.tenant, cmd.event_id)  # before any write: retried as a whole
        fresh = await uow.registrants.apply(cmd.tenant, cmd.registration_id, cmd.version, {
            "event_id": cmd.event_id, "member_id": cmd.member_id, "status": "registered",
            "price_minor": cmd.price_minor, "currency": cmd.currency})
        if not fresh:
            await uow.commit()
            return False
        code: str | None = None
        if cmd.ticket_sealed and sealer is not None:
            try:
                code = sealer.open(cmd.ticket_sealed, ticket_context(cmd.registration_id))
            except SealError:
                code = None  # another key, or tampered with: the email links to the ticket instead
        now = clock()

        def attached(locale: str) -> tuple[Attachment, ...]:
            return ((files.qr(code),) if code else ()) + (
                files.ics(g, cmd.registration_id, locale, now=now, ticket_code=code),)

        done = await queue_message(Message(
            tenant=cmd.tenant, member_id=cmd.member_id, kind=CONFIRMED, category=Category.EVENTS, marketing=False,
            cause=cmd.cause_event_id, about=cmd.event_id,
            values={**_values(g), "ticket_code": code or "", "guests": cmd.guests,
                    "price_fr": format_money(cmd.price_minor, cmd.currency, "fr") if cmd.price_minor else "",
                    "price_en": format_money(cmd.price_minor, cmd.currency, "en") if cmd.price_minor else "",
                    "my_events_url": composer.link(MY_EVENTS_PATH)},
            attachments=attached), uow, composer)
        await uow.commit()
    return bool(done)


async def offer_seat(cmd: OfferSeat, uow: GatheringsUnitOfWork, composer: Composer) -> bool:
    async with uow:
        g = await _gathering(uow, cmd.tenant, cmd.event_id)
        fresh = await uow.registrants.apply(cmd.tenant, cmd.registration_id, cmd.version, {
            "event_id": cmd.event_id, "member_id": cmd.member_id, "status": "promoted"})
        if not fresh:
            await uow.commit()
            return False
        done = await queue_message(Message(
            tenant=cmd.tenant, member_id=cmd.member_id, kind=OFFERED, category=Category.EVENTS, marketing=False,
            cause=cmd.cause_event_id, about=cmd.event_id,
            values={**_values(g), "accept_by_fr": format_moment(cmd.accept_by, g.timezone, "fr"),
                    "accept_by_en": format_moment(cmd.accept_by, g.timezone, "en"),
                    "my_events_url": composer.link(MY_EVENTS_PATH)}),
            uow, composer)
        await uow.commit()
    return bool(done)


async def registration_ended(cmd: RegistrationEnded, uow: GatheringsUnitOfWork, composer: Composer,
                             files: TicketFiles, clock: Callable[[], datetime] = utcnow) -> bool:
    """Every registration of a cancelled gathering is cancelled by the events service, one
    `registration_cancelled` (reason `event_cancelled`) each: that is the message told to each
    registrant — not `event_cancelled` read against this projection, which could lag behind (a
    registrant whose confirmation this service has not seen yet would be missed)."""
    async with uow:
        g = await _gathering(uow, cmd.tenant, cmd.event_id) if cmd.reason == "event_cancelled" else None
        before = await uow.registrants.get(cmd.tenant, cmd.registration_id)
        await uow.registrants.apply(cmd.tenant, cmd.registration_id, cmd.version, {
            "event_id": cmd.event_id, "member_id": cmd.member_id, "status": "cancelled"})
        if g is None:
            await uow.commit()
            return False
        if g.status != "cancelled":  # the gathering's own event_cancelled (the reason) comes on another consumer
            raise GatheringNotKnownYet(f"gathering {cmd.event_id} not projected as cancelled yet")
        outcome = money_outcome(cmd.paid_minor, before.status if before else None)
        paid = cmd.paid_minor or 0
        currency = cmd.currency or (before.currency if before else "") or "EUR"
        now = clock()
        was_holding = before is None or before.status in ACTIVE - {"waitlisted"}

        def calendar(locale: str) -> tuple[Attachment, ...]:
            return (files.ics(g, cmd.registration_id, locale, now=now, cancelled=True),) if was_holding else ()

        done = await queue_message(Message(
            tenant=cmd.tenant, member_id=cmd.member_id, kind=CANCELLED, category=Category.EVENTS, marketing=False,
            cause=cmd.cause_event_id, about=cmd.event_id,
            values={**_values(g), "money": outcome, "paid_fr": format_money(paid, currency, "fr"),
                    "paid_en": format_money(paid, currency, "en")},
            attachments=calendar), uow, composer)
        await uow.commit()
    return bool(done)
