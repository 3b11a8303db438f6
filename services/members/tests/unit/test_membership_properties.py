"""Property tests of the membership state machine (issue 10): random sequences of payments,
failures, refunds, cancellations, renewals and clock advances keep the invariants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from members_service.domain.membership import (
    TRANSITIONS,
    Membership,
    MembershipActivated,
    MembershipBecameLifetime,
    MembershipCancelled,
    MembershipConflict,
    MembershipEnteredGrace,
    MembershipEvent,
    MembershipLapsed,
    MembershipRenewed,
    MembershipStatus,
    Payment,
    PlanKind,
    PlanRef,
    PlanTerms,
)
from servicekit.domain import DomainEvent

S = MembershipStatus
T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)

ANNUAL = PlanRef("standard", 1, PlanTerms("Standard", PlanKind.ANNUAL, 6000, "EUR", grace_days=30))
LIFETIME_AT_ONCE = PlanRef("life", 1, PlanTerms("À vie", PlanKind.LIFETIME, 90000, "EUR"))
LIFETIME_IN_3 = PlanRef("life3", 1, PlanTerms("À vie (3×)", PlanKind.LIFETIME, 100000, "EUR", instalments=3,
                                              instalment_interval_months=1, grace_days=15))
PLANS = [ANNUAL, LIFETIME_AT_ONCE, LIFETIME_IN_3]


@dataclass(frozen=True)
class Advance:
    days: int
    hours: int = 0


@dataclass(frozen=True)
class Pay:
    plan_index: int | None  # which plan's payment (a payment for another plan is refused); None: the current one
    exact: bool  # the amount due; otherwise one unit short
    instalment_offset: int  # 0: the next instalment; else a wrong one
    replay: bool  # the same payment id as the last payment (a redelivered event)
    delay_days: int  # how long ago the money was received (a late webhook)


@dataclass(frozen=True)
class Refund:
    which: int  # index into the payments made so far
    full: bool


@dataclass(frozen=True)
class Fail:
    pass


@dataclass(frozen=True)
class Cancel:
    pass


@dataclass(frozen=True)
class Renew:
    plan_index: int


steps = st.lists(st.one_of(
    # Mostly to the edges of periods and graces (a year, a month, a grace), some anywhere.
    st.builds(Advance, st.sampled_from([0, 1, 10, 14, 15, 16, 29, 30, 31, 300, 334, 365, 366]) | st.integers(0, 500),
              st.sampled_from([0, 0, 0, 1, 23])),
    st.builds(Pay, st.none() | st.none() | st.integers(0, 2), st.sampled_from([True, True, True, False]),
              st.sampled_from([0, 0, 0, 1, -1]), st.sampled_from([False, False, False, True]),
              st.sampled_from([0, 0, 0, 3, 40])),
    st.builds(Refund, st.integers(0, 10), st.booleans()),
    st.just(Fail()),
    st.just(Cancel()),
    st.builds(Renew, st.integers(0, 2)),
), max_size=40)


def plan_of(m: Membership, p: Pay) -> PlanRef:
    return m.plan if p.plan_index is None else PLANS[p.plan_index]


def paid_amount(m: Membership, p: Pay) -> tuple[int, int | None]:
    terms = plan_of(m, p).terms
    due = m.due or m.next_due(T0)
    if terms.payable_in_instalments:
        k = m.paid_instalments + 1 + p.instalment_offset
        amount = terms.instalment_amount(max(1, k))
        return (amount if p.exact else amount - 1), max(1, k)
    amount = terms.price_minor if due is None else due.amount_minor
    if terms.kind is PlanKind.LIFETIME:
        amount = terms.price_minor
    return (amount if p.exact else amount - 1), None


class Run:
    """Drives one membership through the steps and checks the invariants after each."""

    def __init__(self, plan: PlanRef, free: bool) -> None:
        self.now = T0
        self.m = Membership.join("t1", "member-1", plan, T0, free_first_year=free and plan.terms.kind is PlanKind.ANNUAL)
        self.payments: list[str] = []
        self.counter = 0
        self.seen_events = 0
        self.statuses = [S.PENDING_PAYMENT]
        self.check_new_events(S.PENDING_PAYMENT)

    def check_new_events(self, before: MembershipStatus) -> None:
        """Each transition recorded one event of the matching type, allowed by the state machine."""
        events: list[DomainEvent] = [e for e, _v in self.m.pending_events()][self.seen_events:]
        self.seen_events += len(events)
        status = before
        for e in events:
            if not isinstance(e, MembershipEvent):
                continue
            assert (status, e.status) in TRANSITIONS
            expected = {S.IN_GRACE: (MembershipEnteredGrace,), S.LAPSED: (MembershipLapsed,),
                        S.CANCELLED: (MembershipCancelled,), S.LIFETIME: (MembershipBecameLifetime,),
                        S.ACTIVE: (MembershipActivated, MembershipRenewed)}.get(e.status)
            if expected is not None:
                assert isinstance(e, expected), (status, e)
            assert e.reason
            if status is S.LIFETIME:
                # A lifetime membership never lapses: only a cancellation (or a refund) ends it.
                assert e.status is S.CANCELLED, "a lifetime membership never lapses"
            status = e.status
        assert status is self.m.status
        assert self.m.version == self.seen_events

    def invariants(self) -> None:
        m = self.m
        lines = {line.payment_id: line for line in m.payments}
        for period in m.live_periods:
            # No active period without a completed payment that still stands (or a free-year rule).
            if period.free:
                assert period.payment_id is None
            else:
                assert period.payment_id in lines
                line = lines[period.payment_id]
                assert line.applied and not line.fully_refunded
        # Payment ids are unique: a replay applied nothing.
        assert len(lines) == len(m.payments)
        if m.status is S.ACTIVE:
            assert m.covered(self.now), "active means a paid (or free) period covers now"
        if m.status is S.IN_GRACE:
            assert not m.covered(self.now) and m.grace_until is not None and self.now < m.grace_until
        if m.status is S.LIFETIME:
            assert any(p.end is None for p in m.live_periods)
        if m.status is S.LAPSED:
            assert not m.covered(self.now)
        # Periods never overlap.
        live = sorted(m.live_periods, key=lambda p: p.start)
        for a, b in pairwise(live):
            assert a.end is not None and a.end <= b.start

    def step(self, s: object) -> None:
        m = self.m
        before = m.status
        if isinstance(s, Advance):
            self.now += timedelta(days=s.days, hours=s.hours)
            m.advance(self.now)
        elif isinstance(s, Pay):
            self.pay(s)
        elif isinstance(s, Refund):
            if self.payments:
                pid = self.payments[s.which % len(self.payments)]
                line = next(x for x in m.payments if x.payment_id == pid)
                period_before = next((p for p in m.periods if p.payment_id == pid), None)
                amount = line.amount_minor if s.full else max(1, line.amount_minor // 2)
                m.apply_refund(pid, amount, self.now, self.now)
                period_after = next((p for p in m.periods if p.payment_id == pid), None)
                if period_before is not None and period_before.end is not None and not period_before.void:
                    # A refund ends (voids) or shortens the period it paid for.
                    assert period_after is not None and period_after.end is not None
                    if line.fully_refunded:
                        assert period_after.void
                    else:
                        assert period_after.end < period_before.end or line.refunded_minor == 0
                if period_before is not None and period_before.end is None and line.fully_refunded:
                    assert m.status is S.CANCELLED
        elif isinstance(s, Fail):
            m.apply_failure(f"failed-{self.counter}", "card_declined", self.now, None, self.now)
            self.counter += 1
            assert m.status is before or before is S.ACTIVE or before is S.IN_GRACE
        elif isinstance(s, Cancel):
            m.cancel("staff-1", "member request", self.now)
            assert m.status is S.CANCELLED
        elif isinstance(s, Renew):
            try:
                m.renew(PLANS[s.plan_index], self.now)
            except MembershipConflict:
                assert m.status is S.LIFETIME or m.terms.payable_in_instalments
        self.check_new_events(before)
        self.invariants()

    def pay(self, s: Pay) -> None:
        m = self.m
        if s.replay and self.payments:
            pid = self.payments[-1]
        else:
            pid = f"pay-{self.counter}"
            self.counter += 1
        amount, instalment = paid_amount(m, s)
        paid_at = max(T0, self.now - timedelta(days=s.delay_days))
        was = m.status
        was_until = m.paid_until
        was_grace_until = m.grace_until
        known = any(x.payment_id == pid for x in m.payments)
        m.advance(self.now)
        in_grace_at_payment = (was_until is not None and m.grace_until is not None
                               and was_until <= paid_at < m.grace_until and m.status is not S.CANCELLED)
        applied = m.apply_payment(Payment(pid, plan_of(m, s).plan_id, max(1, amount), "EUR", paid_at,
                                          instalment=instalment), self.now)
        if known:
            assert not applied, "a replayed payment is not applied twice"
            return
        self.payments.append(pid)
        if applied and m.status is S.ACTIVE and (was is S.IN_GRACE or in_grace_at_payment):
            # A payment during grace returns to active without a gap.
            new = next(p for p in m.periods if p.payment_id == pid)
            assert new.start == was_until or (was_grace_until is None and new.start == m.live_periods[0].start)
        if applied:
            assert m.status in (S.ACTIVE, S.LIFETIME, S.IN_GRACE, S.LAPSED)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan_index=st.integers(0, 2), free=st.booleans(), program=steps)
def test_invariants_hold_over_random_histories(plan_index: int, free: bool, program: list[object]) -> None:
    run = Run(PLANS[plan_index], free)
    run.invariants()
    for s in program:
        run.step(s)


@settings(max_examples=200, deadline=None)
@given(program=steps, cut=st.lists(st.integers(1, 400), max_size=6))
def test_catch_up_equals_ticking_through(program: list[object], cut: list[int]) -> None:
    """The scheduler catching up after downtime reaches the state ticking along would have."""
    a = Run(ANNUAL, False)
    b = Run(ANNUAL, False)
    for s in [*program, Pay(None, True, 0, False, 0)]:
        a.step(s)
        b.step(s)
    total = sum(cut)
    at = a.now
    for days in cut:
        at += timedelta(days=days)
        a.m.advance(at)
    b.m.advance(b.now + timedelta(days=total))
    assert a.m.status is b.m.status
    assert a.m.transitions == b.m.transitions
    assert a.m.version == b.m.version
    # No double transition: advancing again at the same instant changes nothing.
    version = b.m.version
    assert not b.m.advance(b.now + timedelta(days=total))
    assert b.m.version == version


@settings(max_examples=300, deadline=None)
@given(plan_index=st.integers(0, 2), program=steps, into_grace=st.floats(0.0, 0.999), late=st.booleans())
def test_payment_during_grace_returns_to_active_without_gap(plan_index: int, program: list[object],
                                                            into_grace: float, late: bool) -> None:
    """After any history, a membership whose period ended and that is paid within the grace —
    even when the event arrives after the scheduler lapsed it — continues where it ended."""
    run = Run(PLANS[plan_index], False)
    for s in [Pay(None, True, 0, False, 0), *program]:
        run.step(s)
    m = run.m
    until = m.paid_until
    if m.status is not S.ACTIVE or until is None:
        return
    paid_at = until + timedelta(days=m.terms.grace_days) * into_grace
    m.advance(paid_at)
    assert m.status.value == S.IN_GRACE.value
    amount, instalment = paid_amount(m, Pay(None, True, 0, False, 0))
    received = paid_at + timedelta(days=m.terms.grace_days + 5) if late else paid_at
    run.now = received
    assert m.apply_payment(Payment("in-grace", m.plan.plan_id, amount, "EUR", paid_at, instalment=instalment), received)
    new = next(p for p in m.periods if p.payment_id == "in-grace")
    assert new.start == until
    assert m.status in (S.ACTIVE, S.LIFETIME, S.IN_GRACE)  # in grace again if the new period also ended
    run.invariants()
