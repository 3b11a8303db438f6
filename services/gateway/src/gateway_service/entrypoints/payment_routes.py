"""Payments: hosted checkouts, the providers' signed webhooks, manual payments and refunds.

The webhook route takes no bearer token (the edge lets it through, with its own rate limit
and body limit): the provider's signature over the raw body is the only authority, checked
by the fundraising service, so the body is forwarded byte for byte with its signature header.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from alumni_contracts import naming
from alumni_contracts.fundraising import commands as fr
from alumni_contracts.rpc import Principal, Role
from gateway_service.entrypoints.edge import (
    WEBHOOKS_PREFIX,
    ApiError,
    IdempotencyKey,
    Who,
    created,
    forward,
    own_member_id,
    require_staff,
)
from gateway_service.entrypoints.problems import make_problem, problem_response
from servicekit.authz import is_staff

router = APIRouter()

PaymentId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Cursor = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
WEBHOOK_BODY = {"requestBody": {"required": True, "description": "The provider's event, exactly as it sent it.",
                                "content": {"application/json": {"schema": {"type": "object"}}}}}


def _bad_request(detail: str) -> ApiError:
    return ApiError(problem_response(make_problem(400, "bad-webhook", "Webhook refused", detail)))


def _webhook_tenant(request: Request, tenant: str | None) -> str:
    """The endpoint registered at the provider names its tenant (`?tenant=`); a gateway serving
    a single tenant may leave it out."""
    served: list[str] = request.app.state.tenants
    if tenant is None and len(served) == 1:
        return served[0]
    if tenant is None or tenant not in served:  # no such endpoint here
        raise ApiError(problem_response(make_problem(
            404, "unknown-tenant", "Unknown tenant",
            "unknown or missing tenant: register the endpoint with `?tenant=<tenant>`")))
    return tenant


@router.post(WEBHOOKS_PREFIX + "{provider}", tags=["payments"], response_model=fr.WebhookHandled,
             openapi_extra=WEBHOOK_BODY,
             responses={400: {"description": "Bad signature, stale timestamp, not UTF-8 or not an event"},
                        404: {"description": "Unknown checkout or tenant"},
                        422: {"description": "Amount differs from the checkout, or no signature header"}})
async def payment_webhook(provider: fr.WebhookProvider, request: Request,
                          stripe_signature: Annotated[str, Header(alias="Stripe-Signature", max_length=2000,
                                                                  pattern=r"^[\x20-\x7e]+$")],
                          tenant: Annotated[str | None, Query(pattern=r"^[a-z0-9-]{2,32}$")] = None,
                          ) -> dict[str, Any]:
    """A payment provider's signed webhook (no bearer token: the signature, `Stripe-Signature:
    t=…,v1=…` over the raw body, is verified by the fundraising service; at most 300 s old).
    A redelivered event answers 200 `duplicate` and changes nothing."""
    raw = await request.body()
    try:
        payload = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad_request("the body is not UTF-8") from None
    if len(raw) > fr.MAX_WEBHOOK_PAYLOAD:
        raise ApiError(problem_response(make_problem(413, "too-large", "Request body too large",
                                                     f"at most {fr.MAX_WEBHOOK_PAYLOAD} bytes")))
    who = Principal(tenant=_webhook_tenant(request, tenant), subject=f"webhook:{provider}",
                    roles=frozenset({Role.PUBLIC}))
    return await forward(request, naming.command_subject("fundraising", fr.RECEIVE_PAYMENT_WEBHOOK),
                         fr.ReceivePaymentWebhook(provider=provider, payload=payload, signature=stripe_signature), who)


@router.post("/api/v1/payments/checkouts", status_code=201, tags=["payments"], response_model=fr.CheckoutCreated,
             responses={502: {"description": "The payment provider is unavailable"}})
async def create_checkout(body: fr.CreateCheckout, request: Request, who: Who,
                          idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Open a hosted checkout (alumni for themselves, staff for a named member) and send the
    payer to the returned `url`; the outcome arrives by the provider's webhook. Alumni pay
    dues through `POST /api/v1/me/membership`, which asks for exactly what is due: here only
    staff may open a dues checkout (an alumnus could otherwise name any membership and any
    amount, and pay for nothing)."""
    if body.purpose is fr.PaymentPurpose.DUES and not is_staff(who):
        raise ApiError(problem_response(make_problem(
            403, "dues-through-membership", "Dues are paid through the membership",
            "open a dues checkout with POST /api/v1/me/membership: it asks for what is due")))
    result = await forward(request, naming.command_subject("fundraising", fr.CREATE_CHECKOUT), body, who,
                           idempotency_key)
    return created(result, result["url"])


@router.post("/api/v1/payments/manual", status_code=201, tags=["payments"], response_model=fr.PaymentView)
async def record_manual_payment(body: fr.RecordManualPayment, request: Request, who: Who,
                                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Staff record a cheque, transfer or cash payment with its reference; for dues,
    `dues_paid` follows at once."""
    require_staff(who)
    result = await forward(request, naming.command_subject("fundraising", fr.RECORD_MANUAL_PAYMENT), body, who,
                           idempotency_key)
    return created(result, f"/api/v1/payments?member_id={result['member_id']}")


@router.post("/api/v1/payments/{payment_id}/refund", tags=["payments"], response_model=fr.PaymentView,
             responses={409: {"description": "Nothing (or less) left to refund"}})
async def refund_payment(payment_id: PaymentId, body: fr.RefundIn, request: Request, who: Who,
                         idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Staff refund a payment, wholly or in part (at the provider for online payments)."""
    require_staff(who)
    return await forward(request, naming.command_subject("fundraising", fr.REFUND_PAYMENT),
                         fr.RefundPayment(payment_id=payment_id, **body.model_dump()), who, idempotency_key)


@router.get("/api/v1/payments", tags=["payments"], response_model=fr.PaymentPage)
async def list_payments(request: Request, who: Who, member_id: Annotated[str | None, Query(
                            pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
                        limit: Annotated[int, Query(ge=1, le=200)] = 50, after: Cursor = None) -> dict[str, Any]:
    """Staff: payments of the tenant (or of one member), newest first; `after` = the previous
    page's `next_cursor`."""
    require_staff(who)
    return await forward(request, naming.query_subject("fundraising", fr.LIST_PAYMENTS),
                         fr.ListPayments(member_id=member_id, limit=limit, after=after), who)


@router.get("/api/v1/me/payments", tags=["payments"], response_model=fr.PaymentPage)
async def my_payments(request: Request, who: Who, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                      after: Cursor = None) -> dict[str, Any]:
    """Your payments (dues and gifts), newest first, failed ones included."""
    return await forward(request, naming.query_subject("fundraising", fr.LIST_PAYMENTS),
                         fr.ListPayments(member_id=own_member_id(who), limit=limit, after=after), who)

