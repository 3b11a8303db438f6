"""Scenarios of the membership state machine, one rule at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from members_service.domain.membership import (
    Eligibility,
    InvalidPlan,
    Membership,
    MembershipActivated,
    MembershipBecameLifetime,
    MembershipConflict,
    MembershipEnteredGrace,
    MembershipLapsed,
    MembershipRenewed,
    MembershipStatus,
    Payment,
    Plan,
    PlanKind,
    PlanNotEligible,
    PlanRef,
    PlanTerms,
    add_months,
    check_eligibility,
    first_year_free,
)

S = MembershipStatus
T0 = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
ANNUAL = PlanRef("std", 1, PlanTerms("Standard", PlanKind.ANNUAL, 6000, "EUR", grace_days=30))
LIFE3 = PlanRef("life3", 1, PlanTerms("Lifetime", PlanKind.LIFETIME, 100000, "EUR", instalments=3,
                                      instalment_interval_months=12, grace_days=30))


def pay(m: Membership, pid: str, amount: int, at: datetime, plan: str = "std", instalment: int | None = None) -> bool:
    return m.apply_payment(Payment(pid, plan, amount, "EUR", at, instalment=instalment), at)


def state(m: Membership) -> MembershipStatus:
    """The status, read through a call (mypy would otherwise narrow it across the rules' calls)."""
    return m.status


def kinds(m: Membership) -> list[str]:
    return [type(e).__name__ for e, _ in m.pending_events()]


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(T0, 1).day == 28
    assert add_months(T0, 12) == T0.replace(year=2027)


def test_annual_life_cycle_pay_grace_lapse_and_reactivate() -> None:
    m = Membership.join("t", "m1", ANNUAL, T0)
    assert state(m) is S.PENDING_PAYMENT and m.due is not None and m.due.amount_minor == 6000
    assert m.advance(T0 + timedelta(days=900)) is False  # pending never lapses on its own
    assert pay(m, "p1", 6000, T0)
    assert state(m) is S.ACTIVE and m.paid_until == T0.replace(year=2027)
    m.advance(T0.replace(year=2027) + timedelta(days=1))
    assert state(m) is S.IN_GRACE and m.grace_until == T0.replace(year=2027) + timedelta(days=30)
    m.advance(T0.replace(year=2027) + timedelta(days=31))
    assert state(m) is S.LAPSED
    later = T0.replace(year=2027, month=6, day=15)
    m.renew(ANNUAL, later)
    assert state(m) is S.PENDING_PAYMENT
    assert pay(m, "p2", 6000, later)
    assert state(m) is S.ACTIVE and m.current_period is not None and m.current_period.start == later
    assert kinds(m) == ["MembershipRecordChanged", "MembershipActivated", "MembershipEnteredGrace", "MembershipLapsed",
                        "MembershipAwaitingPayment", "MembershipActivated"]
    activated = [e for e, _ in m.pending_events() if isinstance(e, MembershipActivated)]
    assert [a.reactivation for a in activated] == [False, True]


def test_payment_during_grace_renews_without_gap() -> None:
    m = Membership.join("t", "m1", ANNUAL, T0)
    pay(m, "p1", 6000, T0)
    end = m.paid_until
    assert end is not None
    in_grace = end + timedelta(days=10)
    m.advance(in_grace)
    assert state(m) is S.IN_GRACE
    assert pay(m, "p2", 6000, in_grace)
    assert state(m) is S.ACTIVE
    assert m.periods[-1].start == end and m.paid_until == add_months(end, 12)
    assert isinstance(m.pending_events()[-1][0], MembershipRenewed)


def test_late_webhook_for_a_payment_made_in_grace_still_has_no_gap() -> None:
    m = Membership.join("t", "m1", ANNUAL, T0)
    pay(m, "p1", 6000, T0)
    end = m.paid_until
    assert end is not None
    m.advance(end + timedelta(days=40))  # lapsed meanwhile
    assert state(m) is S.LAPSED
    # Paid on day 20 of the grace; the event arrives after the lapse.
    assert m.apply_payment(Payment("p2", "std", 6000, "EUR", end + timedelta(days=20)), end + timedelta(days=40))
    assert state(m) is S.ACTIVE and m.periods[-1].start == end


def test_replayed_payment_and_wrong_payments_change_nothing_but_are_visible() -> None:
    m = Membership.join("t", "m1", ANNUAL, T0)
    assert pay(m, "p1", 6000, T0)
    version = m.version
    assert not pay(m, "p1", 6000, T0)
    assert m.version == version
    assert not pay(m, "short", 5999, T0)
    assert not pay(m, "other", 6000, T0, plan="gold")
    assert not m.apply_payment(Payment("usd", "std", 6000, "USD", T0), T0)
    assert {p.note for p in m.unapplied_payments} == {"amount-short", "other-plan", "currency"}
    assert len(m.live_periods) == 1


def test_failure_is_visible_and_changes_no_state() -> None:
    m = Membership.join("t", "m1", ANNUAL, T0)
    pay(m, "p1", 6000, T0)
    m.apply_failure("f1", "card_declined", T0 + timedelta(days=300), None, T0 + timedelta(days=300))
    assert state(m) is S.ACTIVE and m.last_failure is not None and m.last_failure.reason == "card_declined"


def test_lifetime_in_three_instalments_missed_instalment_is_visible() -> None:
    m = Membership.join("t", "m1", LIFE3, T0)
    assert m.due is not None and (m.due.amount_minor, m.due.instalment) == (33334, 1)
    assert pay(m, "i1", 33334, T0, "life3", 1)
    assert state(m) is S.ACTIVE and m.paid_instalments == 1
    assert not pay(m, "i3", 33333, T0, "life3", 3)  # out of order
    year = T0.replace(year=2027)
    m.advance(year + timedelta(days=1))
    assert state(m) is S.IN_GRACE and m.missed_instalment == 2
    grace = [e for e, _ in m.pending_events() if isinstance(e, MembershipEnteredGrace)]
    assert grace[-1].missed_instalment == 2 and grace[-1].reason == "instalment-missed"
    assert pay(m, "i2", 33333, year + timedelta(days=2), "life3", 2)
    assert state(m) is S.ACTIVE
    assert pay(m, "i3b", 33333, year + timedelta(days=3), "life3", 3)
    assert state(m) is S.LIFETIME
    assert isinstance(m.pending_events()[-1][0], MembershipBecameLifetime)
    assert m.advance(T0.replace(year=2090)) is False and state(m) is S.LIFETIME
    with pytest.raises(MembershipConflict):
        m.renew(ANNUAL, year)


def test_lifetime_paid_at_once_and_refunded_is_cancelled_not_lapsed() -> None:
    once = PlanRef("life", 1, PlanTerms("Lifetime", PlanKind.LIFETIME, 90000, "EUR"))
    m = Membership.join("t", "m1", once, T0)
    assert pay(m, "p", 90000, T0, "life")
    assert state(m) is S.LIFETIME
    assert m.apply_refund("p", 90000, T0 + timedelta(days=3), T0 + timedelta(days=3))
    assert state(m) is S.CANCELLED and m.status_reason == "payment-refunded"


def test_refunds_shorten_or_end_the_period() -> None:
    m = Membership.join("t", "m1", ANNUAL, T0)
    pay(m, "p1", 6000, T0)
    end = m.paid_until
    assert end is not None
    m.apply_refund("p1", 3000, T0 + timedelta(days=1), T0 + timedelta(days=1))
    assert state(m) is S.ACTIVE and m.paid_until is not None and m.paid_until < end
    assert m.paid_until - T0 == (end - T0) / 2
    m.apply_refund("p1", 3000, T0 + timedelta(days=2), T0 + timedelta(days=2))
    assert state(m) is S.LAPSED and m.live_periods == []
    lapsed = m.pending_events()[-1][0]
    assert isinstance(lapsed, MembershipLapsed) and lapsed.reason == "payment-refunded"
    assert not m.apply_refund("unknown", 100, T0, T0)


def test_free_first_year_and_eligibility_rules() -> None:
    young = PlanTerms("Jeune diplômé", PlanKind.ANNUAL, 2000, "EUR",
                      eligibility=Eligibility(max_years_since_graduation=3, free_first_year_within_years=1))
    check_eligibility(young, [2024], date(2026, 5, 1))
    with pytest.raises(PlanNotEligible, match="young-graduate"):
        check_eligibility(young, [2019], date(2026, 5, 1))
    with pytest.raises(PlanNotEligible):
        check_eligibility(young, [], date(2026, 5, 1))
    assert first_year_free(young, [2026], date(2026, 9, 1), had_membership=False)
    assert not first_year_free(young, [2026], date(2026, 9, 1), had_membership=True)
    assert not first_year_free(young, [2023], date(2026, 9, 1), had_membership=False)
    m = Membership.join("t", "m1", PlanRef("young", 1, young), T0, free_first_year=True)
    assert state(m) is S.ACTIVE and m.live_periods[0].free and m.due is None


def test_plans_are_versioned_validated_and_retired() -> None:
    plan = Plan.create("t", ANNUAL.terms, T0)
    assert plan.revision == 1
    plan.edit(PlanTerms("Standard", PlanKind.ANNUAL, 6500, "EUR"), T0)
    assert plan.revision == 2 and plan.history[0].terms.price_minor == 6000
    with pytest.raises(InvalidPlan):
        plan.edit(PlanTerms("Standard", PlanKind.LIFETIME, 6500, "EUR"), T0)
    with pytest.raises(InvalidPlan):
        Plan.create("t", PlanTerms("x", PlanKind.ANNUAL, 100, "EUR", tax_deductible_minor=200), T0)
    with pytest.raises(InvalidPlan):
        Plan.create("t", PlanTerms("x", PlanKind.LIFETIME, 2, "EUR", instalments=3), T0)
    plan.retire(T0)
    assert plan.retired
    with pytest.raises(MembershipConflict):
        plan.edit(PlanTerms("Standard", PlanKind.ANNUAL, 7000, "EUR"), T0)


@pytest.mark.parametrize("currency", ["XYZ", "JPY", "TND", "eur"])
def test_a_plan_is_priced_in_a_two_decimal_iso_currency(currency: str) -> None:
    """Found trying the demo: 'XYZ' was accepted, and 9000 JPY was shown as 90.00 JPY while
    the provider would charge 9,000 yen."""
    with pytest.raises(InvalidPlan, match="two-decimal ISO 4217"):
        Plan.create("t", PlanTerms("Standard", PlanKind.ANNUAL, 9000, currency), T0)
    assert Plan.create("t", PlanTerms("Standard", PlanKind.ANNUAL, 9000, "CHF"), T0).revision == 1


def test_transition_events_name_the_plan_and_what_paying_next_costs() -> None:
    """What reminders say (plan, amount): the next instalment for a schedule, the renewal price
    for an annual plan, nothing once lifetime or cancelled — mapped to the v1 contract's optional fields."""
    from alumni_contracts.members import membership_v1
    from members_service.service_layer.contract_mapping import to_contract

    m = Membership.join("t1", "m1", LIFE3, T0)
    pay(m, "p1", LIFE3.terms.instalment_amount(1), T0, plan="life3", instalment=1)
    m.advance(add_months(T0, 12))  # instalment 2 missed: in grace
    pay(m, "p2", LIFE3.terms.instalment_amount(2), add_months(T0, 12) + timedelta(days=1), plan="life3", instalment=2)
    pay(m, "p3", LIFE3.terms.instalment_amount(3), add_months(T0, 13), plan="life3", instalment=3)
    dues = [(type(e).__name__, e.plan_name, e.amount_due_minor, e.currency)  # type: ignore[attr-defined]
            for e, _ in m.pending_events() if hasattr(e, "amount_due_minor")]
    assert dues == [("MembershipActivated", "Lifetime", 33333, "EUR"),
                    ("MembershipEnteredGrace", "Lifetime", 33333, "EUR"),
                    ("MembershipRenewed", "Lifetime", 33333, "EUR"),
                    ("MembershipBecameLifetime", "Lifetime", None, "EUR")]  # the last instalment: nothing more

    a = Membership.join("t1", "m2", ANNUAL, T0)
    pay(a, "p1", 6000, T0)
    a.cancel("office", "left", T0 + timedelta(days=3))
    events = [to_contract(e) for e, _ in a.pending_events() if hasattr(e, "amount_due_minor")]
    activated, cancelled = events
    assert isinstance(activated, membership_v1.MembershipActivated)
    assert (activated.plan_name, activated.amount_due_minor, activated.currency) == ("Standard", 6000, "EUR")
    assert isinstance(cancelled, membership_v1.MembershipCancelled)
    assert (cancelled.plan_name, cancelled.amount_due_minor, cancelled.currency) == ("Standard", None, None)
