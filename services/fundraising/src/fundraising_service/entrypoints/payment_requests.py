"""Requests of the payment port (gateway → fundraising over NATS request/reply)."""

from __future__ import annotations

from collections.abc import Callable

from alumni_contracts import naming
from alumni_contracts.fundraising import commands as c
from alumni_contracts.rpc import Principal, Role
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import Method, Payment, PaymentTarget, Purpose
from fundraising_service.service_layer import payment_handlers as handlers
from fundraising_service.service_layer.commands import (
    CreateCheckout,
    ReceiveWebhook,
    RecordManualPayment,
    RefundPayment,
)
from fundraising_service.service_layer.payment_handlers import Providers
from fundraising_service.service_layer.ports import FundraisingUnitOfWork
from servicekit.domain import DomainError
from servicekit.rpc import RequestHandler

STAFF = frozenset({Role.MANAGER, Role.ADMIN})
ALUMNI_AND_STAFF = frozenset({Role.ALUMNUS, Role.MANAGER, Role.ADMIN})
WEBHOOK = frozenset({Role.PUBLIC})  # no user: the provider's signature is the only authority


class NotYours(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


def _payer(who: Principal, member_id: str | None) -> str:
    """Staff act for anyone (and must say whom); an alumnus only for themselves."""
    if who.has_any(Role.MANAGER, Role.ADMIN):
        if member_id is None:
            raise NotYours("staff must name the member who pays")
        return member_id
    if who.member_id is None or member_id not in (None, who.member_id):
        raise NotYours("alumni pay for themselves only")
    return who.member_id


def _target(req: c.CreateCheckout | c.RecordManualPayment, member_id: str) -> PaymentTarget:
    return PaymentTarget(Purpose(req.purpose), req.reference_id, member_id, req.plan_id, req.instalment,
                         req.instalments)


def payment_view(p: Payment) -> c.PaymentView:
    assert p.at is not None
    return c.PaymentView(
        payment_id=p.id, purpose=c.PaymentPurpose(p.target.purpose), reference_id=p.target.reference_id,
        member_id=p.target.member_id, plan_id=p.target.plan_id, amount_minor=p.amount.minor_units,
        refunded_minor=p.refunded_minor, currency=p.amount.currency, method=str(p.method), provider=p.provider,
        status=c.PaymentStatus(p.status), at=p.at, reason=p.reason, reference=p.reference, checkout_id=p.checkout_id,
        instalment=p.target.instalment, instalments=p.target.instalments)


def payment_request_handlers(uow_factory: Callable[[], FundraisingUnitOfWork],
                             providers: Providers) -> list[RequestHandler]:
    async def create_checkout(req: c.CreateCheckout, who: Principal) -> c.CheckoutCreated:
        checkout = await handlers.create_checkout(CreateCheckout(
            tenant=who.tenant, target=_target(req, _payer(who, req.member_id)),
            amount=Money(req.amount_minor, req.currency), description=req.description,
            methods=tuple(Method(m) for m in req.methods),
            return_url=str(req.return_url) if req.return_url else None, recurring=req.renew_automatically),
            uow_factory(), providers)
        assert checkout.url is not None and checkout.expires_at is not None
        return c.CheckoutCreated(checkout_id=checkout.id, provider=checkout.provider, url=checkout.url,
                                 expires_at=checkout.expires_at)

    async def record_manual(req: c.RecordManualPayment, who: Principal) -> c.PaymentView:
        payment = await handlers.record_manual_payment(RecordManualPayment(
            tenant=who.tenant, target=_target(req, req.member_id), amount=Money(req.amount_minor, req.currency),
            method=Method(req.method), reference=req.reference, received_on=req.received_on), uow_factory())
        return payment_view(payment)

    async def receive_webhook(req: c.ReceivePaymentWebhook, who: Principal) -> c.WebhookHandled:
        outcome = await handlers.receive_webhook(ReceiveWebhook(
            tenant=who.tenant, provider=str(req.provider), payload=req.payload, signature=req.signature),
            uow_factory(), providers)
        return c.WebhookHandled(outcome=outcome)  # type: ignore[arg-type]  # one of the three literals

    async def refund(req: c.RefundPayment, who: Principal) -> c.PaymentView:
        payment = await handlers.refund_payment(RefundPayment(
            tenant=who.tenant, payment_id=req.payment_id, amount_minor=req.amount_minor, reason=req.reason),
            uow_factory(), providers)
        return payment_view(payment)

    async def list_payments(req: c.ListPayments, who: Principal) -> c.PaymentPage:
        member_id = req.member_id if who.has_any(Role.MANAGER, Role.ADMIN) else _payer(who, req.member_id)
        payments = await handlers.list_payments(who.tenant, member_id, req.after, req.limit + 1, uow_factory())
        page = payments[:req.limit]
        return c.PaymentPage(items=[payment_view(p) for p in page],
                             next_cursor=page[-1].id if len(payments) > req.limit else None)

    def command(name: str) -> str:
        return naming.command_subject("fundraising", name)

    return [
        RequestHandler(command(c.CREATE_CHECKOUT), c.CreateCheckout, create_checkout, ALUMNI_AND_STAFF,
                       idempotent=True, description="Open a hosted checkout at the payment provider."),
        RequestHandler(command(c.RECORD_MANUAL_PAYMENT), c.RecordManualPayment, record_manual, STAFF,
                       idempotent=True, description="Record a cheque, transfer or cash payment."),
        RequestHandler(command(c.RECEIVE_PAYMENT_WEBHOOK), c.ReceivePaymentWebhook, receive_webhook, WEBHOOK,
                       idempotent=True, description="A payment provider's signed webhook, forwarded raw."),
        RequestHandler(command(c.REFUND_PAYMENT), c.RefundPayment, refund, STAFF, idempotent=True,
                       description="Refund a payment, wholly or in part."),
        RequestHandler(naming.query_subject("fundraising", c.LIST_PAYMENTS), c.ListPayments, list_payments,
                       ALUMNI_AND_STAFF, description="Payments of a member (alumni: their own), newest first."),
    ]
