"""Composition root of the fundraising service.

`bootstrap` wires use cases to whatever adapters it is given (fakes in unit tests);
`build` gives it the MongoDB ones and the configured payment providers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from fundraising_service.adapters.gift_repository import (
    GIFT_INDEXES,
    GIFT_INTENTS,
    GIFTS,
    PLEDGES,
    RECURRING_GIFTS,
)
from fundraising_service.adapters.mongo_receipt_jobs import RECEIPT_JOB_INDEXES, RECEIPT_JOBS
from fundraising_service.adapters.mongo_receipts import PENDING, PROFILES, RECEIPT_INDEXES, RECEIPTS
from fundraising_service.adapters.mongo_repository import (
    CHECKOUTS,
    DONATIONS,
    INDEXES,
    MEMBERS,
    PAYMENTS,
)
from fundraising_service.adapters.stripe_checkout import LocalCheckoutProvider, StripeCheckoutProvider
from fundraising_service.adapters.unit_of_work import MongoFundraisingUnitOfWork
from fundraising_service.config import FundraisingSettings
from fundraising_service.entrypoints.receipt_job_worker import receipt_job_worker
from fundraising_service.entrypoints.subscribers import event_handlers
from fundraising_service.entrypoints.use_cases import USE_CASES
from fundraising_service.service_layer import (
    gift_handlers,
    handlers,
    payment_handlers,
    receipt_jobs,
    receipts,
    recurring_collection,
)
from fundraising_service.service_layer.contract_mapping import to_contract
from fundraising_service.service_layer.gift_commands import ChargeDueRecurringGifts
from fundraising_service.service_layer.gift_ports import GiftsUnitOfWork
from fundraising_service.service_layer.payment_handlers import Providers
from fundraising_service.service_layer.ports import PaymentProvider
from servicekit.bus import MessageBus, fresh, serve
from servicekit.data_export import export_handler
from servicekit.leases import LeasedQueue
from servicekit.mongo import Document
from servicekit.periodic import Sweep
from servicekit.runtime import Infrastructure, ServiceParts


def export_queries(tenant: str, member_id: str) -> dict[str, Document]:
    return {MEMBERS: {"tenant": tenant, "_id": member_id}, DONATIONS: {"tenant": tenant, "member_id": member_id},
            PAYMENTS: {"tenant": tenant, "member_id": member_id}, CHECKOUTS: {"tenant": tenant, "member_id": member_id},
            GIFTS: {"tenant": tenant, "member_id": member_id}, GIFT_INTENTS: {"tenant": tenant, "member_id": member_id},
            RECURRING_GIFTS: {"tenant": tenant, "member_id": member_id},
            PLEDGES: {"tenant": tenant, "member_id": member_id},
            RECEIPTS: {"tenant": tenant, "member_id": member_id}, PROFILES: {"tenant": tenant, "member_id": member_id},
            PENDING: {"tenant": tenant, "member_id": member_id}}


def payment_providers(settings: FundraisingSettings) -> Providers:
    """Every provider whose settings are present; the first (or the one named) opens checkouts."""
    ttl = timedelta(minutes=settings.checkout_ttl_minutes)
    found: list[PaymentProvider] = []
    if settings.stripe_api_key and settings.stripe_webhook_secret:
        found.append(StripeCheckoutProvider(
            api_key=settings.stripe_api_key.get_secret_value(),
            webhook_secret=settings.stripe_webhook_secret.get_secret_value(),
            default_return_url=settings.payment_return_url, tolerance=settings.webhook_tolerance_seconds,
            api_base=settings.stripe_api_base, ttl=ttl))
    if settings.local_checkout_url and settings.local_webhook_secret:
        found.append(LocalCheckoutProvider(
            page_url=settings.local_checkout_url, webhook_secret=settings.local_webhook_secret.get_secret_value(),
            tolerance=settings.webhook_tolerance_seconds, ttl=ttl))
    if settings.payment_provider and settings.payment_provider not in {p.name for p in found}:
        raise ValueError(f"FUNDRAISING_PAYMENT_PROVIDER={settings.payment_provider} but its settings are missing")
    return Providers.of(*found, checkout=settings.payment_provider)


GIFT_HANDLERS: list[Callable[..., Awaitable[Any]]] = [
    gift_handlers.launch_campaign, gift_handlers.close_campaign, gift_handlers.get_campaign,
    gift_handlers.list_campaigns, gift_handlers.public_campaign, gift_handlers.record_gift, gift_handlers.give_online,
    gift_handlers.refund_gift, gift_handlers.list_gifts, gift_handlers.start_recurring_gift,
    gift_handlers.record_recurring_charge, gift_handlers.change_recurring_gift, gift_handlers.list_recurring_gifts,
    gift_handlers.make_pledge, gift_handlers.list_pledges, gift_handlers.my_donations,
    gift_handlers.campaign_leaderboard, gift_handlers.giving_report, gift_handlers.rebuild_campaign_progress,
    recurring_collection.start_recurring_gift_online, recurring_collection.update_recurring_payment_method,
    recurring_collection.charge_due_recurring_gifts]


def _nothing() -> None:
    return None


def bootstrap(uow_factory: Callable[[], GiftsUnitOfWork], providers: Providers | None = None,
              test_clock: bool = False, wake_receipt_jobs: Callable[[], None] = _nothing) -> ServiceParts:
    bus = MessageBus.wire([handlers.record_donation, payment_handlers.create_checkout,
                           payment_handlers.receive_webhook, payment_handlers.record_manual_payment,
                           payment_handlers.refund_payment, payment_handlers.list_payments,
                           *GIFT_HANDLERS,
                           receipts.upsert_legal_entity, receipts.list_legal_entities, receipts.set_receipt_profile,
                           receipts.list_receipts, receipts.get_receipt, receipts.void_receipt,
                           receipts.receipt_register, receipts.donor_summary, receipts.issue_yearly_receipts,
                           receipt_jobs.start_yearly_receipts, receipt_jobs.get_yearly_receipt_job,
                           receipt_jobs.list_yearly_receipt_jobs],
                          uow=fresh(uow_factory), uow_factory=uow_factory, providers=providers or Providers(None),
                          gift_paid=gift_handlers.gift_paid, test_clock=test_clock,
                          wake_receipt_jobs=wake_receipt_jobs)
    parts = ServiceParts(requests=serve(USE_CASES, bus), events=event_handlers(uow_factory))
    parts.bus = bus  # type: ignore[attr-defined]
    return parts


def build(infra: Infrastructure) -> ServiceParts:
    settings = infra.settings
    assert isinstance(settings, FundraisingSettings)

    def uow() -> MongoFundraisingUnitOfWork:
        return MongoFundraisingUnitOfWork(infra.mongo, settings.mongo_db, to_contract, infra.wakeup)

    async def run_receipt_job(tenant: str, job_id: str, token: str, still_mine: receipt_jobs.StillMine) -> bool:
        return await receipt_jobs.run_yearly_job(tenant, job_id, token, uow, still_mine)

    lease = settings.receipt_job_lease_seconds
    jobs = receipt_job_worker(LeasedQueue(infra.db[RECEIPT_JOBS], lease), run_receipt_job)
    parts = bootstrap(uow, payment_providers(settings), test_clock=settings.test_clock,
                      wake_receipt_jobs=jobs.wake)
    bus: MessageBus = parts.bus  # type: ignore[attr-defined]

    async def charge_due() -> None:
        await bus.handle(ChargeDueRecurringGifts(tenant=None))

    # Leased: one replica at a time charges the recurring gifts due (each attempt is also claimed on
    # its gift and keyed at the provider, so even two schedulers would not charge a period twice).
    charges = Sweep("fundraising", "recurring-charges", charge_due, settings.recurring_charge_sweep_seconds,
                    db=infra.db)
    parts.workers = [*parts.workers, charges.run]
    parts.stoppers = [*parts.stoppers, charges.stop]
    parts.requests = [*parts.requests, export_handler("fundraising", infra.db, export_queries)]
    parts.indexes = [*INDEXES, *GIFT_INDEXES, *RECEIPT_INDEXES, *RECEIPT_JOB_INDEXES]
    parts.workers = [*parts.workers, jobs.run]
    parts.stoppers = [*parts.stoppers, jobs.stop]
    return parts
