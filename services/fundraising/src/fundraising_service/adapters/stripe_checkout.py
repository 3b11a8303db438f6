"""Payment providers speaking Stripe's protocol: Stripe Checkout itself, and the local
development provider of `make run`, whose webhooks are signed exactly like Stripe's and
verified by the same code (`StripeSignedWebhooks`).

Stripe's scheme: header `Stripe-Signature: t=<unix seconds>,v1=<hex>`, where `v1` is
HMAC-SHA256 with the endpoint secret over `"{t}.{raw body}"`; a timestamp older than the
tolerance (at most 300 s) is refused, and so here is one more than 300 s in the future.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import stripe

from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import (
    BadWebhook,
    ChargeResult,
    Checkout,
    HostedCheckout,
    Method,
    Outcome,
    Payment,
    PaymentNotification,
    ProviderUnavailable,
)
from servicekit.logging import get_logger

log = get_logger(__name__)

MAX_TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "Stripe-Signature"


def sign_webhook(payload: str, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` value of `payload` (what Stripe sends; what the local provider sends)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class StripeSignedWebhooks:
    """Verification and parsing of Stripe-signed webhooks into provider-neutral notifications."""

    def __init__(self, name: str, secret: str, tolerance: int = MAX_TOLERANCE_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        if not 0 < tolerance <= MAX_TOLERANCE_SECONDS:
            raise ValueError(f"webhook tolerance must be 1..{MAX_TOLERANCE_SECONDS} s")
        if not secret:
            raise ValueError(f"{name}: a webhook secret is required")
        self.name, self._secret, self._tolerance, self._clock = name, secret, tolerance, clock

    def parse_webhook(self, payload: str, signature: str) -> PaymentNotification:
        # Stripe's own verification (what `stripe.Webhook.construct_event` runs first), then plain
        # JSON: building the library's `Event` object cost 5.4 ms a webhook here, the check 0.5 ms.
        try:
            stripe.WebhookSignature.verify_header(payload, signature, self._secret, tolerance=self._tolerance)
        except stripe.SignatureVerificationError as exc:
            raise BadWebhook(f"signature: {exc.user_message or exc}") from None
        timestamp = _timestamp(signature)
        if timestamp > self._clock() + self._tolerance:
            raise BadWebhook("signature: timestamp in the future, outside the tolerance zone")
        try:
            event = json.loads(payload)
            if not isinstance(event, dict) or event.get("object") != "event":
                raise ValueError("not an event object")
            return notification_from(self.name, event)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # a valid signature over a non-event
            raise BadWebhook(f"not a checkout event this platform understands: {exc}") from None


def _timestamp(signature: str) -> int:
    for item in signature.split(","):
        key, _, value = item.partition("=")
        if key.strip() == "t":
            return int(value)
    raise BadWebhook("signature: no timestamp")


def _method(session: Mapping[str, Any], asynchronous: bool) -> Method:
    types = [t for t in session.get("payment_method_types") or [] if t in (Method.CARD, Method.SEPA_DEBIT)]
    if asynchronous and Method.SEPA_DEBIT in types:
        return Method.SEPA_DEBIT
    if len(types) == 1:
        return Method(types[0])
    return Method.CARD  # a synchronous success with both offered: the card (debits settle later)


def notification_from(provider: str, event: Mapping[str, Any]) -> PaymentNotification:
    """Stripe's Checkout Session events, provider-neutral. Other event types are `ignored`."""
    event_id, kind = str(event["id"]), str(event["type"])
    session = event["data"]["object"]
    if kind in ("invoice.paid", "invoice.payment_failed") and session.get("object") == "invoice":
        return _renewal(provider, event_id, kind, session, event.get("created"))
    if not kind.startswith("checkout.session.") or session.get("object") != "checkout.session":
        return PaymentNotification(provider, event_id, Outcome.IGNORED)
    metadata = session.get("metadata") or {}
    amount = session.get("amount_total")
    currency = session.get("currency")
    paid = session.get("payment_status")
    outcome = {
        "checkout.session.completed": Outcome.SUCCEEDED if paid in ("paid", "no_payment_required") else Outcome.PENDING,
        "checkout.session.async_payment_succeeded": Outcome.SUCCEEDED,
        "checkout.session.async_payment_failed": Outcome.FAILED,
        "checkout.session.expired": Outcome.EXPIRED,
    }.get(kind, Outcome.IGNORED)
    asynchronous = kind.startswith("checkout.session.async_")
    return PaymentNotification(
        provider=provider, event_id=event_id, outcome=outcome,
        checkout_id=session.get("client_reference_id") or metadata.get("checkout_id"),
        session_id=session.get("id"), tenant=metadata.get("tenant"),
        amount=Money(int(amount), str(currency).upper()) if amount is not None and currency else None,
        method=_method(session, asynchronous),
        provider_payment_ref=_payment_ref(session),
        mandate_ref=_customer(session) if outcome is Outcome.SUCCEEDED else None,
        reason=metadata.get("failure_reason") or (kind.removeprefix("checkout.session.")
                                                  if outcome is Outcome.FAILED else None),
        occurred_at=datetime.fromtimestamp(int(event["created"]), UTC) if event.get("created") else None)


def _customer(session: Mapping[str, Any]) -> str | None:
    """The customer holding the payment method a checkout saved (`setup_future_usage`)."""
    value = session.get("customer")
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _payment_ref(session: Mapping[str, Any]) -> str | None:
    """What a refund starts from: the session's payment intent (`payment` mode) or, in
    `subscription` mode (no payment intent on the session), the first invoice."""
    for key in ("payment_intent", "invoice"):
        value = session.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping) and isinstance(value.get("id"), str):  # expanded
            return str(value["id"])
    return None


def _renewal(provider: str, event_id: str, kind: str, invoice: Mapping[str, Any], created: Any
             ) -> PaymentNotification:
    """A subscription's next yearly invoice, paid or failed: an automatic renewal. The first
    invoice (`subscription_create`) is the checkout's own payment, told by `checkout.session.*`."""
    if invoice.get("billing_reason") != "subscription_cycle":
        return PaymentNotification(provider, event_id, Outcome.IGNORED)
    parent = (invoice.get("parent") or {}).get("subscription_details") or invoice.get("subscription_details") or {}
    metadata = parent.get("metadata") or {}
    paid = kind == "invoice.paid"
    amount = invoice.get("amount_paid") if paid else invoice.get("amount_due")
    currency = invoice.get("currency")
    return PaymentNotification(
        provider=provider, event_id=event_id, outcome=Outcome.RENEWAL_PAID if paid else Outcome.RENEWAL_FAILED,
        checkout_id=metadata.get("checkout_id"), tenant=metadata.get("tenant"),
        amount=Money(int(amount), str(currency).upper()) if amount is not None and currency else None,
        reason=None if paid else "renewal_payment_failed", renewal_ref=str(invoice["id"]),
        occurred_at=datetime.fromtimestamp(int(created), UTC) if created else None)


def _metadata(checkout: Checkout) -> dict[str, str]:
    return {"tenant": checkout.tenant, "checkout_id": checkout.id, "purpose": str(checkout.target.purpose),
            "reference_id": checkout.target.reference_id}


class StripeCheckoutProvider(StripeSignedWebhooks):
    """Stripe Checkout: a hosted page (no card data here), `payment` mode, card and SEPA Direct
    Debit. `api_base` points the client elsewhere (a test stub)."""

    def __init__(self, *, api_key: str, webhook_secret: str, default_return_url: str,
                 tolerance: int = MAX_TOLERANCE_SECONDS, api_base: str | None = None,
                 ttl: timedelta = timedelta(hours=1), timeout: float = 2.0) -> None:
        super().__init__("stripe", webhook_secret, tolerance)
        # Two attempts of 2 s (same idempotency key) fit in the gateway's 5 s request timeout
        # (`GATEWAY_NATS_REQUEST_TIMEOUT`); past it the client retries with its Idempotency-Key.
        self._client = stripe.StripeClient(
            api_key, base_addresses={"api": api_base} if api_base else None,
            http_client=stripe.HTTPXClient(timeout=timeout), max_network_retries=1)
        self._default_return_url = default_return_url
        # Stripe takes 30 minutes to 24 hours.
        self._ttl = min(max(ttl, timedelta(minutes=30)), timedelta(hours=24))

    async def create_checkout(self, checkout: Checkout, return_url: str | None, now: datetime) -> HostedCheckout:
        back = return_url or self._default_return_url
        separator = "&" if "?" in back else "?"
        price: dict[str, Any] = {"currency": checkout.amount.currency.lower(),
                                 "unit_amount": checkout.amount.minor_units,
                                 "product_data": {"name": checkout.description}}
        params: dict[str, Any] = {
            "line_items": [{"quantity": 1, "price_data": price}],
            "payment_method_types": [str(m) for m in checkout.methods],
            "client_reference_id": checkout.id,
            "metadata": _metadata(checkout),
            "success_url": f"{back}{separator}checkout={checkout.id}&status=success",
            "cancel_url": f"{back}{separator}checkout={checkout.id}&status=cancelled",
            "expires_at": int((now + self._ttl).timestamp()),
        }
        if checkout.recurring:  # automatic renewal: a yearly subscription whose invoices name the checkout
            price["recurring"] = {"interval": "year"}
            params.update(mode="subscription", subscription_data={"metadata": _metadata(checkout)})
        else:
            params.update(mode="payment", payment_intent_data={"metadata": _metadata(checkout)})
            if checkout.save_method:  # a recurring gift: the card is kept (on a customer) for the next periods
                params["payment_intent_data"]["setup_future_usage"] = "off_session"
                params["customer_creation"] = "always"
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]  # a plain dict of the documented parameters
                options={"idempotency_key": f"checkout-{checkout.id}"})
        except stripe.StripeError as exc:
            log.warning("stripe refused or failed a checkout session", checkout_id=checkout.id,
                        error=type(exc).__name__, http_status=exc.http_status)
            raise ProviderUnavailable(f"Stripe: {exc.user_message or type(exc).__name__}") from None
        if not session.url:
            raise ProviderUnavailable("Stripe returned a session without a URL")
        return HostedCheckout(session.id, session.url, datetime.fromtimestamp(session.expires_at, UTC))

    async def refund(self, payment: Payment, amount_minor: int, key: str) -> str:
        try:
            intent = await self._payment_intent(payment)
            refund = await self._client.v1.refunds.create_async(
                {"payment_intent": intent, "amount": amount_minor}, options={"idempotency_key": key})
        except stripe.StripeError as exc:
            log.warning("stripe refused or failed a refund", payment_id=payment.id, error=type(exc).__name__)
            raise ProviderUnavailable(f"Stripe: {exc.user_message or type(exc).__name__}") from None
        return refund.id

    async def charge_saved(self, mandate_ref: str, amount: Money, key: str, metadata: dict[str, str]) -> ChargeResult:
        """An off-session PaymentIntent on the customer's saved card, confirmed at once; `key` is
        the idempotency key (the same attempt run again after a crash is the same charge)."""
        try:
            methods = await self._client.v1.customers.payment_methods.list_async(
                mandate_ref, {"type": "card", "limit": 1})
            if not methods.data:
                return ChargeResult(False, None, "no_saved_payment_method")
            intent = await self._client.v1.payment_intents.create_async(
                {"amount": amount.minor_units, "currency": amount.currency.lower(), "customer": mandate_ref,
                 "payment_method": methods.data[0].id, "off_session": True, "confirm": True, "metadata": metadata},
                options={"idempotency_key": key})
        except stripe.CardError as exc:  # declined, or the bank wants the cardholder (authentication_required)
            error = exc.error
            intent_id = error.payment_intent.id if error is not None and error.payment_intent is not None else None
            return ChargeResult(False, intent_id, str((error.decline_code if error else None) or exc.code
                                                      or "card_declined"))
        except stripe.StripeError as exc:
            log.warning("stripe failed an off-session charge", key=key, error=type(exc).__name__,
                        http_status=exc.http_status)
            raise ProviderUnavailable(f"Stripe: {exc.user_message or type(exc).__name__}") from None
        if intent.status == "succeeded":
            return ChargeResult(True, intent.id)
        return ChargeResult(False, intent.id, f"payment_intent_{intent.status}")

    async def _payment_intent(self, payment: Payment) -> str:
        """The payment intent to refund. A `payment`-mode checkout names it; a subscription's
        payments (its first invoice, told by `checkout.session.completed`, and each renewal,
        told by `invoice.paid`) are invoices, whose payment intent Stripe gives through the
        invoice's payments (`GET /v1/invoice_payments?invoice=…`; `invoice.payment_intent` is gone
        since API 2025-03-31). A first payment recorded without its invoice is found through
        its subscription (searched by the checkout id in the subscription's metadata)."""
        ref = payment.provider_payment_ref
        if ref is not None and not ref.startswith("in_"):
            return ref
        invoice = ref or payment.renewal_ref or await self._first_invoice(payment)
        if invoice is None:
            raise ProviderUnavailable(f"payment {payment.id} has no Stripe payment intent or invoice to refund")
        paid = await self._client.v1.invoice_payments.list_async({"invoice": invoice, "status": "paid", "limit": 10})
        for item in paid.data:
            intent = item.payment.payment_intent if item.payment.type == "payment_intent" else None
            if intent is not None:
                return intent if isinstance(intent, str) else intent.id
        raise ProviderUnavailable(f"Stripe: invoice {invoice} of payment {payment.id} has no paid payment intent")

    async def _first_invoice(self, payment: Payment) -> str | None:
        if payment.checkout_id is None:
            return None
        found = await self._client.v1.subscriptions.search_async(
            {"query": f"metadata['checkout_id']:'{payment.checkout_id}'", "limit": 1})
        if not found.data:
            return None
        invoices = await self._client.v1.invoices.list_async({"subscription": found.data[0].id, "limit": 100})
        first = [i for i in invoices.data if i.billing_reason == "subscription_create" and i.id]
        return first[0].id if first else None


class LocalCheckoutProvider(StripeSignedWebhooks):
    """Development provider: the hosted page is served by the local runner (`make run`),
    whose "pay" / "fail" buttons post a webhook signed like Stripe's with the shared secret."""

    def __init__(self, *, page_url: str, webhook_secret: str, tolerance: int = MAX_TOLERANCE_SECONDS,
                 ttl: timedelta = timedelta(hours=1)) -> None:
        super().__init__("local", webhook_secret, tolerance)
        self._page_url = page_url.rstrip("/")
        self._ttl = ttl

    async def create_checkout(self, checkout: Checkout, return_url: str | None, now: datetime) -> HostedCheckout:
        session_id = f"cs_local_{secrets.token_hex(12)}"
        expires_at = now + self._ttl
        query = {"tenant": checkout.tenant, "checkout_id": checkout.id, "amount_minor": str(checkout.amount.minor_units),
                 "currency": checkout.amount.currency, "description": checkout.description,
                 "methods": ",".join(checkout.methods), "expires_at": str(int(expires_at.timestamp())),
                 "return_url": return_url or "", "save": "1" if checkout.save_method else ""}
        query["sig"] = local_page_signature(self._secret, session_id, query)
        return HostedCheckout(session_id, f"{self._page_url}/checkout/{session_id}?{urlencode(query)}", expires_at)

    async def refund(self, payment: Payment, amount_minor: int, key: str) -> str:
        return f"re_local_{hashlib.sha256(key.encode()).hexdigest()[:16]}"

    async def charge_saved(self, mandate_ref: str, amount: Money, key: str, metadata: dict[str, str]) -> ChargeResult:
        """The local provider's saved cards behave like Stripe's test cards, by kind (the page's
        button): `ok` is always charged, `flaky` declines the first attempt of each period (its
        retry succeeds: a dunning demo), `declined` declines every later charge."""
        reference = f"pi_local_{hashlib.sha256(key.encode()).hexdigest()[:16]}"
        kind = mandate_ref.removeprefix("cus_local_").split("_", 1)[0]
        if kind == "declined" or (kind == "flaky" and key.endswith("-1")):
            return ChargeResult(False, reference, "card_declined")
        if kind not in ("ok", "flaky"):
            return ChargeResult(False, None, "no_saved_payment_method")
        return ChargeResult(True, reference)


LOCAL_PAGE_FIELDS = ("tenant", "checkout_id", "amount_minor", "currency", "description", "methods", "expires_at",
                     "return_url", "save")
MANDATE_KINDS = ("ok", "flaky", "declined")  # the local provider's saved "test cards" (`charge_saved`)


def local_page_signature(secret: str, session_id: str, fields: Mapping[str, str]) -> str:
    """HMAC-SHA256 (the webhook secret) over the local page's URL fields: the page refuses a URL
    whose amount, checkout or expiry (`checkout_ttl_minutes`) was edited by the payer."""
    canonical = urlencode([("session_id", session_id), *((k, str(fields.get(k, ""))) for k in LOCAL_PAGE_FIELDS)])
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def local_event(*, session_id: str, checkout_id: str, tenant: str, amount_minor: int, currency: str,
                methods: list[str], paid: bool, created: int, reason: str | None = None,
                mandate: str | None = None) -> str:
    """A Stripe-shaped event of the local provider (also what tests sign), as the JSON body."""
    kind = "checkout.session.completed" if paid else "checkout.session.async_payment_failed"
    metadata = {"tenant": tenant, "checkout_id": checkout_id}
    if reason:
        metadata["failure_reason"] = reason
    saved: dict[str, str] = {}
    if mandate is not None and paid:  # the card saved for later charges, held by a customer (as at Stripe)
        if mandate not in MANDATE_KINDS:
            raise ValueError(f"local saved cards are {', '.join(MANDATE_KINDS)}")
        saved = {"customer": f"cus_local_{mandate}_{secrets.token_hex(8)}"}
    return json.dumps({
        "id": f"evt_local_{secrets.token_hex(12)}", "object": "event", "type": kind, "created": created,
        "livemode": False, "api_version": "2025-01-27",
        "data": {"object": {
            "id": session_id, "object": "checkout.session", "client_reference_id": checkout_id,
            "amount_total": amount_minor, "currency": currency.lower(), "metadata": metadata,
            "mode": "payment", "payment_method_types": methods,
            "payment_status": "paid" if paid else "unpaid", "status": "complete",
            "payment_intent": f"pi_local_{secrets.token_hex(12)}", **saved}},
    }, separators=(",", ":"))
