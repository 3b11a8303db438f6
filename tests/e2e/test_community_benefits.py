"""End to end: a members-only benefit reveals its code only to a dues-paying member — the
membership becomes active in members (manual payment → `dues_paid` → `membership_activated`),
community's projection hears it, the code is revealed and counted once; a member without dues
gets 403 and never sees the code."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from alumni_local.runner import Platform

from .test_platform import wait_until

pytestmark = pytest.mark.e2e


def test_members_only_benefit(platform: Platform) -> None:
    gw = platform.gateway_url
    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    r = httpx.post(f"{gw}/api/v1/benefits", headers={**staff, "Idempotency-Key": "e2e-benefit"}, timeout=30, json={
        "title": "-30 % cours de langues", "partner": "École de langues", "members_only": True, "code": "COTISANT30",
        "conditions": "Sur présentation du code."})
    assert r.status_code == 201, r.text
    benefit_id = r.json()["benefit_id"]
    assert httpx.post(f"{gw}/api/v1/benefits", headers=staff, json={"title": "x", "partner": "y", "code": ""}
                      ).status_code == 422

    def register(name: str) -> str:
        r = httpx.post(f"{gw}/api/v1/members", headers=staff, timeout=30, json={
            "first_name": name, "last_name": "Avantage", "email": f"{name.lower()}.benefit@example.org",
            "cohort": {"program": "Grande École", "graduation_year": 2015}})
        assert r.status_code == 201, r.text
        return str(r.json()["member_id"])

    payer, other = register("Paula"), register("Olivier")
    plan = httpx.post(f"{gw}/api/v1/membership-plans", headers={**staff, "Idempotency-Key": "e2e-benefit-plan"},
                      json={"name": "Standard avantages", "kind": "annual", "price_minor": 5000, "currency": "EUR"}
                      ).json()["plan_id"]
    joined = httpx.post(f"{gw}/api/v1/members/{payer}/membership", json={"plan_id": plan}, headers=staff,
                        timeout=30).json()
    r = httpx.post(f"{gw}/api/v1/payments/manual", headers=staff, timeout=30, json={
        "purpose": "dues", "reference_id": joined["membership"]["membership_id"], "member_id": payer, "plan_id": plan,
        "amount_minor": 5000, "currency": "EUR", "method": "cheque", "reference": "CHQ-BENEFIT",
        "received_on": date.today().isoformat()})
    assert r.status_code == 201, r.text

    def alum(member_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {platform.issue_token('alumnus', member_id=member_id)}"}

    listed = httpx.get(f"{gw}/api/v1/benefits", headers=alum(other)).json()["items"]
    mine = next(b for b in listed if b["benefit_id"] == benefit_id)
    assert not mine["eligible"] and mine["code"] is None and mine["redemptions"] is None
    r = httpx.post(f"{gw}/api/v1/benefits/{benefit_id}/redeem", headers=alum(other))
    assert r.status_code == 403 and "COTISANT30" not in r.text

    def redeemed() -> bool:  # once community heard `membership_activated`
        return httpx.post(f"{gw}/api/v1/benefits/{benefit_id}/redeem", headers=alum(payer), timeout=30
                          ).status_code == 200

    wait_until(redeemed, 60, "the dues-paying member to redeem the benefit")
    again = httpx.post(f"{gw}/api/v1/benefits/{benefit_id}/redeem", headers=alum(payer)).json()
    assert again["code"] == "COTISANT30"
    counted = next(b for b in httpx.get(f"{gw}/api/v1/benefits", headers=staff).json()["items"]
                   if b["benefit_id"] == benefit_id)
    assert counted["redemptions"] == 1, "counted once per member"
