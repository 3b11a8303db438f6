"""What the local payment page tells the payer after a click follows what the platform did: a
checkout already settled (paid, or failed then paid again from the Back button) is never shown
as "accepted", and a gateway timeout is not shown as a refusal (the payment may be recorded)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from alumni_local.checkout_page import checkout_app
from fundraising_service.adapters.stripe_checkout import LocalCheckoutProvider
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import Checkout, Method, PaymentTarget, Purpose

SECRET = "whsec_local_page_outcome_test"


async def hosted_path(return_url: str | None = None) -> str:
    provider = LocalCheckoutProvider(page_url="http://127.0.0.1:8030", webhook_secret=SECRET)
    checkout = Checkout.open(tenant="demo", target=PaymentTarget(Purpose.DUES, "ms1", "m1", "standard"),
                             amount=Money(6000, "EUR"), description="Cotisation — Standard",
                             methods=(Method.CARD,), provider="local", now=datetime.now(UTC))
    hosted = await provider.create_checkout(checkout, return_url, checkout.created_at)  # type: ignore[arg-type]
    parts = urlsplit(hosted.url)
    return f"{parts.path}?{parts.query}"


def page_answering(response: httpx.Response) -> TestClient:
    return TestClient(checkout_app("http://gateway.test", SECRET, httpx.MockTransport(lambda _: response)))


def click(page: TestClient, path: str, outcome: str) -> httpx.Response:
    form = dict(parse_qsl(urlsplit(path).query), outcome=outcome)
    response: httpx.Response = page.post(urlsplit(path).path, data=form, follow_redirects=False)
    return response


@pytest.mark.parametrize("return_url", [None, "https://alumni.example.org/adhesion"])
async def test_paying_a_checkout_already_settled_is_not_shown_as_accepted(return_url: str | None) -> None:
    path = await hosted_path(return_url)
    r = click(page_answering(httpx.Response(200, json={"outcome": "duplicate"})), path, "pay")
    assert r.status_code == 409
    assert "accepté" not in r.text and "accepted" not in r.text
    assert "Paiement déjà traité / Payment already handled" in r.text
    assert "nouveau lien de paiement" in r.text and "new payment link" in r.text
    if return_url:  # a way back, but not the success redirect
        assert f'href="{return_url}"' in r.text and "status=success" not in r.text


async def test_a_new_payment_is_still_accepted() -> None:
    path = await hosted_path()
    r = click(page_answering(httpx.Response(200, json={"outcome": "processed"})), path, "pay")
    assert r.status_code == 200 and "Paiement accepté / Payment accepted" in r.text and "60,00 EUR" in r.text


async def test_a_failure_says_nothing_was_charged_and_how_to_try_again() -> None:
    path = await hosted_path()
    r = click(page_answering(httpx.Response(200, json={"outcome": "processed"})), path, "fail")
    assert r.status_code == 200 and "Paiement refusé / Payment failed" in r.text
    assert "Aucun montant n'a été débité" in r.text and "Nothing was charged" in r.text
    assert "nouveau lien de paiement" in r.text


async def test_a_gateway_timeout_is_not_shown_as_a_refusal() -> None:
    path = await hosted_path()
    r = click(page_answering(httpx.Response(504, json={"type": "urn:alumni:problem:timeout", "status": 504})),
              path, "pay")
    assert r.status_code == 202
    assert "refusé" not in r.text and "accepté" not in r.text
    assert "Vérifiez votre adhésion" in r.text and "before paying again" in r.text


async def test_a_refused_webhook_is_still_reported() -> None:
    path = await hosted_path()
    r = click(page_answering(httpx.Response(400, json={"title": "bad signature"})), path, "pay")
    assert r.status_code == 502 and "Webhook refusé / Webhook refused" in r.text and "HTTP 400" in r.text
