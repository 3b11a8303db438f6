"""An online gift end to end inside fundraising, against a real MongoDB-wire server: the
provider's webhook twice is one gift, one `donation_received` — and, that event delivered twice
to the receipt engine, one receipt, numbered 1 for the campaign's legal entity."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from alumni_contracts.registry import REGISTRY
from fundraising_service.adapters.gift_repository import GIFT_INDEXES
from fundraising_service.adapters.mongo_receipts import RECEIPT_INDEXES, RECEIPTS
from fundraising_service.adapters.mongo_repository import INDEXES
from fundraising_service.adapters.stripe_checkout import LocalCheckoutProvider, local_event, sign_webhook
from fundraising_service.adapters.unit_of_work import MongoFundraisingUnitOfWork
from fundraising_service.bootstrap import bootstrap
from fundraising_service.domain.campaigns import LegalEntity, PostalAddress
from fundraising_service.domain.gifts import Donor, ReceiptChoice
from fundraising_service.domain.model import Money
from fundraising_service.service_layer import gift_commands as c
from fundraising_service.service_layer import gift_handlers as h
from fundraising_service.service_layer import handlers, payment_handlers
from fundraising_service.service_layer.commands import ProjectMember, ReceiveWebhook
from fundraising_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import ensure_indexes
from servicekit.outbox import OUTBOX, outbox_indexes
from servicekit.testing.fakes import handle_as_consumer

pytestmark = pytest.mark.integration
SECRET = "whsec_receipts"
FOUNDATION = LegalEntity("fondation-ecole", "Fondation de l'École", PostalAddress("1 rue de l'École", "75005", "Paris"),
                         "Soutien à l'enseignement supérieur", True, "fondation reconnue d'utilité publique")


async def test_the_same_webhook_twice_is_one_gift_and_one_receipt(mongo_client: Any, db: Any, db_name: str) -> None:
    await ensure_indexes(db, [*INDEXES, *GIFT_INDEXES, *RECEIPT_INDEXES, *outbox_indexes(7)])

    def uow() -> MongoFundraisingUnitOfWork:
        return MongoFundraisingUnitOfWork(mongo_client, db_name, to_contract)

    await handlers.project_member(ProjectMember("demo", "m2", 1, "Alan", "Turing", (("MSc Finance", 2012),)), uow())
    providers = payment_handlers.Providers.of(LocalCheckoutProvider(page_url="http://127.0.0.1:8030",
                                                                    webhook_secret=SECRET))
    campaign = await h.launch_campaign(c.LaunchCampaign(
        "demo", "Bourses 2026", "Scholarships 2026", "", "", Money(10_000, "EUR"), None, None, FOUNDATION, (), (),
        False), uow())
    details = c.GiftDetails(campaign.id, Money(2500, "EUR"), None, None, False, True, Donor(), False,
                            ReceiptChoice.PER_GIFT, "fr", None)
    _, checkout = await h.give_online(c.GiveOnline("demo", "m2", details, None), uow(), providers)
    body = local_event(session_id=checkout.session_id, checkout_id=checkout.id, tenant="demo", amount_minor=2500,
                       currency="EUR", methods=["card"], paid=True, created=int(time.time()))
    webhook = ReceiveWebhook("demo", "local", body, sign_webhook(body, SECRET, int(time.time())))
    outcomes = [await payment_handlers.receive_webhook(webhook, uow(), providers, gift_paid=h.gift_paid)
                for _ in range(2)]
    assert outcomes == ["processed", "duplicate"]

    rows = await db[OUTBOX].find({"subject": "evt.demo.fundraising.donation_received.v1"}).to_list()
    [event] = [REGISTRY.parse(row["payload"]) for row in rows]
    on_donation = next(handler for sub, handler in bootstrap(uow).events
                       if sub.event.event_name == "donation_received" and sub.lane == "receipts")
    for _ in range(2):  # at-least-once: the event delivered twice
        await handle_as_consumer(on_donation, event, "fundraising.receipts")
    [receipt] = await db[RECEIPTS].find({"tenant": "demo"}).to_list()
    year = datetime.now(UTC).year
    assert (receipt["number"], receipt["legal_entity_id"], receipt["amount_minor"]) == (
        f"{year}-000001", "fondation-ecole", 2500)
    assert receipt["entity"]["name"] == "Fondation de l'École" and receipt["lines"][0]["method"] == "card"
