"""Campaigns, gifts, recurring gifts and pledges: the rules, without I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from fundraising_service.domain.campaigns import (
    Campaign,
    CampaignGoalReached,
    CampaignNotOpen,
    CurrencyMismatch,
    InvalidCampaign,
    LegalEntity,
    PostalAddress,
    UnknownFund,
)
from fundraising_service.domain.gifts import (
    Donor,
    Frequency,
    Gift,
    GiftRefundRefused,
    InvalidGift,
    Pledge,
    PledgeRefused,
    ReceiptChoice,
    RecurringGift,
    RecurringGiftTransitionRefused,
    RecurringStatus,
)
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import Method
from fundraising_service.service_layer.contract_mapping import to_contract

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ENTITY = LegalEntity("fondation", "Fondation", PostalAddress("1 rue", "75005", "Paris"), "Bourses", True, "FRUP")
NO_RECEIPTS = LegalEntity("club", "Club", PostalAddress("1 rue", "75005", "Paris"), "Loisirs", False)


def campaign(goal: int = 10_000, ends: datetime | None = None) -> Campaign:
    return Campaign.launch(tenant="demo", name_fr="Bourses", name_en="Scholarships", description_fr="",
                           description_en="", goal=Money(goal, "EUR"), starts_at=NOW, ends_at=ends,
                           legal_entity=ENTITY, funds=(), appeals=(), giving_day=True, now=NOW)


def gift(amount: int = 5000, currency: str = "EUR", **kw: object) -> Gift:
    args: dict[str, object] = {"tenant": "demo", "member_id": "m1", "amount": Money(amount, currency),
                               "campaign_id": "c1", "legal_entity": ENTITY, "method": Method.CHEQUE,
                               "provider": "manual", "paid_on": NOW.date(), "now": NOW, "donor": Donor("Ada", "L")}
    args.update(kw)
    return Gift.receive(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize("goal", [0, -1])
def test_a_campaign_needs_a_positive_goal_and_a_sensible_window(goal: int) -> None:
    with pytest.raises(InvalidCampaign):
        campaign(goal)
    with pytest.raises(InvalidCampaign):
        campaign(ends=NOW - timedelta(days=1))


def test_the_goal_is_reached_once_and_published() -> None:
    c = campaign(10_000)
    c.add_gift(Money(6000, "EUR"), True, NOW)
    c.add_gift(Money(5000, "EUR"), True, NOW)
    c.add_gift(Money(5000, "EUR"), False, NOW)
    reached = [e for e, _ in c.pending_events() if isinstance(e, CampaignGoalReached)]
    assert len(reached) == 1 and reached[0].raised.minor_units == 11_000 and reached[0].donors == 2
    assert to_contract(reached[0]) is not None


def test_gifts_to_a_closed_or_ended_campaign_or_in_another_currency_are_refused() -> None:
    c = campaign(ends=NOW + timedelta(days=1))
    with pytest.raises(CurrencyMismatch):
        c.check_gift(Money(100, "USD"), None, None, NOW)
    with pytest.raises(UnknownFund):
        c.check_gift(Money(100, "EUR"), "nope", None, NOW)
    with pytest.raises(CampaignNotOpen):
        c.check_gift(Money(100, "EUR"), None, None, NOW + timedelta(days=2))
    c.close(NOW)
    with pytest.raises(CampaignNotOpen) as closed:
        c.check_gift(Money(100, "EUR"), None, None, NOW)
    assert closed.value.status == 409


@pytest.mark.parametrize(("amount", "currency"), [(0, "EUR"), (-5, "EUR"), (100, "XYZ"), (100, "JPY")])
def test_bad_amounts_and_currencies_are_refused(amount: int, currency: str) -> None:
    with pytest.raises(InvalidGift):
        gift(amount, currency)


def test_matching_gift_anonymous_and_entity_without_receipts() -> None:
    employee = gift()
    company = Donor(company_name="ACME SAS", company_id="552100554")
    match = gift(donor=company, matches=employee)
    assert match.matches_gift_id == employee.id and match.donor.is_company
    with pytest.raises(InvalidGift):
        gift(matches=employee)  # a matching gift is a company's
    with pytest.raises(InvalidGift):
        gift(donor=company, matches=match)  # it matches an employee's own gift
    hidden = gift(anonymous=True, named_publicly=True)
    assert hidden.named_publicly is False, "anonymous wins over named"
    assert gift(legal_entity=NO_RECEIPTS).receipt is ReceiptChoice.NONE
    event = to_contract(gift().pending_events()[0][0])
    assert event is not None and event.model_dump()["legal_entity"]["entity_id"] == "fondation"


def test_refunds_never_exceed_the_gift() -> None:
    g = gift(5000)
    g.refund(2000, "typo", NOW)
    with pytest.raises(GiftRefundRefused):
        g.refund(3001, "too much", NOW)
    g.refund(3000, "rest", NOW)
    assert str(g.status) == "refunded" and g.net_minor == 0


def test_a_recurring_gift_fails_visibly_recovers_and_cancels_for_good() -> None:
    r = RecurringGift.start(tenant="demo", member_id="m1", campaign_id=None, fund_id=None, amount=Money(2000, "EUR"),
                            frequency=Frequency.MONTHLY, donor=Donor("A", "B"), anonymous=False,
                            receipt=ReceiptChoice.YEARLY_SUMMARY, first_charge_on=date(2026, 1, 31), now=NOW)
    r.charge_failed("card_declined", NOW)
    assert (r.status, r.failures) == (RecurringStatus.FAILED, 1)
    r.charged(date(2026, 1, 31))
    assert (r.status, r.next_charge_on) == (RecurringStatus.ACTIVE, date(2026, 2, 28))
    r.pause()
    with pytest.raises(RecurringGiftTransitionRefused):
        r.pause()
    r.resume()
    r.cancel("moving", NOW)
    with pytest.raises(RecurringGiftTransitionRefused):
        r.charged(date(2026, 3, 31))
    kinds = [type(to_contract(e)).__name__ for e, _ in r.pending_events()]
    assert kinds == ["RecurringGiftStarted", "RecurringGiftFailed", "RecurringGiftCancelled"]


def test_a_pledge_schedule_adds_up_and_is_fulfilled_once() -> None:
    p = Pledge.make(tenant="demo", member_id="m1", campaign_id=None, fund_id=None, total=Money(1000, "EUR"),
                    due_dates=(date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)), donor=Donor(), anonymous=False,
                    now=NOW)
    assert [i.amount_minor for i in p.schedule] == [334, 333, 333]
    with pytest.raises(PledgeRefused):
        p.check_payment(Money(1001, "EUR"), "m1")
    with pytest.raises(PledgeRefused):
        p.check_payment(Money(100, "EUR"), "someone-else")
    assert p.check_payment(Money(334, "EUR"), "m1") == 1
    p.pay("g1", Money(334, "EUR"), NOW)
    p.pay("g2", Money(666, "EUR"), NOW)
    assert str(p.status) == "fulfilled"
    with pytest.raises(PledgeRefused):
        p.check_payment(Money(1, "EUR"), "m1")
    with pytest.raises(InvalidGift):
        Pledge.make(tenant="demo", member_id="m1", campaign_id=None, fund_id=None, total=Money(1000, "EUR"),
                    due_dates=(date(2026, 4, 1), date(2026, 1, 1)), donor=Donor(), anonymous=False, now=NOW)
