"""Payment webhooks through the fundraising use case: Stripe-scheme verification, checkout +
payment + webhook id + outbox row in one transaction; then the same webhooks replayed
(duplicates: verification and one read). Baselines in the same run: signature verification
alone, and a raw journaled `insert_one`.

    .venv/bin/python bench/payment_webhooks.py --webhooks 300
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from benchservers import servers

from fundraising_service.adapters.mongo_repository import INDEXES
from fundraising_service.adapters.stripe_checkout import LocalCheckoutProvider, local_event, sign_webhook
from fundraising_service.adapters.unit_of_work import MongoFundraisingUnitOfWork
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import Method, PaymentTarget, Purpose
from fundraising_service.service_layer import payment_handlers as h
from fundraising_service.service_layer.commands import CreateCheckout, ReceiveWebhook
from fundraising_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import create_client, ensure_indexes
from servicekit.outbox import outbox_indexes

SECRET = "whsec_bench"


async def run(mongo_uri: str, count: int) -> dict[str, float]:
    client = create_client(mongo_uri, "bench-payments")
    db_name = f"bench_payments_{int(time.time())}"
    db = client[db_name]
    await ensure_indexes(db, [*INDEXES, *outbox_indexes(7)])
    provider = LocalCheckoutProvider(page_url="http://127.0.0.1:8030", webhook_secret=SECRET)
    providers = h.Providers.of(provider)

    def uow() -> MongoFundraisingUnitOfWork:
        return MongoFundraisingUnitOfWork(client, db_name, to_contract)

    webhooks: list[ReceiveWebhook] = []
    for i in range(count):
        checkout = await h.create_checkout(CreateCheckout(
            "demo", PaymentTarget(Purpose.DUES, f"ms{i}", f"m{i}", "standard"), Money(4500, "EUR"), "Cotisation",
            (Method.CARD,), None), uow(), providers)
        assert checkout.session_id is not None
        body = local_event(session_id=checkout.session_id, checkout_id=checkout.id, tenant="demo", amount_minor=4500,
                           currency="EUR", methods=["card"], paid=True, created=int(time.time()))
        webhooks.append(ReceiveWebhook("demo", "local", body, sign_webhook(body, SECRET, int(time.time()))))

    results: dict[str, float] = {}
    started = time.perf_counter()
    for w in webhooks:
        provider.parse_webhook(w.payload, w.signature)
    results["verify only"] = count / (time.perf_counter() - started)

    started = time.perf_counter()
    outcomes = [await h.receive_webhook(w, uow(), providers) for w in webhooks]
    results["webhook handled (first delivery)"] = count / (time.perf_counter() - started)
    assert outcomes == ["processed"] * count

    started = time.perf_counter()
    outcomes = [await h.receive_webhook(w, uow(), providers) for w in webhooks]
    results["same webhook again (duplicate)"] = count / (time.perf_counter() - started)
    assert outcomes == ["duplicate"] * count
    assert await db["outbox"].count_documents({"tenant": "demo"}) == count  # one dues_paid each

    raw = db["raw"]
    started = time.perf_counter()
    for i in range(count):
        await raw.insert_one({"_id": i, "tenant": "demo", "payload": webhooks[i].payload})
    results["raw insert_one"] = count / (time.perf_counter() - started)
    await client.drop_database(db_name)
    await client.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--webhooks", type=int, default=300)
    parser.add_argument("--mongo-uri")
    args = parser.parse_args()
    with servers(args.mongo_uri, None, with_nats=False) as (mongo_uri, _):
        results: dict[str, Any] = asyncio.run(run(mongo_uri, args.webhooks))
    raw = results["raw insert_one"]
    for name, rate in results.items():
        print(f"{name:36s} {rate:9.0f}/s   {rate / raw:5.2f}× raw insert")


if __name__ == "__main__":
    main()
