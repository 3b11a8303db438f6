"""The payment routes with a fake bus: the providers' webhook route (no token, raw body
forwarded byte for byte, bounded, its own rate limit) and the staff and alumni routes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from alumni_contracts.fundraising import commands as fr
from alumni_contracts.rpc import Principal, Problem, Reply, Role, problem_type
from gateway_service.adapters.auth import DevIssuer, TokenVerifier, load_or_create_key
from gateway_service.entrypoints.app import create_app

ISSUER, AUDIENCE = "urn:test-issuer", "alumni-api"
WEBHOOK = "/api/v1/payments/webhooks/local"
# Odd spacing, non-ASCII, key order: the signature is over these exact bytes.
BODY = '{"id":"evt_1",  "type":"checkout.session.completed","note":"cotisation \u00e9t\u00e9 \u2014 ok"}\n'.encode()
SIGNATURE = "t=1700000000,v1=" + "a" * 64


class FakeBus:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.reply = Reply(ok=True, result={"outcome": "processed"})

    async def request(self, subject: str, payload: BaseModel, principal: Principal, correlation_id: str,
                      idempotency_key: str | None = None) -> Reply:
        self.calls.append({"subject": subject, "payload": payload, "principal": principal})
        return self.reply


@pytest.fixture
def issuer(tmp_path: Path) -> DevIssuer:
    return DevIssuer(load_or_create_key(tmp_path / "key.pem"), ISSUER, AUDIENCE)


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus()


def _client(issuer: DevIssuer, bus: FakeBus, tenants: list[str], **limits: int) -> TestClient:
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, tenants=tenants, public_key=issuer.key.public_key())

    async def bus_factory() -> FakeBus:
        return bus

    return TestClient(create_app(bus_factory, verifier, max_body_bytes=2048, tenants=tenants,  # type: ignore[arg-type]
                                 **limits))


@pytest.fixture
def client(issuer: DevIssuer, bus: FakeBus) -> Iterator[TestClient]:
    with _client(issuer, bus, ["demo", "other"]) as c:
        yield c


def auth(issuer: DevIssuer, roles: str = "manager", member_id: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.issue('demo', 'u1', roles.split(','), member_id)}"}


def test_a_webhook_needs_no_token_and_reaches_fundraising_byte_for_byte(client: TestClient, bus: FakeBus) -> None:
    r = client.post(f"{WEBHOOK}?tenant=other", content=BODY,
                    headers={"Stripe-Signature": SIGNATURE, "Content-Type": "application/json"})
    assert r.status_code == 200 and r.json() == {"outcome": "processed"}
    [call] = bus.calls
    assert call["subject"] == "cmd.fundraising.receive_payment_webhook"
    request: fr.ReceivePaymentWebhook = call["payload"]
    assert request.payload.encode() == BODY and request.signature == SIGNATURE and request.provider == "local"
    who: Principal = call["principal"]
    assert who.tenant == "other" and who.roles == frozenset({Role.PUBLIC}) and who.member_id is None


def test_a_token_on_a_webhook_gives_no_rights(client: TestClient, issuer: DevIssuer, bus: FakeBus) -> None:
    client.post(f"{WEBHOOK}?tenant=demo", content=BODY, headers={**auth(issuer), "Stripe-Signature": SIGNATURE})
    assert bus.calls[0]["principal"].roles == frozenset({Role.PUBLIC})


@pytest.mark.parametrize(("url", "body", "headers", "status"), [
    (f"{WEBHOOK}?tenant=demo", BODY, {}, 422),                                          # no signature
    (f"{WEBHOOK}?tenant=demo", b'{"id":"\xff\xfe"}', {"Stripe-Signature": SIGNATURE}, 400),  # not UTF-8
    (WEBHOOK, BODY, {"Stripe-Signature": SIGNATURE}, 404),              # several tenants served: name one
    (f"{WEBHOOK}?tenant=nobody", BODY, {"Stripe-Signature": SIGNATURE}, 404),            # not served here
    ("/api/v1/payments/webhooks/paypal?tenant=demo", BODY, {"Stripe-Signature": SIGNATURE}, 422),
    (f"{WEBHOOK}?tenant=demo", b"{" + b" " * fr.MAX_WEBHOOK_PAYLOAD + b"}", {"Stripe-Signature": SIGNATURE}, 413),
])
def test_bad_webhooks_get_a_problem_and_reach_no_service(client: TestClient, bus: FakeBus, url: str, body: bytes,
                                                         headers: dict[str, str], status: int) -> None:
    r = client.post(url, content=body, headers=headers)
    assert r.status_code == status and r.headers["content-type"] == "application/problem+json", r.text
    assert bus.calls == []


def test_a_refused_webhook_passes_the_services_problem_through(client: TestClient, bus: FakeBus) -> None:
    bus.reply = Reply.failure(Problem(type=problem_type("bad-webhook"), title="Webhook refused", status=400,
                                      detail="signature: timestamp outside the tolerance zone"))
    r = client.post(f"{WEBHOOK}?tenant=demo", content=BODY, headers={"Stripe-Signature": SIGNATURE})
    assert r.status_code == 400 and r.json()["type"] == problem_type("bad-webhook")


def test_a_single_tenant_gateway_needs_no_tenant_parameter(issuer: DevIssuer, bus: FakeBus) -> None:
    with _client(issuer, bus, ["demo"]) as c:
        assert c.post(WEBHOOK, content=BODY, headers={"Stripe-Signature": SIGNATURE}).status_code == 200
    assert bus.calls[0]["principal"].tenant == "demo"


def test_webhooks_have_their_own_rate_limit(issuer: DevIssuer, bus: FakeBus) -> None:
    with _client(issuer, bus, ["demo"], webhook_rate_limit_per_minute=4, rate_limit_per_minute=600) as c:
        statuses = [c.post(WEBHOOK, content=BODY, headers={"Stripe-Signature": SIGNATURE}).status_code
                    for _ in range(3)]
        assert statuses[0] == 200 and statuses[-1] == 429
        bus.reply = Reply(ok=True, result={"items": []})
        assert c.get("/api/v1/payments", headers=auth(issuer)).status_code == 200  # the API's bucket is apart


def test_staff_routes_refuse_alumni_and_me_payments_is_your_own(client: TestClient, issuer: DevIssuer,
                                                                bus: FakeBus) -> None:
    alumnus = auth(issuer, "alumnus", member_id="m1")
    manual = {"purpose": "dues", "reference_id": "ms1", "member_id": "m1", "plan_id": "standard",
              "amount_minor": 4000, "currency": "EUR", "method": "cheque", "reference": "CHQ 1",
              "received_on": "2026-11-20"}
    assert client.post("/api/v1/payments/manual", json=manual, headers=alumnus).status_code == 403
    assert client.post("/api/v1/payments/p1/refund", json={"amount_minor": 1, "reason": "x"},
                       headers=alumnus).status_code == 403
    assert client.get("/api/v1/payments?member_id=m2", headers=alumnus).status_code == 403
    assert bus.calls == []
    bus.reply = Reply(ok=True, result={"items": [], "next_cursor": None})
    assert client.get("/api/v1/me/payments", headers=alumnus).status_code == 200
    assert bus.calls[-1]["payload"] == fr.ListPayments(member_id="m1")
    bus.reply = Reply(ok=True, result={
        "payment_id": "p1", "purpose": "dues", "reference_id": "ms1", "member_id": "m1", "plan_id": "standard",
        "amount_minor": 4000, "refunded_minor": 100, "currency": "EUR", "method": "card", "provider": "local",
        "status": "partially_refunded", "at": "2026-11-20T12:00:00Z"})
    r = client.post("/api/v1/payments/p1/refund", json={"amount_minor": 100, "reason": "double"},
                    headers={**auth(issuer), "Idempotency-Key": "r-1"})
    assert r.status_code == 200 and bus.calls[-1]["payload"] == fr.RefundPayment(payment_id="p1", amount_minor=100,
                                                                                  reason="double")


def test_alumni_pay_dues_only_through_their_membership(client: TestClient, issuer: DevIssuer, bus: FakeBus) -> None:
    """An alumnus naming any membership and any amount on the raw checkout route would pay for
    nothing (found trying the demo): dues checkouts are opened by `POST /me/membership`, which
    asks for what is due; staff may still open one for a member."""
    dues = {"purpose": "dues", "reference_id": "ms-of-someone-else", "plan_id": "standard", "amount_minor": 100,
            "currency": "EUR", "description": "Cotisation"}
    r = client.post("/api/v1/payments/checkouts", json=dues, headers=auth(issuer, "alumnus", member_id="m1"))
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("dues-through-membership") and bus.calls == []
    bus.reply = Reply(ok=True, result={"checkout_id": "c1", "provider": "local", "url": "http://127.0.0.1:8030/c/c1",
                                       "expires_at": "2026-11-20T13:00:00Z"})
    staff = client.post("/api/v1/payments/checkouts", json={**dues, "member_id": "m2"}, headers=auth(issuer))
    assert staff.status_code == 201 and bus.calls[-1]["subject"] == "cmd.fundraising.create_checkout"
