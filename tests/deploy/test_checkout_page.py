"""The local payment provider's hosted-checkout page: bilingual, escaped, and its buttons post
a webhook signed exactly like Stripe's, which the fundraising adapter verifies."""

from __future__ import annotations

import html
import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
import stripe
from starlette.testclient import TestClient

from alumni_local.checkout_page import checkout_app
from fundraising_service.adapters.stripe_checkout import LocalCheckoutProvider
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import Checkout, Method, Outcome, PaymentTarget, Purpose

SECRET = "whsec_local_page_test"
GATEWAY = "http://gateway.test"


async def hosted_url(description: str = "Cotisation 2026 <script>alert(1)</script>",
                     return_url: str | None = None) -> tuple[Checkout, str]:
    provider = LocalCheckoutProvider(page_url="http://127.0.0.1:8030", webhook_secret=SECRET)
    checkout = Checkout.open(tenant="demo", target=PaymentTarget(Purpose.DUES, "ms1", "m1", "standard"),
                             amount=Money(4500, "EUR"), description=description,
                             methods=(Method.CARD, Method.SEPA_DEBIT), provider="local",
                             now=datetime.now(UTC))
    hosted = await provider.create_checkout(checkout, return_url, checkout.created_at)  # type: ignore[arg-type]
    checkout.attach(hosted)
    parts = urlsplit(hosted.url)
    return checkout, f"{parts.path}?{parts.query}"


@pytest.fixture
def received() -> list[httpx.Request]:
    return []


@pytest.fixture
def page(received: list[httpx.Request]) -> TestClient:
    def gateway(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200, json={"outcome": "processed"})

    return TestClient(checkout_app(GATEWAY, SECRET, httpx.MockTransport(gateway)))


async def test_the_page_is_bilingual_escaped_and_self_contained(page: TestClient) -> None:
    _, path = await hosted_url()
    r = page.get(path)
    assert r.status_code == 200
    assert "Payer / Pay" in r.text and "Échec / Fail" in r.text and "45,00 EUR" in r.text
    assert "<script>" not in r.text and "&lt;script&gt;" in r.text
    assert "http" not in r.text.split("<body>")[1].split("Référence")[0]  # no external asset
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.get("/checkout/cs_local_zz?tenant=demo").status_code == 404


@pytest.mark.parametrize(("outcome", "expected"), [("pay", Outcome.SUCCEEDED), ("fail", Outcome.FAILED)])
async def test_a_click_posts_a_stripe_signed_webhook_the_adapter_accepts(
        page: TestClient, received: list[httpx.Request], outcome: str, expected: Outcome) -> None:
    checkout, path = await hosted_url()
    form = dict(parse_qsl(urlsplit(path).query), outcome=outcome)
    r = page.post(urlsplit(path).path, data=form)
    assert r.status_code == 200 and ("accepté" in r.text if outcome == "pay" else "refusé" in r.text)
    [webhook] = received
    assert str(webhook.url) == f"{GATEWAY}/api/v1/payments/webhooks/local?tenant=demo"
    body, signature = webhook.content.decode(), webhook.headers["Stripe-Signature"]
    assert stripe.WebhookSignature.verify_header(body, signature, SECRET, 300)
    notification = LocalCheckoutProvider(page_url="x", webhook_secret=SECRET).parse_webhook(body, signature)
    assert (notification.outcome, notification.checkout_id, notification.session_id, notification.amount) == \
        (expected, checkout.id, checkout.session_id, Money(4500, "EUR"))
    assert json.loads(body)["created"] <= time.time()


async def test_with_a_return_url_the_payer_is_sent_back(page: TestClient) -> None:
    checkout, path = await hosted_url(return_url="http://127.0.0.1:8000/console/")
    # A browser enforces `form-action` on the redirect after the post: the return origin is allowed.
    csp = page.get(path).headers["content-security-policy"]
    assert "form-action 'self' http://127.0.0.1:8000;" in csp
    form = dict(parse_qsl(urlsplit(path).query), outcome="pay")
    r = page.post(urlsplit(path).path, data=form, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"http://127.0.0.1:8000/console/?checkout={checkout.id}&status=success"


async def test_a_rate_limited_webhook_is_sent_again_after_retry_after() -> None:
    """The webhook route has its own rate limit: the page waits for the gateway's Retry-After
    and sends the same signed event again instead of showing the payer a refusal."""
    sent: list[tuple[float, bytes]] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        sent.append((time.monotonic(), request.content))
        if len(sent) == 1:
            return httpx.Response(429, headers={"Retry-After": "1", "Content-Type": "application/problem+json"},
                                  json={"type": "about:blank", "title": "Too many requests", "status": 429})
        return httpx.Response(200, json={"outcome": "processed"})

    page = TestClient(checkout_app(GATEWAY, SECRET, httpx.MockTransport(gateway)))
    _, path = await hosted_url()
    r = page.post(urlsplit(path).path, data=dict(parse_qsl(urlsplit(path).query), outcome="pay"))
    assert r.status_code == 200 and "accepté" in r.text, r.text
    [(first, body), (second, again)] = sent
    assert again == body and second - first >= 1.0, "the same event, after the Retry-After"


async def test_an_edited_url_is_not_a_checkout(page: TestClient, received: list[httpx.Request]) -> None:
    """The fundraising service signs the page's fields: a payer who lowers the amount or pushes
    the expiry back gets "not found", and no webhook is sent."""
    _, path = await hosted_url()
    fields = dict(parse_qsl(urlsplit(path).query))
    for edit in ({"amount_minor": "100"}, {"expires_at": str(int(time.time()) + 86_400)}, {"sig": "0" * 64},
                 {"sig": ""}):
        edited = {**fields, **edit}
        assert page.get(urlsplit(path).path, params=edited).status_code == 404
        assert page.post(urlsplit(path).path, data={**edited, "outcome": "pay"}).status_code == 404
    assert received == []


async def test_an_expired_checkout_is_refused_and_says_when_it_expired(received: list[httpx.Request]) -> None:
    """Same TTL as the fundraising service's (`checkout_ttl_minutes`, here the provider's default
    hour): the page shows until when it is valid; past that the page and its buttons answer 410
    with the expiry in FR/EN, and nothing reaches the gateway."""
    checkout, path = await hosted_url(return_url="http://127.0.0.1:8000/console/")
    assert checkout.expires_at is not None and checkout.created_at is not None
    assert checkout.expires_at - checkout.created_at == timedelta(minutes=60)
    expires = checkout.expires_at.timestamp()
    paris = checkout.expires_at.astimezone(ZoneInfo("Europe/Paris"))
    now = [expires - 1]

    def gateway(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200, json={"outcome": "processed"})

    page = TestClient(checkout_app(GATEWAY, SECRET, httpx.MockTransport(gateway), clock=lambda: now[0]))
    shown = page.get(path)
    assert shown.status_code == 200
    assert f"Valable jusqu'au {paris:%d/%m/%Y à %H:%M}" in html.unescape(shown.text)
    assert f"Valid until {paris:%Y-%m-%d at %H:%M}" in shown.text

    now[0] = expires  # the payer left the page open
    form = dict(parse_qsl(urlsplit(path).query), outcome="pay")
    for r in (page.get(path), page.post(urlsplit(path).path, data=form, follow_redirects=False)):
        assert r.status_code == 410
        text = html.unescape(r.text)
        assert f"expiré le {paris:%d/%m/%Y à %H:%M}" in text and f"expired on {paris:%Y-%m-%d at %H:%M}" in text
        assert "Payer / Pay" not in text and 'href="http://127.0.0.1:8000/console/"' in text
    assert received == []
