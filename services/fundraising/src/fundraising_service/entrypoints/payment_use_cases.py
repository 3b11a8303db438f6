"""Use cases of the payment port (gateway → fundraising over NATS request/reply), each declared once."""

from __future__ import annotations

from typing import Any

from alumni_contracts import naming
from alumni_contracts.fundraising import commands as c
from alumni_contracts.rpc import ALUMNI_AND_STAFF, STAFF, Role
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import Method, Payment, PaymentTarget, Purpose
from fundraising_service.service_layer.commands import (
    CreateCheckout,
    ListPayments,
    ReceiveWebhook,
    RecordManualPayment,
    RefundPayment,
)
from servicekit.authz import Ownership, acting_member
from servicekit.bus import Caller, UseCase
from servicekit.domain import DomainError

WEBHOOK = frozenset({Role.PUBLIC})  # no user: the provider's signature is the only authority


class PayerNotNamed(DomainError):
    status = 422
    code = "payer-required"
    title = "Payer required"


def _payer(req: c.CreateCheckout, who: Caller) -> str:
    """Alumni pay for themselves (the ownership rule); staff must say whom a checkout is for."""
    if not who.staff:
        return acting_member(who.principal, req.member_id, Ownership.NAMED)
    if req.member_id is None:
        raise PayerNotNamed("staff must name the member who pays")
    return req.member_id


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
        instalment=p.target.instalment, instalments=p.target.instalments, late_entry_reason=p.late_entry_reason)


def _create_checkout(req: c.CreateCheckout, who: Caller) -> CreateCheckout:
    return CreateCheckout(tenant=who.tenant, target=_target(req, _payer(req, who)),
                          amount=Money(req.amount_minor, req.currency), description=req.description,
                          methods=tuple(Method(m) for m in req.methods),
                          return_url=str(req.return_url) if req.return_url else None,
                          recurring=req.renew_automatically)


def _checkout_created(checkout: Any) -> c.CheckoutCreated:
    assert checkout.url is not None and checkout.expires_at is not None
    return c.CheckoutCreated(checkout_id=checkout.id, provider=checkout.provider, url=checkout.url,
                             expires_at=checkout.expires_at)


def _list(req: c.ListPayments, who: Caller) -> ListPayments:
    # Staff may list every payment of the tenant (no member named) or one member's; alumni their own.
    member_id = req.member_id if who.staff else acting_member(who.principal, req.member_id, Ownership.NAMED)
    return ListPayments(tenant=who.tenant, member_id=member_id, after=req.after, limit=req.limit)


def _page(found: tuple[list[Payment], str | None]) -> c.PaymentPage:
    payments, cursor = found
    return c.PaymentPage(items=[payment_view(p) for p in payments], next_cursor=cursor)


def command(name: str) -> str:
    return naming.command_subject("fundraising", name)


PAYMENT_USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=command(c.CREATE_CHECKOUT), request=c.CreateCheckout, roles=ALUMNI_AND_STAFF,
            idempotent=True, message=_create_checkout, reply=_checkout_created,
            description="Open a hosted checkout at the payment provider (alumni: for themselves)."),
    UseCase(subject=command(c.RECORD_MANUAL_PAYMENT), request=c.RecordManualPayment, roles=STAFF, idempotent=True,
            message=lambda req, who: RecordManualPayment(
                tenant=who.tenant, target=_target(req, req.member_id), amount=Money(req.amount_minor, req.currency),
                method=Method(req.method), reference=req.reference, received_on=req.received_on,
                late_entry_reason=req.late_entry_reason),
            reply=payment_view, description="Record a cheque, transfer or cash payment."),
    UseCase(subject=command(c.RECEIVE_PAYMENT_WEBHOOK), request=c.ReceivePaymentWebhook, roles=WEBHOOK,
            idempotent=True,
            message=lambda req, who: ReceiveWebhook(tenant=who.tenant, provider=str(req.provider),
                                                    payload=req.payload, signature=req.signature),
            reply=lambda outcome: c.WebhookHandled(outcome=outcome),
            description="A payment provider's signed webhook, forwarded raw."),
    UseCase(subject=command(c.REFUND_PAYMENT), request=c.RefundPayment, roles=STAFF, idempotent=True,
            message=lambda req, who: RefundPayment(tenant=who.tenant, payment_id=req.payment_id,
                                                   amount_minor=req.amount_minor, reason=req.reason),
            reply=payment_view, description="Refund a payment, wholly or in part."),
    UseCase(subject=naming.query_subject("fundraising", c.LIST_PAYMENTS), request=c.ListPayments,
            roles=ALUMNI_AND_STAFF, message=_list, reply=_page,
            description="Payments of a member (alumni: their own), newest first."),
]
