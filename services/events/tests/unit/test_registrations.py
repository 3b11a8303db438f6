"""Registration through the bootstrapped service with in-memory adapters: seats, waitlist in
arrival order, promotion with an acceptance window, paid tickets held until paid, guests,
quotas, member prices, and the refusals (404 invisible, 409 full/closed/cancelled/twice)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alumni_contracts.events import commands as c
from alumni_contracts.events import v1
from alumni_contracts.rpc import Principal, Role
from events_service.bootstrap import bootstrap
from events_service.domain.model import EventNotFound, EventNotOpen, TooManyGuests
from events_service.domain.registrations import AlreadyRegistered, InvalidRegistrationChange
from events_service.service_layer.commands import ReleaseExpiredHolds
from servicekit.authz import MemberNotLinked
from servicekit.domain import DomainError

from .fakes import FakeEventsUnitOfWork, Store

START = datetime(2030, 6, 1, 17, tzinfo=UTC)
MANAGER = Principal(tenant="demo", subject="staff", roles=frozenset({Role.MANAGER}))


def alumnus(member_id: str, tenant: str = "demo") -> Principal:
    return Principal(tenant=tenant, subject=f"u-{member_id}", roles=frozenset({Role.ALUMNUS}), member_id=member_id)


class Service:
    def __init__(self) -> None:
        self.store = Store()
        self.uows: list[FakeEventsUnitOfWork] = []

        def factory() -> FakeEventsUnitOfWork:
            uow = FakeEventsUnitOfWork(self.store)
            self.uows.append(uow)
            return uow

        self.parts = bootstrap(factory)
        self.specs = {s.subject.split(".")[-1]: s for s in self.parts.requests}

    async def call(self, name: str, who: Principal, **fields: Any) -> Any:
        spec = self.specs[name]
        return await spec.handler(spec.request_model(**fields), who)

    def published(self, kind: type[Any]) -> list[Any]:
        return [e.data for uow in self.uows for e in uow.published if isinstance(e.data, kind)]

    async def event(self, capacity: int = 2, **fields: Any) -> str:
        body = {"title": "Reunion 2016", "starts_at": START, "ends_at": START + timedelta(hours=4),
                "venue": "Campus", "capacity": capacity, **fields}
        return (await self.call("schedule_event", MANAGER, **body)).event_id  # type: ignore[no-any-return]


async def test_seats_then_waitlist_in_arrival_order_then_promotion_on_cancel() -> None:
    s = Service()
    event_id = await s.event(capacity=2)
    first = await s.call("register", alumnus("m1"), event_id=event_id)
    second = await s.call("register", alumnus("m2"), event_id=event_id)
    third = await s.call("register", alumnus("m3"), event_id=event_id)
    fourth = await s.call("register", alumnus("m4"), event_id=event_id)
    assert [r.status for r in (first, second, third, fourth)] == ["registered", "registered", "waitlisted", "waitlisted"]
    assert first.ticket_code and len(first.ticket_code) >= 20 and third.ticket_code is None
    assert s.store.seats_left[("demo", event_id)] == 0

    waitlist = await s.call("event_registrations", MANAGER, event_id=event_id, status="waitlisted")
    assert [r.member_id for r in waitlist.items] == ["m3", "m4"]

    cancelled = await s.call("cancel_registration", alumnus("m1"), registration_id=first.registration_id)
    assert cancelled.status == "cancelled"
    [promoted] = s.published(v1.RegistrationPromoted)
    assert promoted.member_id == "m3" and promoted.accept_by > datetime.now(UTC)
    assert s.store.seats_left[("demo", event_id)] == 0, "the freed seat is held for the promoted member"
    [released] = s.published(v1.RegistrationCancelled)
    assert released.seats_released == 1 and released.reason == "member"

    accepted = await s.call("accept_offer", alumnus("m3"), registration_id=third.registration_id)
    assert accepted.status == "registered" and accepted.ticket_code
    with pytest.raises(InvalidRegistrationChange):
        await s.call("accept_offer", alumnus("m4"), registration_id=fourth.registration_id)


async def test_a_member_registers_once_and_guests_count_as_seats() -> None:
    s = Service()
    event_id = await s.event(capacity=3, ticket_types=[{"id": "plus-one", "name": "Avec invité", "max_guests": 1}])
    r = await s.call("register", alumnus("m1"), event_id=event_id, guests=1)
    assert r.status == "registered" and r.seats == 2
    with pytest.raises(AlreadyRegistered):
        await s.call("register", alumnus("m1"), event_id=event_id)
    with pytest.raises(TooManyGuests):
        await s.call("register", alumnus("m2"), event_id=event_id, guests=2)
    # Two seats asked, one left: waitlisted, not half-seated.
    assert (await s.call("register", alumnus("m2"), event_id=event_id, guests=1)).status == "waitlisted"
    # A party of one waits behind m2's party of two: nobody jumps the queue.
    assert (await s.call("register", alumnus("m3"), event_id=event_id)).status == "waitlisted"
    # m1 drops their guest: two seats free, m2's party fits and is offered them; m3 still waits.
    await s.call("change_guests", alumnus("m1"), registration_id=r.registration_id, guests=0)
    assert s.store.seats_left[("demo", event_id)] == 0
    promoted = s.published(v1.RegistrationPromoted)
    assert [p.member_id for p in promoted] == ["m2"]


async def test_refusals_are_clear_problems() -> None:
    s = Service()
    draft = await s.event(status="draft")
    with pytest.raises(EventNotFound):  # a draft is invisible to alumni
        await s.call("register", alumnus("m1"), event_id=draft)
    with pytest.raises(EventNotOpen):  # staff see it, but it is not open
        await s.call("register", MANAGER, event_id=draft, member_id="m1")
    invited_only = await s.event(visibility="invited")
    with pytest.raises(EventNotFound):
        await s.call("register", alumnus("m1"), event_id=invited_only)
    closed = await s.event(ticket_types=[{"id": "early", "name": "Early bird",
                                          "closes_at": datetime(2020, 1, 1, tzinfo=UTC)}])
    with pytest.raises(EventNotOpen, match="closed"):
        await s.call("register", alumnus("m1"), event_id=closed)
    live = await s.event()
    await s.call("cancel_event", MANAGER, event_id=live, reason="Salle indisponible")
    with pytest.raises(EventNotOpen, match="cancelled"):
        await s.call("register", alumnus("m1"), event_id=live)
    with pytest.raises(MemberNotLinked):  # an alumnus registers only themself
        await s.call("register", alumnus("m1"), event_id=live, member_id="m2")
    other_tenant = await s.event()
    with pytest.raises(EventNotFound):  # another tenant's event does not exist for them
        await s.call("register", alumnus("m1", tenant="other"), event_id=other_tenant)
    for exc in (EventNotFound, EventNotOpen, AlreadyRegistered):
        assert issubclass(exc, DomainError) and exc.status in (404, 409)


async def test_event_cancellation_cancels_every_registration_and_says_why() -> None:
    s = Service()
    event_id = await s.event(capacity=1)
    await s.call("register", alumnus("m1"), event_id=event_id)
    await s.call("register", alumnus("m2"), event_id=event_id)
    await s.call("cancel_event", MANAGER, event_id=event_id, reason="Grève")
    [cancelled_event] = s.published(v1.EventCancelled)
    assert cancelled_event.reason == "Grève"
    reasons = {(e.member_id, e.reason, e.seats_released) for e in s.published(v1.RegistrationCancelled)}
    assert reasons == {("m1", "event_cancelled", 1), ("m2", "event_cancelled", 0)}
    assert s.published(v1.RegistrationPromoted) == [], "nobody is promoted into a cancelled event"


async def test_paid_ticket_holds_its_seat_until_paid_or_released_on_timeout() -> None:
    s = Service()
    event_id = await s.event(capacity=1, ticket_types=[{"id": "gala", "name": "Gala", "member_price_minor": 4000,
                                                        "non_member_price_minor": 6000}])
    from events_service.service_layer.commands import ProjectMembership
    from events_service.service_layer.registrations import project_membership
    await project_membership(ProjectMembership("demo", "m1", "active", START - timedelta(days=300)),
                             FakeEventsUnitOfWork(s.store))
    held = await s.call("register", alumnus("m1"), event_id=event_id)
    assert held.status == "pending_payment" and held.price_minor == 4000 and held.member_price
    assert held.ticket_code is None, "no ticket before payment"
    waiting = await s.call("register", alumnus("m2"), event_id=event_id)
    assert waiting.status == "waitlisted" and waiting.price_minor == 6000, "non-member price"

    bus = s.parts.bus  # type: ignore[attr-defined]
    later = held.pay_by + timedelta(seconds=1)
    import events_service.service_layer.registrations as regs
    released = await regs.release_expired_holds(ReleaseExpiredHolds(), lambda: FakeEventsUnitOfWork(s.store),
                                                _gate(), clock=lambda: later)
    assert released == 1
    assert s.store.registrations[("demo", held.registration_id)].status.value == "cancelled"
    assert s.store.registrations[("demo", waiting.registration_id)].status.value == "promoted"
    assert bus is not None


async def test_payment_settles_a_pending_registration_once() -> None:
    s = Service()
    event_id = await s.event(capacity=5, ticket_types=[{"id": "gala", "name": "Gala", "member_price_minor": 100,
                                                        "non_member_price_minor": 100}])
    held = await s.call("register", alumnus("m1"), event_id=event_id)
    from events_service.service_layer.commands import SettleTicketPayment
    bus = s.parts.bus  # type: ignore[attr-defined]
    await bus.handle(SettleTicketPayment("demo", held.registration_id, paid=True))
    await bus.handle(SettleTicketPayment("demo", held.registration_id, paid=True))  # redelivered: no-op
    confirmed = s.published(v1.RegistrationConfirmed)
    assert [e.price_minor for e in confirmed] == [100]
    failed = await s.call("register", alumnus("m2"), event_id=event_id)
    await bus.handle(SettleTicketPayment("demo", failed.registration_id, paid=False))
    assert s.store.seats_left[("demo", event_id)] == 4


async def test_quota_per_ticket_type_within_capacity() -> None:
    s = Service()
    event_id = await s.event(capacity=10, ticket_types=[{"id": "students", "name": "Étudiants", "quota": 1},
                                                        {"id": "general", "name": "Général"}])
    assert (await s.call("register", alumnus("m1"), event_id=event_id, ticket_type_id="students")).status == "registered"
    assert (await s.call("register", alumnus("m2"), event_id=event_id, ticket_type_id="students")).status == "waitlisted"
    assert (await s.call("register", alumnus("m3"), event_id=event_id, ticket_type_id="general")).status == "waitlisted", \
        "a waitlist is first come, first served"


async def test_self_service_lists_only_ones_own_registrations() -> None:
    s = Service()
    event_id = await s.event()
    mine = await s.call("register", alumnus("m1"), event_id=event_id)
    await s.call("register", alumnus("m2"), event_id=event_id)
    listed = await s.call("my_registrations", alumnus("m1"))
    assert [r.registration_id for r in listed.items] == [mine.registration_id]
    from events_service.domain.registrations import RegistrationNotFound
    with pytest.raises(RegistrationNotFound):
        await s.call("cancel_registration", alumnus("m2"), registration_id=mine.registration_id)


async def test_update_notifies_and_capacity_cannot_drop_below_seats_taken() -> None:
    s = Service()
    event_id = await s.event(capacity=2)
    await s.call("register", alumnus("m1"), event_id=event_id)
    await s.call("register", alumnus("m2"), event_id=event_id)
    await s.call("register", alumnus("m3"), event_id=event_id)
    from events_service.domain.model import InvalidSchedule
    with pytest.raises(InvalidSchedule):
        await s.call("update_event", MANAGER, event_id=event_id, capacity=1)
    out = await s.call("update_event", MANAGER, event_id=event_id, capacity=3, venue="Grand amphi")
    assert out.capacity == 3 and out.seats_taken == 3, "the extra seat went to the waitlist"
    [updated] = s.published(v1.EventUpdated)
    assert set(updated.changed) == {"capacity", "venue"}
    assert [p.member_id for p in s.published(v1.RegistrationPromoted)] == ["m3"]


def _gate() -> Any:
    from events_service.service_layer.seat_gate import SeatGate
    return SeatGate()


def test_contract_requests_refuse_bad_input() -> None:
    from pydantic import ValidationError
    with pytest.raises(ValidationError):
        c.Register(event_id="e1", guests=-1)
    with pytest.raises(ValidationError):
        c.ScheduleEvent(starts_at=START, ends_at=START + timedelta(hours=1), venue="x", capacity=1)  # no title
    with pytest.raises(ValidationError):
        c.Register(event_id="e1", member_id={"$ne": None})  # type: ignore[arg-type]


async def test_a_crashed_attempts_seat_claim_is_released_to_the_waitlist_and_a_retry_reuses_its_own() -> None:
    from events_service.service_layer import registrations as regs
    from events_service.service_layer.commands import SettleClaims
    s = Service()
    event_id = await s.event(capacity=1)
    # An attempt claimed the seat and died before its transaction committed.
    ledger = FakeEventsUnitOfWork(s.store).seats
    assert await ledger.claim("demo", event_id, "ghost", "general", 1, False, datetime.now(UTC))
    waiting = await s.call("register", alumnus("m2"), event_id=event_id)
    assert waiting.status == "waitlisted"
    # The same member retrying reuses their claim (no second seat).
    assert await ledger.claim("demo", event_id, "ghost", "general", 1, False, datetime.now(UTC))
    assert s.store.seats_left[("demo", event_id)] == 0
    later = datetime.now(UTC) + timedelta(seconds=10)
    released = await regs.settle_claims(SettleClaims(grace_seconds=2), lambda: FakeEventsUnitOfWork(s.store),
                                        _gate(), clock=lambda: later)
    assert released == 1
    assert s.store.registrations[("demo", waiting.registration_id)].status.value == "promoted"
    assert s.store.claims == {}


async def test_settled_claims_of_committed_registrations_are_forgotten_not_released() -> None:
    from events_service.service_layer import registrations as regs
    from events_service.service_layer.commands import SettleClaims
    s = Service()
    event_id = await s.event(capacity=3)
    await s.call("register", alumnus("m1"), event_id=event_id)
    later = datetime.now(UTC) + timedelta(seconds=10)
    assert await regs.settle_claims(SettleClaims(), lambda: FakeEventsUnitOfWork(s.store), _gate(),
                                    clock=lambda: later) == 0
    assert s.store.claims == {} and s.store.seats_left[("demo", event_id)] == 2


async def test_invitations_are_computed_once_and_let_invitees_see_an_invitation_only_event() -> None:
    from alumni_contracts.segments import Segment
    from events_service.domain.model import InvitationsAlreadyIssued
    s = Service()
    s.store.audience["demo"] = ["m1", "m2", "m3"]
    event_id = await s.event(visibility="invited")
    await s.call("register", MANAGER, event_id=event_id, member_id="m3")  # already has a row: not re-invited
    first = await s.call("issue_invitations", MANAGER, event_id=event_id, segment=Segment(cohort_years=[2016]))
    assert first.invited == 2 and first.segment == {"cohort_years": [2016]}
    [issued] = s.published(v1.InvitationsIssued)
    assert issued.invited == 2 and issued.segment == {"cohort_years": [2016]}
    s.store.audience["demo"].append("m4")  # joined the segment later: a retry does not recompute
    again = await s.call("issue_invitations", MANAGER, event_id=event_id, segment=Segment(cohort_years=[2016]))
    assert again.invited == 2 and len(s.published(v1.InvitationsIssued)) == 1
    with pytest.raises(InvitationsAlreadyIssued):
        await s.call("issue_invitations", MANAGER, event_id=event_id, segment=Segment(cohort_years=[2017]))
    # The invitee sees the invitation-only event and registers; a stranger does not see it.
    assert (await s.call("get_event", alumnus("m1"), event_id=event_id)).event_id == event_id
    assert (await s.call("register", alumnus("m1"), event_id=event_id)).status == "registered"
    with pytest.raises(EventNotFound):
        await s.call("get_event", alumnus("m9"), event_id=event_id)
    declined = await s.call("answer_invitation", alumnus("m2"), event_id=event_id, answer="declined")
    assert declined.status == "declined"
