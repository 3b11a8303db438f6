"""Automatic collection of recurring gifts: the schedule, the claim of one attempt per period and
the dunning (retries on D+3 and D+7, then a visible stop) — the rules, without I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from fundraising_service.domain.gifts import (
    ChargeNotDue,
    Collection,
    Donor,
    Frequency,
    ReceiptChoice,
    RecurringGift,
    RecurringGiftChanged,
    RecurringGiftTransitionRefused,
    RecurringStatus,
)
from fundraising_service.domain.model import Money

NOW = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def monthly(paid_on: date = date(2026, 1, 31), frequency: Frequency = Frequency.MONTHLY) -> RecurringGift:
    return RecurringGift.start_automatic(
        gift_id="rg1", tenant="demo", member_id="m1", campaign_id=None, fund_id=None, amount=Money(2000, "EUR"),
        frequency=frequency, donor=Donor("Ada", "L"), anonymous=False, receipt=ReceiptChoice.PER_GIFT,
        provider="local", mandate_ref="cus_local_ok_1", paid_on=paid_on, now=at(paid_on))


def failed_events(r: RecurringGift) -> list[RecurringGiftChanged]:
    return [e for e in r._events if isinstance(e, RecurringGiftChanged) and e.change == "failed"]


def test_the_first_period_is_paid_by_the_checkout_and_the_next_ones_follow_the_schedule() -> None:
    r = monthly()
    assert (r.status, r.charges, r.collection, r.next_charge_on) == (
        RecurringStatus.ACTIVE, 1, Collection.SCHEDULED, date(2026, 2, 28))  # the 31st: the 28th, every month
    assert r.due_on == date(2026, 2, 28)
    with pytest.raises(ChargeNotDue):
        r.claim_charge(date(2026, 2, 27), at(date(2026, 2, 27)))
    attempt = r.claim_charge(date(2026, 2, 28), at(date(2026, 2, 28)))
    assert (attempt.period, attempt.attempt, attempt.key) == (date(2026, 2, 28), 1, "rg-rg1-2026-02-28-1")
    assert r.settle_charge(attempt, True, None, at(date(2026, 2, 28)))
    assert (r.charges, r.next_charge_on) == (2, date(2026, 3, 28))
    assert not r.settle_charge(attempt, True, None, at(date(2026, 2, 28))), "the same answer twice changes nothing"
    assert r.charges == 2
    yearly = monthly(date(2024, 2, 29), Frequency.YEARLY)
    assert yearly.next_charge_on == date(2025, 2, 28)


def test_one_attempt_in_flight_at_a_time_and_a_crashed_one_is_taken_over_under_the_same_key() -> None:
    r = monthly()
    day = date(2026, 2, 28)
    first = r.claim_charge(day, at(day))
    with pytest.raises(ChargeNotDue):  # a second scheduler (another replica) finds it claimed
        r.claim_charge(day, at(day) + timedelta(minutes=1))
    again = r.claim_charge(day, at(day) + timedelta(hours=1))  # the first scheduler died: its claim expired
    assert again.key == first.key, "same attempt, same idempotency key at the provider: never charged twice"


def test_a_failed_charge_is_retried_on_d_plus_3_and_d_plus_7_then_collection_stops_visibly() -> None:
    r = monthly()
    due = date(2026, 2, 28)
    attempt = r.claim_charge(due, at(due))
    assert r.settle_charge(attempt, False, "card_declined", at(due))
    assert (r.status, r.collection, r.next_attempt_on, r.next_charge_on) == (
        RecurringStatus.FAILED, Collection.RETRYING, date(2026, 3, 3), due)
    [event] = failed_events(r)
    assert (event.period, event.next_attempt_on, event.final, event.failures) == (due, date(2026, 3, 3), False, 1)
    with pytest.raises(ChargeNotDue):
        r.claim_charge(date(2026, 3, 2), at(date(2026, 3, 2)))
    second = r.claim_charge(date(2026, 3, 3), at(date(2026, 3, 3)))
    assert (second.period, second.attempt) == (due, 2)
    r.settle_charge(second, False, "card_declined", at(date(2026, 3, 3)))
    assert r.next_attempt_on == date(2026, 3, 7)
    third = r.claim_charge(date(2026, 3, 7), at(date(2026, 3, 7)))
    r.settle_charge(third, False, "insufficient_funds", at(date(2026, 3, 7)))
    assert (r.status, r.collection, r.due_on, r.failures, r.last_failure) == (
        RecurringStatus.FAILED, Collection.STOPPED, None, 3, "insufficient_funds")
    assert [e.final for e in failed_events(r)] == [False, False, True], "the last failure says it is the last"
    with pytest.raises(ChargeNotDue):
        r.claim_charge(date(2026, 4, 30), at(date(2026, 4, 30)))


def test_a_successful_retry_returns_to_active_and_keeps_the_schedule_of_the_period() -> None:
    r = monthly()
    due = date(2026, 2, 28)
    r.settle_charge(r.claim_charge(due, at(due)), False, "card_declined", at(due))
    retry = r.claim_charge(date(2026, 3, 3), at(date(2026, 3, 3)))
    assert r.settle_charge(retry, True, None, at(date(2026, 3, 3)))
    assert (r.status, r.collection, r.failures, r.next_charge_on, r.next_attempt_on) == (
        RecurringStatus.ACTIVE, Collection.SCHEDULED, 0, date(2026, 3, 28), None)


def test_a_late_scheduler_never_retries_the_same_day_and_a_new_payment_method_resumes_a_stopped_gift() -> None:
    r = monthly()
    due = date(2026, 2, 28)
    late = date(2026, 3, 5)  # the platform was down for a week: the first attempt runs late
    r.settle_charge(r.claim_charge(late, at(late)), False, "card_declined", at(late))
    assert r.next_attempt_on == date(2026, 3, 6), "D+3 is past: tomorrow"
    for day in (date(2026, 3, 6), date(2026, 3, 7)):
        r.settle_charge(r.claim_charge(day, at(day)), False, "card_declined", at(day))
    assert r.collection is Collection.STOPPED
    paid = r.payment_method_updated("local", "cus_local_ok_2", date(2026, 3, 10), at(date(2026, 3, 10)))
    assert paid == due
    assert (r.status, r.collection, r.mandate_ref, r.next_charge_on) == (
        RecurringStatus.ACTIVE, Collection.SCHEDULED, "cus_local_ok_2", date(2026, 3, 28))


def test_paused_and_cancelled_gifts_are_not_charged_and_a_cancelled_one_ignores_a_late_answer() -> None:
    r = monthly()
    due = date(2026, 2, 28)
    r.pause()
    assert r.due_on is None
    with pytest.raises(ChargeNotDue):
        r.claim_charge(due, at(due))
    r.resume()
    attempt = r.claim_charge(due, at(due))
    r.cancel("moving abroad", at(due))
    assert not r.settle_charge(attempt, True, None, at(due))
    assert (r.status, r.charges, r.due_on) == (RecurringStatus.CANCELLED, 1, None)
    with pytest.raises(RecurringGiftTransitionRefused):
        r.payment_method_updated("local", "cus_local_ok_3", due, at(due))


def test_manual_recurring_gifts_are_not_collected_automatically() -> None:
    r = RecurringGift.start(tenant="demo", member_id="m1", campaign_id=None, fund_id=None, amount=Money(2000, "EUR"),
                            frequency=Frequency.MONTHLY, donor=Donor(), anonymous=False,
                            receipt=ReceiptChoice.YEARLY_SUMMARY, first_charge_on=NOW.date(), now=NOW)
    assert (r.collection, r.due_on) == (Collection.MANUAL, None)
    r.charge_failed("bank_refused", NOW)
    [event] = failed_events(r)
    assert (event.period, event.next_attempt_on, event.final) == (None, None, False)
