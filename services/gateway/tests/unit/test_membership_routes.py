"""Gateway membership routes: joining calls members then fundraising; problems pass through."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from alumni_contracts.rpc import Principal, Problem, Reply, problem_type
from gateway_service.adapters.auth import DevIssuer

from .test_api import auth, bus, client, issuer  # noqa: F401 — the fixtures

MEMBERSHIP = {"membership_id": "ms1", "member_id": "m1", "plan_id": "p1", "plan_name": "Standard",
              "plan_kind": "annual", "plan_revision": 1, "status": "pending_payment", "status_reason": "joined",
              "paid_instalments": 0, "instalments": 1, "legal_entity": "", "periods": [], "payments": [],
              "transitions": []}
DUE = {"amount_minor": 6000, "currency": "EUR", "instalment": None, "instalments": None,
       "requested_at": "2026-03-01T10:00:00Z"}
CHECKOUT = {"checkout_id": "c1", "provider": "local", "url": "http://localhost/pay/c1",
            "expires_at": "2026-03-01T11:00:00Z"}


class ScriptedBus:
    def __init__(self, replies: dict[str, Reply]) -> None:
        self.replies = replies
        self.calls: list[tuple[str, dict[str, Any], str | None]] = []

    async def request(self, subject: str, payload: BaseModel, principal: Principal, correlation_id: str,
                      idempotency_key: str | None = None) -> Reply:
        self.calls.append((subject, payload.model_dump(mode="json"), idempotency_key))
        return self.replies[subject]


def test_join_then_checkout(client: TestClient, issuer: DevIssuer, bus: Any) -> None:  # noqa: F811
    scripted = ScriptedBus({
        "cmd.members.join_membership": Reply(ok=True, result={"membership": MEMBERSHIP, "due": DUE}),
        "cmd.fundraising.create_checkout": Reply(ok=True, result=CHECKOUT)})
    bus.request = scripted.request
    r = client.post("/api/v1/me/membership", json={"plan_id": "p1"},
                    headers={**auth(issuer, "alumnus", member_id="m1"), "Idempotency-Key": "j-1"})
    assert r.status_code == 201, r.text
    assert r.json()["checkout"]["url"] == "http://localhost/pay/c1" and r.json()["due"]["amount_minor"] == 6000
    (s1, join, k1), (s2, checkout, k2) = scripted.calls
    assert s1 == "cmd.members.join_membership" and join == {"plan_id": "p1", "member_id": None} and k1 == "j-1"
    assert s2 == "cmd.fundraising.create_checkout" and k2 == "j-1"
    assert checkout["purpose"] == "dues" and checkout["reference_id"] == "ms1" and checkout["amount_minor"] == 6000
    assert checkout["plan_id"] == "p1" and checkout["member_id"] == "m1"


def test_free_year_needs_no_checkout_and_ineligible_is_422(client: TestClient, issuer: DevIssuer,  # noqa: F811
                                                           bus: Any) -> None:  # noqa: F811
    scripted = ScriptedBus({"cmd.members.join_membership": Reply(ok=True, result={
        "membership": {**MEMBERSHIP, "status": "active"}, "due": None})})
    bus.request = scripted.request
    r = client.post("/api/v1/me/membership", json={"plan_id": "p1"}, headers=auth(issuer, "alumnus", member_id="m1"))
    assert r.status_code == 201 and r.json()["checkout"] is None and len(scripted.calls) == 1

    scripted.replies["cmd.members.join_membership"] = Reply(ok=False, problem=Problem(
        type=problem_type("membership-plan-not-eligible"), title="Not eligible for this membership plan", status=422,
        detail="young-graduate: the plan is for members within 3 years of graduation"))
    r = client.post("/api/v1/me/membership", json={"plan_id": "p1"}, headers=auth(issuer, "alumnus", member_id="m1"))
    assert r.status_code == 422 and "young-graduate" in r.json()["detail"]
    assert r.headers["content-type"].startswith("application/problem+json")
    assert len(scripted.calls) == 2, "no checkout for a refused join"


def test_staff_only_and_bad_bodies(client: TestClient, issuer: DevIssuer, bus: Any) -> None:  # noqa: F811
    r = client.post("/api/v1/members/m2/membership", json={"plan_id": "p1"}, headers=auth(issuer, "alumnus"))
    assert r.status_code == 403 and bus.calls == []
    r = client.post("/api/v1/me/membership", json={"plan_id": "p1", "status": "active"},
                    headers=auth(issuer, "alumnus", member_id="m1"))
    assert r.status_code == 422 and bus.calls == [], "mass assignment is refused"
    r = client.post("/api/v1/membership-plans", json={"name": "X", "kind": "annual", "price_minor": -1},
                    headers=auth(issuer))
    assert r.status_code == 422 and bus.calls == []


@pytest.mark.parametrize("currency", ["XYZ", "JPY", "XOF", "TND"])
def test_a_plan_in_a_currency_not_shown_in_cents_is_refused(
        client: TestClient, issuer: DevIssuer, bus: Any, currency: str) -> None:  # noqa: F811
    """Prices are minor units shown and charged as cents: an unknown code, or a zero- or
    three-decimal currency (shown a hundred times off), is a 422 naming the field."""
    plan = {"name": "Promo 2012 — Couple", "kind": "annual", "price_minor": 9000, "currency": currency}
    for r in (client.post("/api/v1/membership-plans", json=plan, headers=auth(issuer)),
              client.put("/api/v1/membership-plans/p1", json=plan, headers=auth(issuer))):
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
        assert r.json()["errors"][0]["loc"] == ["body", "currency"] and currency in r.json()["detail"]
    assert bus.calls == []


PLAN = {"plan_id": "p1", "revision": 1, "retired": False, "name": "Promo 2012 — Couple", "description": "",
        "kind": "annual", "price_minor": 9000, "currency": "EUR", "period_months": 12, "instalments": 1,
        "instalment_interval_months": 12, "grace_days": 45, "legal_entity": "Association des diplômés",
        "tax_deductible_minor": 6000, "max_years_since_graduation": 20, "free_first_year_within_years": None}


def test_editing_a_plan_keeps_the_terms_the_body_leaves_out(
        client: TestClient, issuer: DevIssuer, bus: Any) -> None:  # noqa: F811
    scripted = ScriptedBus({"qry.members.get_membership_plan": Reply(ok=True, result=PLAN),
                            "cmd.members.update_membership_plan": Reply(ok=True, result={**PLAN, "revision": 2})})
    bus.request = scripted.request
    r = client.put("/api/v1/membership-plans/p1", json={"name": "Promo 2012 — Duo", "kind": "annual",
                                                         "price_minor": 9500}, headers=auth(issuer))
    assert r.status_code == 200, r.text
    (s1, _, _), (s2, update, _) = scripted.calls
    assert (s1, s2) == ("qry.members.get_membership_plan", "cmd.members.update_membership_plan")
    assert (update["name"], update["price_minor"]) == ("Promo 2012 — Duo", 9500)
    assert (update["legal_entity"], update["tax_deductible_minor"], update["grace_days"],
            update["max_years_since_graduation"], update["description"]) == ("Association des diplômés", 6000, 45,
                                                                           20, None)
    # Every term sent: nothing to look up, exactly what was sent.
    scripted.calls.clear()
    full = {k: v for k, v in PLAN.items() if k not in ("plan_id", "revision", "retired")}
    r = client.put("/api/v1/membership-plans/p1", json={**full, "description": None, "tax_deductible_minor": 0},
                   headers=auth(issuer))
    assert r.status_code == 200 and [c[0] for c in scripted.calls] == ["cmd.members.update_membership_plan"]
    assert scripted.calls[0][1]["tax_deductible_minor"] == 0


def test_a_kept_term_that_no_longer_fits_is_a_422(client: TestClient, issuer: DevIssuer, bus: Any) -> None:  # noqa: F811
    scripted = ScriptedBus({"qry.members.get_membership_plan": Reply(ok=True, result=PLAN)})
    bus.request = scripted.request
    r = client.put("/api/v1/membership-plans/p1", json={"name": "Promo 2012", "kind": "annual", "price_minor": 5000},
                   headers=auth(issuer))  # below the kept tax-deductible share (60.00)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
    assert "tax-deductible share cannot exceed the price" in r.text
    assert [c[0] for c in scripted.calls] == ["qry.members.get_membership_plan"]
