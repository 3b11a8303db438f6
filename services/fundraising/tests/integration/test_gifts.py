"""Campaigns and gifts against a real MongoDB-wire server: progress, the goal reached once,
online gifts made by the provider's webhook (the same webhook twice: one gift), refunds,
recurring gifts, pledges, the leaderboard, the public page, export and erasure."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from alumni_contracts.fundraising.v1 import DonationReceived
from alumni_contracts.registry import REGISTRY
from fundraising_service.adapters.gift_repository import GIFT_INDEXES, GIFTS, RECURRING_GIFTS
from fundraising_service.adapters.mongo_repository import INDEXES, PAYMENTS
from fundraising_service.adapters.stripe_checkout import LocalCheckoutProvider, local_event, sign_webhook
from fundraising_service.adapters.unit_of_work import MongoFundraisingUnitOfWork
from fundraising_service.bootstrap import export_queries
from fundraising_service.domain.campaigns import (
    CampaignNotOpen,
    CurrencyMismatch,
    LegalEntity,
    PostalAddress,
    UnknownCampaign,
)
from fundraising_service.domain.gifts import Donor, Frequency, GiftRefundRefused, Nature, ReceiptChoice
from fundraising_service.domain.model import Money, UnknownDonor
from fundraising_service.domain.payments import Method
from fundraising_service.service_layer import gift_commands as c
from fundraising_service.service_layer import gift_handlers as h
from fundraising_service.service_layer import handlers, payment_handlers
from fundraising_service.service_layer.commands import ProjectMember, ReceiveWebhook
from fundraising_service.service_layer.contract_mapping import to_contract
from servicekit.data_export import export_records
from servicekit.erasure import EraseMemberData, erase_member_data
from servicekit.mongo import ensure_indexes
from servicekit.outbox import OUTBOX, outbox_indexes

pytestmark = pytest.mark.integration
SECRET = "whsec_integration"
FOUNDATION = LegalEntity("fondation-ecole", "Fondation de l'École", PostalAddress("1 rue de l'École", "75005", "Paris"),
                         "Soutien à l'enseignement supérieur", True, "fondation reconnue d'utilité publique")
TODAY = datetime.now(UTC).date()


@pytest.fixture
async def uow_factory(mongo_client: Any, db: Any, db_name: str) -> Any:
    await ensure_indexes(db, [*INDEXES, *GIFT_INDEXES, *outbox_indexes(7)])
    factory = lambda: MongoFundraisingUnitOfWork(mongo_client, db_name, to_contract)  # noqa: E731
    for member_id, first, last, cohort in [("m1", "Ada", "Lovelace", ("MSc Finance", 2012)),
                                           ("m2", "Alan", "Turing", ("MSc Finance", 2012)),
                                           ("m3", "Grace", "Hopper", ("MSc Finance", 2012)),
                                           ("m4", "Katherine", "Johnson", ("BBA", 2015))]:
        await handlers.project_member(ProjectMember("demo", member_id, 1, first, last, (cohort,)), factory())
    return factory


@pytest.fixture
def providers() -> payment_handlers.Providers:
    return payment_handlers.Providers.of(LocalCheckoutProvider(page_url="http://127.0.0.1:8030",
                                                               webhook_secret=SECRET))


async def launch(uow_factory: Any, goal: int = 10_000, tenant: str = "demo", giving_day: bool = False) -> Any:
    return await h.launch_campaign(c.LaunchCampaign(
        tenant, "Bourses 2026", "Scholarships 2026", "", "", Money(goal, "EUR"), None, None, FOUNDATION,
        (), (), giving_day), uow_factory())


def details(campaign_id: str, amount: int = 5000, *, currency: str = "EUR", anonymous: bool = False,
            named: bool = True, donor: Donor = Donor(), pledge_id: str | None = None) -> c.GiftDetails:
    return c.GiftDetails(campaign_id, Money(amount, currency), None, None, anonymous, named, donor,
                         donor.is_company, ReceiptChoice.PER_GIFT, "fr", pledge_id)


async def cheque(uow_factory: Any, campaign_id: str, member: str = "m1", amount: int = 5000, **kw: Any) -> Any:
    return await h.record_gift(c.RecordGift("demo", member, details(campaign_id, amount, **kw), Method.CHEQUE,
                                            "CHQ 1", TODAY, Nature.CASH, None), uow_factory())


async def published(db: Any, name: str) -> list[Any]:
    rows = await db[OUTBOX].find({"subject": f"evt.demo.fundraising.{name}.v1"}).sort("_id", 1).to_list()
    return [REGISTRY.parse(row["payload"]) if isinstance(row.get("payload"), (str, bytes)) else row for row in rows]


async def test_gifts_move_progress_and_the_goal_is_reached_once(uow_factory: Any, db: Any) -> None:
    campaign = await launch(uow_factory)
    assert len(await published(db, "campaign_launched")) == 1
    gift = await cheque(uow_factory, campaign.id, "m1", 6000)
    await cheque(uow_factory, campaign.id, "m1", 3000)
    await cheque(uow_factory, campaign.id, "m2", 2000)  # crosses 10,000
    await cheque(uow_factory, campaign.id, "m3", 2000)
    now = await h.get_campaign(c.GetCampaign("demo", campaign.id), uow_factory())
    assert (now.raised_minor, now.gifts, now.donors) == (13_000, 4, 3) and now.goal_reached_at is not None
    assert len(await published(db, "campaign_goal_reached")) == 1
    received = await published(db, "donation_received")
    assert len(received) == 4
    first = received[0]
    data = first.data if hasattr(first, "data") else None
    if data is not None:
        assert isinstance(data, DonationReceived)
        assert data.donor is not None and data.donor.last_name == "Lovelace"
        assert data.legal_entity is not None and data.legal_entity.entity_id == "fondation-ecole"
        assert (data.method, data.provider, data.paid_on, data.payment_id) == ("cheque", "manual", TODAY,
                                                                               gift.payment_id)
    assert await db[PAYMENTS].count_documents({"tenant": "demo", "purpose": "gift"}) == 4


async def test_bad_gifts_are_refused_with_clear_problems(uow_factory: Any, db: Any) -> None:
    campaign = await launch(uow_factory)
    with pytest.raises(CurrencyMismatch):
        await cheque(uow_factory, campaign.id, currency="USD")
    with pytest.raises(UnknownDonor):
        await cheque(uow_factory, campaign.id, member="nobody")
    theirs = await launch(uow_factory, tenant="other")
    with pytest.raises(UnknownCampaign):  # another tenant's campaign is not found here
        await cheque(uow_factory, theirs.id)
    await h.close_campaign(c.CloseCampaign("demo", campaign.id), uow_factory())
    with pytest.raises(CampaignNotOpen) as closed:
        await cheque(uow_factory, campaign.id)
    assert closed.value.status == 409
    assert await db[GIFTS].count_documents({"tenant": "demo"}) == 0
    assert len(await published(db, "campaign_closed")) == 1


def paid_webhook(checkout_id: str, session_id: str, amount: int) -> ReceiveWebhook:
    body = local_event(session_id=session_id, checkout_id=checkout_id, tenant="demo", amount_minor=amount,
                       currency="EUR", methods=["card"], paid=True, created=int(time.time()))
    return ReceiveWebhook("demo", "local", body, sign_webhook(body, SECRET, int(time.time())))


async def test_an_online_gift_is_made_by_the_webhook_and_the_same_webhook_twice_is_one_gift(
        uow_factory: Any, db: Any, providers: Any) -> None:
    campaign = await launch(uow_factory)
    gift_id, checkout = await h.give_online(c.GiveOnline("demo", "m2", details(campaign.id, 2500, anonymous=True),
                                                         None), uow_factory(), providers)
    assert await db[GIFTS].count_documents({"tenant": "demo"}) == 0  # not before the money
    webhook = paid_webhook(checkout.id, checkout.session_id, 2500)
    assert await payment_handlers.receive_webhook(webhook, uow_factory(), providers,
                                                  gift_paid=h.gift_paid) == "processed"
    assert await payment_handlers.receive_webhook(webhook, uow_factory(), providers,
                                                  gift_paid=h.gift_paid) == "duplicate"
    [gift] = await db[GIFTS].find({"tenant": "demo"}).to_list()
    assert (gift["_id"], gift["provider"], gift["method"], gift["anonymous"]) == (gift_id, "local", "card", True)
    assert len(await published(db, "donation_received")) == 1
    public, names = await h.public_campaign(c.PublicCampaign("demo", campaign.id), uow_factory())
    assert public.raised_minor == 2500 and names == []  # anonymous: never named


async def test_refund_recurring_pledge_leaderboard_export_and_erasure(uow_factory: Any, db: Any,
                                                                      providers: Any) -> None:
    campaign = await launch(uow_factory, giving_day=True)
    gift = await cheque(uow_factory, campaign.id, "m1", 5000)
    await cheque(uow_factory, campaign.id, "m4", 1000, named=False)
    refunded = await h.refund_gift(c.RefundGift("demo", gift.id, 2000, "typo"), uow_factory(), providers)
    assert (refunded.refunded_minor, str(refunded.status)) == (2000, "partially_refunded")
    with pytest.raises(GiftRefundRefused):
        await h.refund_gift(c.RefundGift("demo", gift.id, 3001, "too much"), uow_factory(), providers)
    assert len(await published(db, "donation_refunded")) == 1
    assert (await h.get_campaign(c.GetCampaign("demo", campaign.id), uow_factory())).raised_minor == 4000
    _, names = await h.public_campaign(c.PublicCampaign("demo", campaign.id), uow_factory())
    assert names == ["Ada L."]  # m4 did not agree to be named

    recurring = await h.start_recurring_gift(c.StartRecurringGift(
        "demo", "m2", campaign.id, None, Money(1500, "EUR"), Frequency.MONTHLY, None, False,
        ReceiptChoice.YEARLY_SUMMARY, Donor(), False), uow_factory())
    failed = await h.record_recurring_charge(c.RecordRecurringCharge(
        "demo", recurring.id, False, TODAY, Method.SEPA_DEBIT, "insufficient_funds"), uow_factory())
    assert (str(failed.status), failed.failures) == ("failed", 1)
    [failure] = await published(db, "recurring_gift_failed")
    assert (failure.data.reason, failure.data.failures) == ("insufficient_funds", 1)
    back = await h.record_recurring_charge(c.RecordRecurringCharge(
        "demo", recurring.id, True, TODAY, Method.SEPA_DEBIT, None), uow_factory())
    assert (str(back.status), back.charges, back.next_charge_on) == ("active", 1, h_next(TODAY))

    pledge = await h.make_pledge(c.MakePledge("demo", "m3", campaign.id, None, Money(3000, "EUR"),
                                              (TODAY, TODAY + timedelta(days=30)), False), uow_factory())
    await cheque(uow_factory, campaign.id, "m3", 1500, pledge_id=pledge.id)
    await cheque(uow_factory, campaign.id, "m3", 1500, pledge_id=pledge.id)
    assert len(await published(db, "pledge_fulfilled")) == 1

    _, rows, programs = await h.campaign_leaderboard(c.CampaignLeaderboard("demo", campaign.id), uow_factory())
    finance = next(r for r in rows if r["program"] == "MSc Finance")
    assert (finance["alumni"], finance["donors"], finance["participation_percent"]) == (3, 3, 100.0)
    bba = next(r for r in programs if r["program"] == "BBA")
    assert (bba["donors"], bba["raised_minor"]) == (1, 1000)

    report = await h.giving_report(c.GivingReport("demo", TODAY.year), uow_factory())
    assert report["donors_this_year"] == 4 and report["recurring_active"] == 1

    exported = await export_records(db, export_queries("demo", "m1"))
    assert [g["_id"] for g in exported[GIFTS]] == [gift.id]
    await db[OUTBOX].update_many({"tenant": "demo"}, {"$set": {"sent_at": datetime.now(UTC)}})
    await erase_member_data(EraseMemberData("demo", "er1", "m1"), uow_factory(), handlers.erase_donor)
    kept = await db[GIFTS].find_one({"_id": gift.id, "tenant": "demo"})
    assert kept["member_id"] != "m1" and kept["donor"] == {} and kept["amount"]["minor_units"] == 5000
    assert await db[RECURRING_GIFTS].count_documents({"tenant": "demo", "member_id": "m1"}) == 0


def h_next(day: date) -> date:
    month = day.month % 12 + 1
    return day.replace(year=day.year + (day.month == 12), month=month, day=min(day.day, 28))
