"""Recurring gifts charged automatically, against a real MongoDB-wire server: the checkout's
webhook (twice) makes one recurring gift and one gift; two schedulers racing for the same period
charge it once; a scheduler that crashed after the provider charged re-runs the very same attempt
(same idempotency key) and books one gift; an unreachable provider charges nothing and the period
stays due; another tenant's run charges nothing of ours; the dunning stops visibly."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from alumni_contracts.registry import REGISTRY
from fundraising_service.adapters.gift_repository import GIFT_INDEXES, GIFTS
from fundraising_service.adapters.mongo_repository import INDEXES
from fundraising_service.adapters.stripe_checkout import LocalCheckoutProvider, local_event, sign_webhook
from fundraising_service.adapters.unit_of_work import MongoFundraisingUnitOfWork
from fundraising_service.domain.gifts import CLAIM_SECONDS, Donor, Frequency, ReceiptChoice
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import ChargeResult, InvalidPayment, Method, ProviderUnavailable
from fundraising_service.service_layer import gift_commands as c
from fundraising_service.service_layer import gift_handlers, handlers, payment_handlers
from fundraising_service.service_layer import recurring_collection as rc
from fundraising_service.service_layer.commands import ProjectMember, ReceiveWebhook
from fundraising_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import ensure_indexes
from servicekit.outbox import OUTBOX, outbox_indexes

pytestmark = pytest.mark.integration
SECRET = "whsec_integration_recurring"


class CountingProvider(LocalCheckoutProvider):
    """The local provider, remembering every charge by key (the provider's idempotency: a key
    seen before is the same charge); it can be made unreachable, or to "crash" its caller after
    charging (the charge is made, the answer never arrives)."""

    def __init__(self) -> None:
        super().__init__(page_url="http://127.0.0.1:8030", webhook_secret=SECRET)
        self.charges: Counter[str] = Counter()
        self.unreachable = False
        self.lose_answer = False

    async def charge_saved(self, mandate_ref: str, amount: Money, key: str, metadata: dict[str, str]) -> ChargeResult:
        if self.unreachable:
            raise ProviderUnavailable("local: down")
        self.charges[key] += 1
        await asyncio.sleep(0.01)  # the network: lets a racing scheduler in
        result = await super().charge_saved(mandate_ref, amount, key, metadata)
        if self.lose_answer:
            self.lose_answer = False
            raise ProviderUnavailable("local: the answer was lost")
        return result


@pytest.fixture
async def uow_factory(mongo_client: Any, db: Any, db_name: str) -> Any:
    await ensure_indexes(db, [*INDEXES, *GIFT_INDEXES, *outbox_indexes(7)])
    factory = lambda: MongoFundraisingUnitOfWork(mongo_client, db_name, to_contract)  # noqa: E731
    await handlers.project_member(ProjectMember("demo", "m1", 1, "Ada", "Lovelace", (("MSc", 2012),)), factory())
    return factory


async def start(uow_factory: Any, provider: CountingProvider, card: str, tenant: str = "demo") -> tuple[str, date]:
    providers = payment_handlers.Providers.of(provider)
    rg_id, checkout = await rc.start_recurring_gift_online(c.StartRecurringGiftOnline(
        tenant, "m1", None, None, Money(2000, "EUR"), Frequency.MONTHLY, False, ReceiptChoice.PER_GIFT, Donor(), None),
        uow_factory(), providers)
    body = local_event(session_id=str(checkout.session_id), checkout_id=checkout.id, tenant=tenant,
                       amount_minor=2000, currency="EUR", methods=["card"], paid=True, created=int(time.time()),
                       mandate=card)
    outcomes = []
    for _ in range(2):  # the same signed webhook twice
        outcomes.append(await payment_handlers.receive_webhook(
            ReceiveWebhook(tenant, "local", body, sign_webhook(body, SECRET, int(time.time()))), uow_factory(),
            providers, gift_paid=gift_handlers.gift_paid))
    assert outcomes == ["processed", "duplicate"]
    async with uow_factory() as uow:
        recurring = await uow.recurring_gifts.get(tenant, rg_id)
    assert recurring is not None and recurring.next_charge_on is not None
    return rg_id, recurring.next_charge_on


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


async def run(uow_factory: Any, provider: CountingProvider, day: date, tenant: str | None = "demo",
              now: datetime | None = None) -> rc.ChargeRun:
    return await rc.charge_due_recurring_gifts(c.ChargeDueRecurringGifts(tenant, day), uow_factory,
                                               payment_handlers.Providers.of(provider),
                                               clock=lambda: now or at(day))


async def gifts_of(db: Any, rg_id: str) -> list[dict[str, Any]]:
    return await db[GIFTS].find({"tenant": "demo", "recurring_gift_id": rg_id}).to_list()


async def test_two_schedulers_racing_charge_a_period_once(uow_factory: Any, db: Any) -> None:
    provider = CountingProvider()
    rg_id, due = await start(uow_factory, provider, "ok")
    assert len(await gifts_of(db, rg_id)) == 1, "the same webhook twice: one gift"
    runs = await asyncio.gather(run(uow_factory, provider, due), run(uow_factory, provider, due))
    assert sum(r.charged for r in runs) == 1 and sum(r.failed for r in runs) == 0
    assert list(provider.charges.values()) == [1], "one charge at the provider"
    assert len(await gifts_of(db, rg_id)) == 2
    assert (await run(uow_factory, provider, due)).due == 0, "the period is paid: not due any more"
    with pytest.raises(Exception, match="charged automatically"):  # the office records no charge of it
        await gift_handlers.record_recurring_charge(c.RecordRecurringCharge(
            "demo", rg_id, True, due, Method.CARD, None), uow_factory())
    received = [REGISTRY.parse(r["payload"]) for r in await db[OUTBOX].find(
        {"subject": "evt.demo.fundraising.donation_received.v1"}).to_list()]
    assert len(received) == 2 and {e.data.provider for e in received} == {"local"}


async def test_a_lost_answer_is_the_same_charge_when_run_again_and_an_unreachable_provider_charges_nothing(
        uow_factory: Any, db: Any) -> None:
    provider = CountingProvider()
    rg_id, due = await start(uow_factory, provider, "ok")
    provider.unreachable = True
    assert (await run(uow_factory, provider, due)).skipped == 1
    assert not provider.charges and len(await gifts_of(db, rg_id)) == 1
    provider.unreachable = False
    # Still claimed by the first run: nobody charges it until the claim expires (a crashed scheduler).
    assert (await run(uow_factory, provider, due)).skipped == 1 and not provider.charges
    later = at(due) + timedelta(seconds=CLAIM_SECONDS + 1)
    provider.lose_answer = True  # charged at the provider, the answer lost
    assert (await run(uow_factory, provider, due, now=later)).skipped == 1
    later += timedelta(seconds=CLAIM_SECONDS + 1)
    assert (await run(uow_factory, provider, due, now=later)).charged == 1
    [(key, times)] = provider.charges.items()
    assert times == 2 and key == f"rg-{rg_id}-{due.isoformat()}-1", "the same attempt, the same idempotency key"
    assert len(await gifts_of(db, rg_id)) == 2, "booked once"


async def test_another_tenant_charges_nothing_of_ours_and_the_dunning_stops_visibly(uow_factory: Any, db: Any) -> None:
    provider = CountingProvider()
    rg_id, due = await start(uow_factory, provider, "declined")
    assert (await run(uow_factory, provider, due, tenant="other")).due == 0
    for day in (due, due + timedelta(days=3), due + timedelta(days=7)):
        assert (await run(uow_factory, provider, day)).failed == 1
        assert (await run(uow_factory, provider, day)).due == 0, "one attempt a day at most"
    async with uow_factory() as uow:
        recurring = await uow.recurring_gifts.get("demo", rg_id)
    assert recurring is not None
    assert (recurring.status, recurring.collection, recurring.due_on) == ("failed", "stopped", None)
    failed = [REGISTRY.parse(r["payload"]).data for r in await db[OUTBOX].find(
        {"subject": "evt.demo.fundraising.recurring_gift_failed.v1"}).sort("_id", 1).to_list()]
    assert [(f.attempt, f.final, f.automatic) for f in failed] == [(1, False, True), (2, False, True), (3, True, True)]
    assert [f.next_attempt_on for f in failed] == [due + timedelta(days=3), due + timedelta(days=7), None]
    assert (await run(uow_factory, provider, due + timedelta(days=40))).due == 0, "stopped: nothing more is tried"
    # The donor's new card (through a checkout) pays the overdue period and resumes the schedule.
    providers = payment_handlers.Providers.of(provider)
    _, checkout = await rc.update_recurring_payment_method(
        c.UpdateRecurringPaymentMethod("demo", rg_id, "m1", None), uow_factory(), providers)
    body = local_event(session_id=str(checkout.session_id), checkout_id=checkout.id, tenant="demo", amount_minor=2000,
                       currency="EUR", methods=["card"], paid=True, created=int(time.time()), mandate="ok")
    assert await payment_handlers.receive_webhook(ReceiveWebhook("demo", "local", body, sign_webhook(
        body, SECRET, int(time.time()))), uow_factory(), providers, gift_paid=gift_handlers.gift_paid) == "processed"
    async with uow_factory() as uow:
        recurring = await uow.recurring_gifts.get("demo", rg_id)
    assert recurring is not None and (recurring.status, recurring.collection) == ("active", "scheduled")
    assert recurring.mandate_ref is not None and recurring.mandate_ref.startswith("cus_local_ok_")
    assert len(await gifts_of(db, rg_id)) == 2
    with pytest.raises(Exception, match="only a failed one"):  # active again: no card update needed
        await rc.update_recurring_payment_method(c.UpdateRecurringPaymentMethod("demo", rg_id, "m1", None),
                                                 uow_factory(), providers)
    with pytest.raises(Exception, match="no recurring gift"):  # another donor's
        await rc.update_recurring_payment_method(c.UpdateRecurringPaymentMethod("demo", rg_id, "m2", None),
                                                 uow_factory(), providers)


def test_a_saved_card_is_a_card_on_a_one_off_checkout() -> None:
    from fundraising_service.domain.payments import Checkout, Method, PaymentTarget, Purpose

    with pytest.raises(InvalidPayment):
        Checkout.open(tenant="demo", target=PaymentTarget(Purpose.GIFT, "c", "m1"), amount=Money(100, "EUR"),
                      description="x", methods=(Method.SEPA_DEBIT,), provider="local", now=datetime.now(UTC),
                      save_method=True)


async def test_the_test_clock_is_off_by_default(uow_factory: Any) -> None:
    provider = CountingProvider()
    with pytest.raises(Exception, match="no test clock"):
        await rc.charge_due_recurring_gifts(c.ChargeDueRecurringGifts("demo", date.today() + timedelta(days=30)),
                                            uow_factory, payment_handlers.Providers.of(provider))


async def test_an_erased_donor_s_card_is_forgotten_and_never_charged_again(uow_factory: Any, db: Any) -> None:
    from servicekit.erasure import EraseMemberData, erase_member_data

    provider = CountingProvider()
    rg_id, due = await start(uow_factory, provider, "ok")
    await db[OUTBOX].update_many({"tenant": "demo"}, {"$set": {"sent_at": datetime.now(UTC)}})  # the relay's job
    await erase_member_data(EraseMemberData("demo", "er1", "m1"), uow_factory(), handlers.erase_donor)
    assert (await run(uow_factory, provider, due)).due == 0 and not provider.charges
    doc = await db["recurring_gifts"].find_one({"_id": rg_id})
    assert (doc["status"], doc["mandate_ref"], doc["member_id"] != "m1") == ("cancelled", None, True)
