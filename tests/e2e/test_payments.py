"""Online payment through the whole platform, as in `make run`: a checkout opened through the
gateway, the local provider's page, its Stripe-signed webhook to the gateway, `dues_paid` on
the bus — once, whatever is replayed."""

from __future__ import annotations

import json
import re
import time
from html import unescape
from pathlib import Path

import httpx
import jsonschema
import pytest

from alumni_local.runner import Platform
from fundraising_service.adapters.stripe_checkout import local_event, sign_webhook

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


async def test_pay_on_the_local_providers_page_then_dues_paid_is_published_once(platform: Platform) -> None:
    nc = await platform.connect_nats()
    paid_sub = await nc.subscribe("evt.demo.fundraising.dues_paid.v1")
    alumnus = {"Authorization": f"Bearer {platform.issue_token('alumnus', subject='payer', member_id='m-payer')}"}
    async with httpx.AsyncClient(base_url=platform.gateway_url, headers=alumnus, timeout=30) as api, \
            httpx.AsyncClient(timeout=30) as web:  # the payer's browser, the provider
        dues = {"purpose": "dues", "reference_id": "ms-e2e", "plan_id": "standard", "amount_minor": 4500,
                "currency": "EUR", "description": "Cotisation 2026 — standard", "methods": ["card", "sepa_debit"]}
        # Alumni open dues checkouts through their membership (POST /me/membership), never here;
        # a manager may open one for a member (say, at the office's desk).
        refused = await api.post("/api/v1/payments/checkouts", json=dues)
        assert refused.status_code == 403 and refused.json()["type"].endswith("dues-through-membership")
        manager = {"Authorization": f"Bearer {platform.issue_token('manager')}", "Idempotency-Key": "e2e-checkout"}
        r = await api.post("/api/v1/payments/checkouts", headers=manager, json={**dues, "member_id": "m-payer"})
        assert r.status_code == 201, r.text
        checkout = r.json()
        assert checkout["provider"] == "local" and checkout["url"].startswith(f"{platform.checkout_url}/checkout/")

        # The payer's browser: the hosted page, then the "Payer / Pay" button.
        page = await web.get(checkout["url"])
        assert page.status_code == 200 and "Payer / Pay" in page.text and "45,00 EUR" in page.text
        action = re.search(r'action="([^"]+)"', page.text)
        assert action is not None
        form = {unescape(k): unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)}
        done = await web.post(f"{platform.checkout_url}{unescape(action.group(1))}",
                              data={**form, "outcome": "pay"})
        assert done.status_code == 200 and "Paiement accepté / Payment accepted" in done.text, done.text

        event = json.loads((await paid_sub.next_msg(timeout=30)).data)
        schema = json.loads((REPO / "contracts/schemas/fundraising/dues_paid.v1.json").read_text())
        jsonschema.validate(event, schema, format_checker=jsonschema.FormatChecker())
        data = event["data"]
        assert (data["membership_id"], data["member_id"], data["amount_minor"], data["currency"], data["method"],
                data["provider"]) == ("ms-e2e", "m-payer", 4500, "EUR", "card", "local")

        # Replays: the same outcome signed again is a duplicate, a bad signature a 400; nothing more is paid.
        body = local_event(session_id=checkout["url"].split("/checkout/")[1].split("?")[0],
                           checkout_id=checkout["checkout_id"], tenant="demo", amount_minor=4500, currency="EUR",
                           methods=["card"], paid=True, created=int(time.time()))
        webhook = f"{platform.gateway_url}/api/v1/payments/webhooks/local?tenant=demo"
        signature = sign_webhook(body, platform.webhook_secret(), int(time.time()))
        for _ in range(2):
            again = await web.post(webhook, content=body, headers={"Stripe-Signature": signature})
            assert again.status_code == 200 and again.json() == {"outcome": "duplicate"}, again.text
        forged = await web.post(webhook, content=body,
                                headers={"Stripe-Signature": sign_webhook(body, "x", int(time.time()))})
        assert forged.status_code == 400 and forged.headers["content-type"] == "application/problem+json"

        mine = (await api.get("/api/v1/me/payments")).json()["items"]
        assert [(p["payment_id"], p["status"]) for p in mine] == [(data["payment_id"], "succeeded")]
    with pytest.raises(TimeoutError):
        await paid_sub.next_msg(timeout=2)
    await nc.drain()
