"""Use cases of the payment port: open a hosted checkout, receive the provider's signed
webhook, record a manual payment, refund, list. Membership state is not ours: the `dues_*`
events are inputs to the members service's rules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fundraising_service.domain.payments import (
    MANUAL,
    AmountMismatch,
    Checkout,
    CheckoutStatus,
    Outcome,
    Payment,
    PaymentInProgress,
    ProviderUnavailable,
    Purpose,
    UnknownCheckout,
    UnknownPayment,
    UnknownProvider,
)
from fundraising_service.service_layer.commands import (
    CreateCheckout,
    ListPayments,
    ReceiveWebhook,
    RecordManualPayment,
    RefundPayment,
)
from fundraising_service.service_layer.ports import FundraisingUnitOfWork, PaymentProvider
from servicekit.domain import utcnow
from servicekit.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Providers:
    """The configured providers: `checkout` opens new checkouts; every one in `by_name`
    (Stripe, the local one) is still accepted for webhooks and refunds."""

    checkout: PaymentProvider | None
    by_name: Mapping[str, PaymentProvider] = field(default_factory=dict)

    @classmethod
    def of(cls, *providers: PaymentProvider, checkout: str | None = None) -> Providers:
        by_name = {p.name: p for p in providers}
        chosen = by_name.get(checkout) if checkout else (providers[0] if providers else None)
        return cls(chosen, by_name)

    def named(self, name: str) -> PaymentProvider:
        provider = self.by_name.get(name)
        if provider is None:
            raise UnknownProvider(f"no payment provider {name!r} is configured")
        return provider


async def create_checkout(cmd: CreateCheckout, uow: FundraisingUnitOfWork, providers: Providers,
                          clock: Callable[[], datetime] = utcnow) -> Checkout:
    if providers.checkout is None:
        raise ProviderUnavailable("no payment provider is configured for online payments")
    provider = providers.checkout
    now = clock()
    async with uow:
        if cmd.target.purpose is Purpose.DUES:
            pending = await _pending_for_same_due(cmd, uow, provider.name, now)
            if pending is not None:
                return pending
        checkout = Checkout.open(tenant=cmd.tenant, target=cmd.target, amount=cmd.amount, description=cmd.description,
                                 methods=cmd.methods, provider=provider.name, now=now, recurring=cmd.recurring)
        checkout.attach(await provider.create_checkout(checkout, cmd.return_url, now))
        await uow.checkouts.save(checkout)
        await uow.commit()
    log.info("checkout opened", checkout_id=checkout.id, provider=provider.name, purpose=str(cmd.target.purpose),
             amount_minor=cmd.amount.minor_units, currency=cmd.amount.currency)
    return checkout


async def _pending_for_same_due(cmd: CreateCheckout, uow: FundraisingUnitOfWork, provider: str,
                                now: datetime) -> Checkout | None:
    """Dues are owed once: a second request for the same due (a double click, a second tab,
    a join retried with a new key) gets the checkout already open, never a second one that
    the member could also pay; a direct debit already on its way refuses another."""
    for checkout in await uow.checkouts.unsettled_for(cmd.tenant, cmd.target.reference_id):
        if not checkout.same_request(cmd.target, cmd.amount, cmd.methods, provider, cmd.recurring):
            continue
        if checkout.status is CheckoutStatus.PROCESSING:
            raise PaymentInProgress(f"checkout {checkout.id} for this due is being collected by direct debit")
        if checkout.reusable(now):
            log.info("checkout reused for the same due", checkout_id=checkout.id, provider=provider)
            return checkout
    return None


GiftPaid = Callable[[Any, Payment, datetime], Awaitable[object]]


async def receive_webhook(cmd: ReceiveWebhook, uow: FundraisingUnitOfWork, providers: Providers,
                          clock: Callable[[], datetime] = utcnow, gift_paid: GiftPaid | None = None) -> str:
    """`processed`, `duplicate` (this provider event, or this checkout's outcome, was handled
    before) or `ignored` (an event type the platform does not use). Anything refused — bad
    signature, stale timestamp, unknown checkout, amount differing from the checkout — raises
    and changes nothing."""
    provider = providers.named(cmd.provider)
    notification = provider.parse_webhook(cmd.payload, cmd.signature)  # BadWebhook before any read
    async with uow:
        if await uow.payments.webhook_seen(cmd.tenant, provider.name, notification.event_id):
            log.info("payment webhook seen before", provider=provider.name, event_id=notification.event_id)
            return "duplicate"
        if notification.outcome is Outcome.IGNORED:
            return "ignored"
        checkout = await uow.checkouts.get(cmd.tenant, notification.checkout_id) \
            if notification.checkout_id and notification.tenant in (None, cmd.tenant) else None
        if checkout is None or not checkout.matches(notification):
            log.warning("payment webhook for an unknown checkout", provider=provider.name,
                        event_id=notification.event_id, checkout_id=notification.checkout_id)
            raise UnknownCheckout(f"no checkout {notification.checkout_id!r} from {provider.name} here")
        renewal = notification.outcome in (Outcome.RENEWAL_PAID, Outcome.RENEWAL_FAILED)
        already = checkout.settled and not renewal
        try:
            payment = checkout.renew(notification, clock()) if renewal else checkout.settle(notification, clock())
        except AmountMismatch:
            log.warning("payment webhook refused: amount differs from the checkout", provider=provider.name,
                        event_id=notification.event_id, checkout_id=checkout.id,
                        expected_minor=checkout.amount.minor_units, expected_currency=checkout.amount.currency,
                        reported_minor=notification.amount.minor_units if notification.amount else None,
                        reported_currency=notification.amount.currency if notification.amount else None)
            raise
        await uow.checkouts.save(checkout)
        if payment is not None:
            await uow.payments.save(payment)
            if gift_paid is not None and payment.target.purpose is Purpose.GIFT:
                await gift_paid(uow, payment, clock())  # the gift, in this same transaction
        outcome = "duplicate" if already else "processed"
        await uow.payments.remember_webhook(cmd.tenant, provider.name, notification.event_id, checkout.id,
                                            str(notification.outcome), clock())
        await uow.commit()
    log.info("payment webhook handled", provider=provider.name, event_id=notification.event_id,
             checkout_id=checkout.id, outcome=str(notification.outcome), status=str(checkout.status))
    return outcome


async def record_manual_payment(cmd: RecordManualPayment, uow: FundraisingUnitOfWork,
                                clock: Callable[[], datetime] = utcnow) -> Payment:
    async with uow:
        payment = Payment.manual(tenant=cmd.tenant, target=cmd.target, amount=cmd.amount, method=cmd.method,
                                 reference=cmd.reference, received_on=cmd.received_on, now=clock(),
                                 late_entry_reason=cmd.late_entry_reason)
        await uow.payments.save(payment)
        await uow.commit()
    return payment


async def refund_payment(cmd: RefundPayment, uow: FundraisingUnitOfWork, providers: Providers,
                         clock: Callable[[], datetime] = utcnow) -> Payment:
    async with uow:
        payment = await uow.payments.get(cmd.tenant, cmd.payment_id)
        if payment is None:
            raise UnknownPayment(f"no payment {cmd.payment_id}")
        key = f"refund-{payment.id}-{payment.refunded_minor}-{cmd.amount_minor}"  # one refund per state
        payment.refund(cmd.amount_minor, cmd.reason, clock())
        if payment.provider != MANUAL:  # a manual payment is paid back by hand
            await providers.named(payment.provider).refund(payment, cmd.amount_minor, key)
        await uow.payments.save(payment)
        await uow.commit()
    return payment


async def list_payments(query: ListPayments, uow: FundraisingUnitOfWork) -> tuple[list[Payment], str | None]:
    """One page of payments, newest first, and the cursor of the next page."""
    async with uow:
        found = await uow.payments.of_member(query.tenant, query.member_id, query.after, query.limit + 1)
    page = found[:query.limit]
    return page, (page[-1].id if len(found) > query.limit else None)
