"""The payment port against a real MongoDB-wire server: checkouts, payments, the webhook event
ids (unique) and the outbox rows written in the same transaction."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, date, datetime
from typing import Any

import pytest

from fundraising_service.adapters.mongo_repository import (
    CHECKOUTS,
    INDEXES,
    PAYMENTS,
    WEBHOOK_EVENTS,
)
from fundraising_service.adapters.stripe_checkout import LocalCheckoutProvider, local_event, sign_webhook
from fundraising_service.adapters.unit_of_work import MongoFundraisingUnitOfWork
from fundraising_service.bootstrap import export_queries
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import (
    AmountMismatch,
    BadWebhook,
    Checkout,
    Method,
    PaymentTarget,
    Purpose,
)
from fundraising_service.service_layer import handlers, payment_handlers
from fundraising_service.service_layer.commands import (
    CreateCheckout,
    ListPayments,
    ReceiveWebhook,
    RecordManualPayment,
    RefundPayment,
)
from fundraising_service.service_layer.contract_mapping import to_contract
from servicekit.data_export import export_records
from servicekit.erasure import EraseMemberData, erase_member_data
from servicekit.mongo import ensure_indexes
from servicekit.outbox import OUTBOX, outbox_indexes

pytestmark = pytest.mark.integration
SECRET = "whsec_integration"
DUES = PaymentTarget(Purpose.DUES, "ms1", "m1", "standard", 1, 3)


@pytest.fixture
async def uow_factory(mongo_client: Any, db: Any, db_name: str) -> Any:
    await ensure_indexes(db, [*INDEXES, *outbox_indexes(7)])
    return lambda: MongoFundraisingUnitOfWork(mongo_client, db_name, to_contract)


@pytest.fixture
def providers() -> payment_handlers.Providers:
    return payment_handlers.Providers.of(LocalCheckoutProvider(page_url="http://127.0.0.1:8030",
                                                               webhook_secret=SECRET))


async def open_checkout(uow_factory: Any, providers: payment_handlers.Providers) -> Checkout:
    return await payment_handlers.create_checkout(CreateCheckout(
        "demo", DUES, Money(5000, "EUR"), "Cotisation", (Method.CARD, Method.SEPA_DEBIT), None),
        uow_factory(), providers)


def signed(checkout: Checkout, amount: int = 5000) -> ReceiveWebhook:
    assert checkout.session_id is not None
    body = local_event(session_id=checkout.session_id, checkout_id=checkout.id, tenant="demo", amount_minor=amount,
                       currency="EUR", methods=["card"], paid=True, created=int(time.time()))
    return ReceiveWebhook("demo", "local", body, sign_webhook(body, SECRET, int(time.time())))


async def dues_rows(db: Any, name: str) -> list[dict[str, Any]]:
    return await db[OUTBOX].find({"subject": f"evt.demo.fundraising.{name}.v1"}).to_list()


async def test_two_identical_webhooks_make_one_payment_and_one_dues_paid(uow_factory: Any, db: Any,
                                                                         providers: Any) -> None:
    checkout = await open_checkout(uow_factory, providers)
    assert await db[OUTBOX].count_documents({}) == 0  # opening a checkout publishes nothing
    webhook = signed(checkout)
    assert await payment_handlers.receive_webhook(webhook, uow_factory(), providers) == "processed"
    assert await payment_handlers.receive_webhook(webhook, uow_factory(), providers) == "duplicate"
    [row] = await dues_rows(db, "dues_paid")
    [payment] = await db[PAYMENTS].find({"tenant": "demo"}).to_list()
    assert row["tenant"] == "demo" and payment["status"] == "succeeded" and payment["checkout_id"] == checkout.id
    assert (payment["amount"], payment["instalment"], payment["instalments"]) == \
        ({"minor_units": 5000, "currency": "EUR"}, 1, 3)
    assert (await db[CHECKOUTS].find_one({"_id": checkout.id, "tenant": "demo"}))["status"] == "completed"
    assert await db[WEBHOOK_EVENTS].count_documents({"tenant": "demo"}) == 1


async def test_concurrent_deliveries_of_one_webhook_make_one_payment(uow_factory: Any, db: Any,
                                                                     providers: Any) -> None:
    checkout = await open_checkout(uow_factory, providers)
    webhook = signed(checkout)
    results = await asyncio.gather(*(payment_handlers.receive_webhook(webhook, uow_factory(), providers)
                                     for _ in range(4)), return_exceptions=True)
    assert results.count("processed") == 1, results  # the others lost a race (retried later) or saw it done
    assert await db[PAYMENTS].count_documents({"tenant": "demo"}) == 1
    assert len(await dues_rows(db, "dues_paid")) == 1


async def test_refused_webhooks_write_nothing(uow_factory: Any, db: Any, providers: Any) -> None:
    checkout = await open_checkout(uow_factory, providers)
    with pytest.raises(AmountMismatch):
        await payment_handlers.receive_webhook(signed(checkout, amount=50), uow_factory(), providers)
    tampered = signed(checkout)
    with pytest.raises(BadWebhook):
        await payment_handlers.receive_webhook(
            ReceiveWebhook("demo", "local", tampered.payload.replace("5000", "5001"), tampered.signature),
            uow_factory(), providers)
    assert await db[OUTBOX].count_documents({}) == 0 and await db[PAYMENTS].count_documents({"tenant": "demo"}) == 0
    assert await db[WEBHOOK_EVENTS].count_documents({"tenant": "demo"}) == 0
    assert (await db[CHECKOUTS].find_one({"_id": checkout.id, "tenant": "demo"}))["status"] == "open"


async def test_manual_payment_refund_export_and_erasure(uow_factory: Any, db: Any, providers: Any) -> None:
    payment = await payment_handlers.record_manual_payment(RecordManualPayment(
        "demo", PaymentTarget(Purpose.DUES, "ms1", "m1", "standard"), Money(4000, "EUR"), Method.TRANSFER,
        "VIR-2026-11", date(2026, 11, 2)), uow_factory())
    await payment_handlers.refund_payment(RefundPayment("demo", payment.id, 1500, "overpaid"), uow_factory(),
                                          providers)
    [paid], [refunded] = await dues_rows(db, "dues_paid"), await dues_rows(db, "dues_refunded")
    assert paid["tenant"] == refunded["tenant"] == "demo"
    doc = await db[PAYMENTS].find_one({"_id": payment.id, "tenant": "demo"})
    assert (doc["status"], doc["refunded_minor"], doc["reference"], doc["version"]) == \
        ("partially_refunded", 1500, "VIR-2026-11", 2)
    [listed], _ = await payment_handlers.list_payments(ListPayments("demo", "m1", None, 10), uow_factory())
    assert listed.id == payment.id and listed.at == datetime(2026, 11, 2, 12, tzinfo=UTC)
    assert await payment_handlers.list_payments(ListPayments("other", "m1", None, 10), uow_factory()) == ([], None)

    exported = await export_records(db, export_queries("demo", "m1"))
    assert [p["_id"] for p in exported[PAYMENTS]] == [payment.id], "the payment is in the member's GDPR export"

    # The relay published them (an erasure waits for the member's pending events).
    await db[OUTBOX].update_many({"tenant": "demo"}, {"$set": {"sent_at": datetime.now(UTC)}})
    await erase_member_data(EraseMemberData("demo", "er1", "m1"), uow_factory(), handlers.erase_donor)
    doc = await db[PAYMENTS].find_one({"_id": payment.id, "tenant": "demo"})
    assert doc["member_id"] != "m1" and doc["pseudonymised"] is True and doc["amount"]["minor_units"] == 4000
    assert await db[PAYMENTS].count_documents({"tenant": "demo", "member_id": "m1"}) == 0


async def test_an_automatic_renewal_is_a_second_payment_of_the_same_checkout(uow_factory: Any, db: Any,
                                                                             providers: Any) -> None:
    checkout = await payment_handlers.create_checkout(CreateCheckout(
        "demo", PaymentTarget(Purpose.DUES, "ms2", "m2", "standard"), Money(5000, "EUR"), "Cotisation",
        (Method.CARD,), None, recurring=True), uow_factory(), providers)
    await payment_handlers.receive_webhook(signed(checkout), uow_factory(), providers)
    body = json.dumps({"id": "evt_renewal", "object": "event", "type": "invoice.paid", "created": int(time.time()),
                       "data": {"object": {"id": "in_2027", "object": "invoice", "billing_reason": "subscription_cycle",
                                           "currency": "eur", "amount_paid": 5000, "parent": {"subscription_details": {
                                               "metadata": {"tenant": "demo", "checkout_id": checkout.id}}}}}})
    renewal = ReceiveWebhook("demo", "local", body, sign_webhook(body, SECRET, int(time.time())))
    assert await payment_handlers.receive_webhook(renewal, uow_factory(), providers) == "processed"
    refs = sorted(d["checkout_ref"] for d in await db[PAYMENTS].find({"tenant": "demo"}).to_list())
    assert refs == [checkout.id, f"{checkout.id}:in_2027"]
    assert len(await dues_rows(db, "dues_paid")) == 2


async def test_the_open_checkout_of_a_due_is_found_by_its_tenant_and_reused(uow_factory: Any, db: Any,
                                                                            providers: Any) -> None:
    first = await open_checkout(uow_factory, providers)
    assert (await open_checkout(uow_factory, providers)).id == first.id
    assert await db[CHECKOUTS].count_documents({"tenant": "demo"}) == 1
    # Another tenant's identical due is its own checkout, never this one.
    other = await payment_handlers.create_checkout(CreateCheckout(
        "other", DUES, Money(5000, "EUR"), "Cotisation", (Method.CARD, Method.SEPA_DEBIT), None),
        uow_factory(), providers)
    assert other.id != first.id and other.tenant == "other"
    # Paid: the next request for this due opens a new checkout.
    assert await payment_handlers.receive_webhook(signed(first), uow_factory(), providers) == "processed"
    assert (await open_checkout(uow_factory, providers)).id != first.id
    plan = await db[CHECKOUTS].find({"tenant": "demo", "reference_id": "ms1", "status": "open"}).explain()
    assert "checkouts_open_by_reference" in json.dumps(plan, default=str)
