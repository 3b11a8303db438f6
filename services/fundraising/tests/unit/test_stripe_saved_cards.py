"""The Stripe adapter's side of automatic collection, against a local stub of Stripe's API: the
checkout of a recurring gift saves the card on a customer; the webhook names that customer; an
off-session charge is a confirmed PaymentIntent under the attempt's idempotency key; a decline is
a result with its reason, an unreachable Stripe a `ProviderUnavailable`."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs

import pytest

from fundraising_service.adapters.stripe_checkout import StripeCheckoutProvider, notification_from
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import Checkout, Method, PaymentTarget, ProviderUnavailable, Purpose

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class _Stub(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, list[str]], str | None]]] = []
    decline: ClassVar[bool] = False
    down: ClassVar[bool] = False  # Stripe answers 500 to everything

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode())
        type(self).received.append((self.path, form, self.headers.get("Idempotency-Key")))
        if type(self).down:
            self._answer(500, {"error": {"type": "api_error", "message": "down"}})
        elif self.path == "/v1/checkout/sessions":
            self._answer(200, {"id": "cs_test_1", "object": "checkout.session",
                               "url": "https://checkout.stripe.test/c/pay/cs_test_1", "expires_at": 1_800_000_000})
        elif type(self).decline:
            self._answer(402, {"error": {"type": "card_error", "code": "card_declined",
                                         "decline_code": "insufficient_funds", "message": "Your card has insufficient funds.",
                                         "payment_intent": {"id": "pi_declined", "object": "payment_intent"}}})
        else:
            self._answer(200, {"id": "pi_ok", "object": "payment_intent", "status": "succeeded"})

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        type(self).received.append((path, parse_qs(query), None))
        if type(self).down:
            self._answer(500, {"error": {"type": "api_error", "message": "down"}})
        elif path == "/v1/customers/cus_1/payment_methods":
            self._answer(200, {"object": "list", "url": path, "has_more": False,
                               "data": [{"id": "pm_card_1", "object": "payment_method", "type": "card"}]})
        else:
            self._answer(200, {"object": "list", "url": path, "has_more": False, "data": []})

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def stripe() -> Iterator[StripeCheckoutProvider]:
    _Stub.received, _Stub.decline, _Stub.down = [], False, False
    server = HTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield StripeCheckoutProvider(api_key="sk_test_x", webhook_secret="whsec_stripe",
                                 default_return_url="https://alumni.example/console/",
                                 api_base=f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


async def test_a_recurring_gift_s_checkout_saves_the_card_on_a_customer(stripe: StripeCheckoutProvider) -> None:
    checkout = Checkout.open(tenant="demo", target=PaymentTarget(Purpose.GIFT, "c1", "m1"), amount=Money(2000, "EUR"),
                             description="Don mensuel", methods=(Method.CARD,), provider="stripe", now=NOW,
                             save_method=True)
    await stripe.create_checkout(checkout, None, NOW)
    [(_, form, _)] = _Stub.received
    assert form["mode"] == ["payment"] and form["customer_creation"] == ["always"]
    assert form["payment_intent_data[setup_future_usage]"] == ["off_session"]
    event = {"id": "evt_1", "object": "event", "type": "checkout.session.completed", "created": 1_790_000_000,
             "data": {"object": {"id": "cs_test_1", "object": "checkout.session", "client_reference_id": checkout.id,
                                 "amount_total": 2000, "currency": "eur", "payment_status": "paid",
                                 "payment_method_types": ["card"], "payment_intent": "pi_first", "customer": "cus_1",
                                 "metadata": {"tenant": "demo", "checkout_id": checkout.id}}}}
    assert notification_from("stripe", event).mandate_ref == "cus_1"


async def test_an_off_session_charge_is_a_confirmed_intent_under_the_attempt_key(stripe: StripeCheckoutProvider) -> None:
    result = await stripe.charge_saved("cus_1", Money(2000, "EUR"), "rg-1-2026-12-28-1", {"tenant": "demo"})
    assert (result.succeeded, result.reference) == (True, "pi_ok")
    path, form, key = _Stub.received[-1]
    assert path == "/v1/payment_intents" and key == "rg-1-2026-12-28-1"
    assert (form["off_session"], form["confirm"], form["payment_method"], form["customer"], form["amount"]) == (
        ["true"], ["true"], ["pm_card_1"], ["cus_1"], ["2000"])
    _Stub.decline = True
    declined = await stripe.charge_saved("cus_1", Money(2000, "EUR"), "rg-1-2026-12-28-2", {})
    assert (declined.succeeded, declined.reference, declined.reason) == (False, "pi_declined", "insufficient_funds")
    nothing = await stripe.charge_saved("cus_2", Money(2000, "EUR"), "rg-2-2026-12-28-1", {})
    assert (nothing.succeeded, nothing.reason) == (False, "no_saved_payment_method")


async def test_a_failing_stripe_is_provider_unavailable(stripe: StripeCheckoutProvider) -> None:
    _Stub.down = True
    with pytest.raises(ProviderUnavailable):
        await stripe.charge_saved("cus_1", Money(2000, "EUR"), "rg-1-2026-12-28-1", {})
