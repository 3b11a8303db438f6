"""Use cases of registration: register (a seat, or the waitlist), cancel, change guests, accept a
promoted seat, answer an invitation, pay, and the sweeper releasing lapsed holds.

Every seat change is one conditional update of the event's seat counters (`SeatLedger`) in
the same transaction as the registration it concerns, behind the event's `SeatGate`."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from events_service.domain.model import Event, EventNotFound, EventStatus, TicketType
from events_service.domain.registrations import (
    CancelReason,
    InvalidRegistrationChange,
    Registration,
    RegistrationNotFound,
    RegistrationStatus,
)
from events_service.service_layer.commands import (
    AcceptOffer,
    Actor,
    AnswerInvitation,
    CancelRegistration,
    ChangeGuests,
    EventRegistrations,
    GetRegistration,
    MyRegistrations,
    ProjectMembership,
    PromoteWaiting,
    Register,
    ReleaseExpiredHolds,
    SettleClaims,
    SettleTicketPayment,
)
from events_service.service_layer.ports import EventsUnitOfWork, PageCursor
from events_service.service_layer.seat_gate import SeatGate
from servicekit.domain import DomainError, Forbidden, utcnow

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Registered:
    registration: Registration
    event: Event


def _check_actor(actor: Actor, member_id: str) -> None:
    if not actor.staff and actor.member_id != member_id:
        raise Forbidden("an alumnus registers only themself")


async def _event(uow: EventsUnitOfWork, tenant: str, event_id: str) -> Event:
    event = await uow.events.get(tenant, event_id)
    if event is None:
        raise EventNotFound(f"no event {event_id}")
    return event


async def _visible_event(uow: EventsUnitOfWork, tenant: str, event_id: str, actor: Actor,
                         member_id: str) -> tuple[Event, Registration | None]:
    """The event as this caller may see it, and the member's row for it (read once: the
    visibility check and the command both need it — one round trip fewer per registration)."""
    event = await _event(uow, tenant, event_id)
    row = await uow.registrations.for_member(tenant, event_id, member_id)
    invited = row is not None and not actor.staff  # invited (or registered by staff)
    if not event.visible_to(staff=actor.staff, invited=invited):
        raise EventNotFound(f"no event {event_id}")  # an invisible event does not exist for this caller
    return event, row


async def register(cmd: Register, uow: EventsUnitOfWork, clock: Clock = utcnow) -> Registered:
    """201 registered (or pending payment) when a seat was taken, 202 waitlisted otherwise."""
    _check_actor(cmd.actor, cmd.member_id)
    async with uow:
        now = clock()
        event, existing = await _visible_event(uow, cmd.tenant, cmd.event_id, cmd.actor, cmd.member_id)
        ticket = event.ticket_type(cmd.ticket_type_id)
        event.check_open_for(ticket, cmd.guests, now)
        registration = Registration.new(tenant=cmd.tenant, event_id=event.id, member_id=cmd.member_id, now=now,
                                        existing=existing)
        member = await uow.memberships.is_member(cmd.tenant, cmd.member_id)
        seats = 1 + cmd.guests
        price = ticket.price_for(member, seats)
        # Nobody jumps the queue: with people waiting, a newcomer waits too. (Looked up only when
        # seats seem free: on a full event the claim below refuses at once, and a waitlist of
        # thousands is not read for every newcomer.)
        waitlist_ahead = None
        if await uow.seats.left(cmd.tenant, event.id) >= seats:
            waitlist_ahead = await uow.registrations.first_waitlisted(cmd.tenant, event.id)
        # The seat: ONE conditional update of the event's document, outside the transaction (see
        # `SeatLedger`); a crash before the commit leaves a claim that `settle_claims` releases,
        # and a retry of this attempt reuses it.
        if waitlist_ahead is None and await uow.seats.claim(cmd.tenant, event.id, cmd.member_id, ticket.id, seats,
                                                            ticket.quota is not None, now):
            registration.confirm_seat(ticket_type_id=ticket.id, guests=cmd.guests, price_minor=price,
                                      currency=ticket.currency, member_price=member, now=now,
                                      payment_window=event.payment_window)
        else:
            registration.join_waitlist(ticket_type_id=ticket.id, guests=cmd.guests, price_minor=price,
                                       currency=ticket.currency, member_price=member, now=now)
        if existing is None:
            await uow.registrations.add(registration)
        else:
            await uow.registrations.save(registration)
        await uow.commit()
    return Registered(registration, event)


async def _owned(uow: EventsUnitOfWork, tenant: str, registration_id: str, actor: Actor) -> Registration:
    r = await uow.registrations.get(tenant, registration_id)
    if r is None or (not actor.staff and r.member_id != actor.member_id):
        raise RegistrationNotFound(f"no registration {registration_id}")
    return r


async def fill_freed_seats(uow: EventsUnitOfWork, event: Event, now: Clock) -> list[Registration]:
    """Seats came free: offer them to the waitlist in arrival order (strictly: the head of the
    queue is served first; if its party does not fit, nobody behind it jumps ahead)."""
    promoted: list[Registration] = []
    while True:
        head = await uow.registrations.first_waitlisted(event.tenant, event.id)
        if head is None:
            return promoted
        ticket = _ticket_or_first(event, head.ticket_type_id)
        if not await uow.seats.take(event.tenant, event.id, ticket.id, head.seats, ticket.quota is not None):
            return promoted
        head.promote(now(), event.acceptance_window)
        await uow.registrations.save(head)
        promoted.append(head)


def _ticket_or_first(event: Event, type_id: str) -> TicketType:
    return next((t for t in event.ticket_types if t.id == type_id), event.ticket_types[0])


async def _release(uow: EventsUnitOfWork, gate: SeatGate, event: Event, registration: Registration,
                   reason: CancelReason, clock: Clock) -> list[Registration]:
    """Cancel `registration` and hand its seats to the waitlist, in the caller's unit of work."""
    async with gate.hold(event.tenant, event.id):
        freed = registration.cancel(reason, clock())
        await uow.registrations.save(registration)
        promoted: list[Registration] = []
        if freed:
            ticket = _ticket_or_first(event, registration.ticket_type_id)
            await uow.seats.release(event.tenant, event.id, ticket.id, freed, ticket.quota is not None,
                                    member_id=registration.member_id)
            if event.status.value == "published":
                promoted = await fill_freed_seats(uow, event, clock)
        await uow.commit()
    return promoted


async def cancel_registration(cmd: CancelRegistration, uow: EventsUnitOfWork, gate: SeatGate,
                              clock: Clock = utcnow) -> Registration:
    async with uow:
        r = await _owned(uow, cmd.tenant, cmd.registration_id, cmd.actor)
        event = await _event(uow, cmd.tenant, r.event_id)
        await _release(uow, gate, event, r, CancelReason.STAFF if cmd.actor.staff and cmd.actor.member_id != r.member_id
                       else CancelReason.MEMBER, clock)
    return r


async def change_guests(cmd: ChangeGuests, uow: EventsUnitOfWork, gate: SeatGate, clock: Clock = utcnow) -> Registration:
    async with uow:
        r = await _owned(uow, cmd.tenant, cmd.registration_id, cmd.actor)
        event = await _event(uow, cmd.tenant, r.event_id)
        ticket = _ticket_or_first(event, r.ticket_type_id)
        async with gate.hold(cmd.tenant, event.id):
            delta = r.change_guests(cmd.guests, ticket.max_guests)
            if delta > 0 and not await uow.seats.take(cmd.tenant, event.id, ticket.id, delta, ticket.quota is not None):
                raise InvalidRegistrationChange(f"no room for {delta} more guest(s): the event is full")
            await uow.registrations.save(r)
            if delta < 0:
                await uow.seats.release(cmd.tenant, event.id, ticket.id, -delta, ticket.quota is not None)
                await fill_freed_seats(uow, event, clock)
            await uow.commit()
    return r


async def accept_offer(cmd: AcceptOffer, uow: EventsUnitOfWork, clock: Clock = utcnow) -> Registration:
    async with uow:
        r = await _owned(uow, cmd.tenant, cmd.registration_id, cmd.actor)
        event = await _event(uow, cmd.tenant, r.event_id)
        r.accept(clock(), event.payment_window)
        await uow.registrations.save(r)
        await uow.commit()
    return r


async def answer_invitation(cmd: AnswerInvitation, uow: EventsUnitOfWork, clock: Clock = utcnow) -> Registration:
    _check_actor(cmd.actor, cmd.member_id)
    async with uow:
        event, existing = await _visible_event(uow, cmd.tenant, cmd.event_id, cmd.actor, cmd.member_id)
        r = existing or Registration.invite(tenant=cmd.tenant, event_id=event.id, member_id=cmd.member_id,
                                            now=clock())
        if existing is None:
            r.invited_at = None  # answered without an invitation (a public event)
        r.answer(cmd.status)
        await (uow.registrations.save(r) if existing else uow.registrations.add(r))
        await uow.commit()
    return r


async def get_registration(cmd: GetRegistration, uow: EventsUnitOfWork) -> Registration:
    async with uow:
        return await _owned(uow, cmd.tenant, cmd.registration_id, cmd.actor)


async def my_registrations(cmd: MyRegistrations, uow: EventsUnitOfWork) -> list[Registration]:
    async with uow:
        return await uow.registrations.of_member(cmd.tenant, cmd.member_id)


class BadCursor(DomainError):
    code = "invalid-cursor"
    title = "Unknown page cursor"


@dataclass(frozen=True)
class RegistrationPage:
    items: list[Registration]
    next_cursor: str | None  # None: this was the last page


def encode_cursor(r: Registration, waitlist: bool) -> str:
    """Opaque to clients: the last row's id (and waitlist arrival), base64url JSON."""
    body = {"i": r.id, **({"w": r.waitlisted_at.isoformat()} if waitlist and r.waitlisted_at else {})}
    return base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> PageCursor:
    try:
        body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        waitlisted_at = datetime.fromisoformat(body["w"]) if "w" in body else None
        if not isinstance(body["i"], str) or (waitlisted_at is not None and waitlisted_at.tzinfo is None):
            raise ValueError(cursor)
        return PageCursor(body["i"], waitlisted_at)
    except (ValueError, KeyError, TypeError) as exc:
        raise BadCursor("the cursor is not one this list gave (start again without `after`)") from exc


async def event_registrations(cmd: EventRegistrations, uow: EventsUnitOfWork) -> RegistrationPage:
    """Staff: one page of an event's registrations (filtered by status); the waitlist in arrival
    order. Keyset paging: a page costs the same at row 50,000 as at row 0, and a row inserted
    meanwhile is neither skipped nor repeated."""
    after = decode_cursor(cmd.after) if cmd.after else None
    async with uow:
        await _event(uow, cmd.tenant, cmd.event_id)
        rows = await uow.registrations.page_of_event(cmd.tenant, cmd.event_id, cmd.status, after, cmd.limit + 1)
    waitlist = cmd.status is RegistrationStatus.WAITLISTED
    more = len(rows) > cmd.limit
    rows = rows[:cmd.limit]
    return RegistrationPage(rows, encode_cursor(rows[-1], waitlist) if more else None)


async def settle_ticket_payment(cmd: SettleTicketPayment, uow: EventsUnitOfWork, gate: SeatGate,
                                clock: Clock = utcnow) -> None:
    """Fundraising's verdict on a ticket payment. A payment that arrives after the hold lapsed
    finds the registration cancelled: nothing changes here (fundraising refunds it)."""
    async with uow:
        r = await uow.registrations.get(cmd.tenant, cmd.registration_id)
        if r is None or r.status is not RegistrationStatus.PENDING_PAYMENT:
            return
        if cmd.paid:
            r.paid(clock())
            await uow.registrations.save(r)
            await uow.commit()
            return
        event = await _event(uow, cmd.tenant, r.event_id)
        await _release(uow, gate, event, r, CancelReason.PAYMENT_FAILED, clock)


async def release_expired_holds(cmd: ReleaseExpiredHolds, uow_factory: Callable[[], EventsUnitOfWork],
                                gate: SeatGate, clock: Clock = utcnow) -> int:
    """Lapsed offers and unpaid holds: cancelled, their seats handed to the waitlist (each in its
    own transaction). Returns how many were released."""
    uow = uow_factory()
    async with uow:
        lapsed = await uow.registrations.expired_holds(cmd.tenant, clock(), cmd.limit)
    released = 0
    for stale in lapsed:
        uow = uow_factory()
        async with uow:
            r = await uow.registrations.get(stale.tenant, stale.id)
            reason = r.expired(clock()) if r is not None else None
            if r is None or reason is None:
                continue
            event = await _event(uow, r.tenant, r.event_id)
            await _release(uow, gate, event, r, reason, clock)
            released += 1
    return released


async def settle_claims(cmd: SettleClaims, uow_factory: Callable[[], EventsUnitOfWork], gate: SeatGate,
                        clock: Clock = utcnow) -> int:
    """Seat claims left by registration attempts: a committed registration's claim is forgotten;
    an attempt that never committed (a crash, a failed commit) is fenced off — no in-flight
    transaction of it can commit any more — and its seats go back (to the waitlist first).
    Returns the seats released."""
    uow = uow_factory()
    async with uow:
        claims = await uow.seats.stale_claims(clock() - timedelta(seconds=cmd.grace_seconds), cmd.limit)
    settled: dict[tuple[str, str], list[str]] = {}
    released = 0
    touched: set[tuple[str, str]] = set()
    for claim in claims:
        state = await uow.registrations.fence(claim.tenant, claim.event_id, claim.member_id)
        if state == "holding":
            settled.setdefault((claim.tenant, claim.event_id), []).append(claim.member_id)
        elif state == "fenced" and await uow.seats.release_claim(claim):
            released += claim.seats
            touched.add((claim.tenant, claim.event_id))
    for (tenant, event_id), members in settled.items():
        await uow.seats.drop_claims(tenant, event_id, members)
    for tenant, event_id in touched:
        await promote_waiting(PromoteWaiting(tenant, event_id), uow_factory(), gate, clock)
    return released


async def promote_waiting(cmd: PromoteWaiting, uow: EventsUnitOfWork, gate: SeatGate, clock: Clock = utcnow) -> int:
    """Free seats and people waiting (a released claim, or a seat freed while a newcomer's
    waitlisting was committing): offer the seats in arrival order."""
    async with uow:
        event = await uow.events.get(cmd.tenant, cmd.event_id)
        if event is None or event.status is not EventStatus.PUBLISHED:
            return 0
        async with gate.hold(cmd.tenant, cmd.event_id):
            promoted = await fill_freed_seats(uow, event, clock)
            await uow.commit()
    return len(promoted)


async def project_membership(cmd: ProjectMembership, uow: EventsUnitOfWork) -> None:
    async with uow:
        await uow.memberships.apply(cmd.tenant, cmd.member_id, cmd.status, cmd.at)
        await uow.commit()
