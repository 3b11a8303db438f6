"""End to end: dues membership across members, fundraising and the gateway — a manual payment
becomes `dues_paid`, members' rules activate the membership; members killed (SIGKILL) while
the event is in flight still ends with exactly one applied payment and one activation."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform

from .test_platform import member, wait_until

pytestmark = pytest.mark.e2e
PLAN = {"name": "Standard e2e", "kind": "annual", "price_minor": 6000, "currency": "EUR",
        "legal_entity": "Association des diplômés", "tax_deductible_minor": 4000}


def test_manual_dues_payment_with_members_killed_in_flight(platform: Platform) -> None:
    gw = platform.gateway_url
    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    r = httpx.post(f"{gw}/api/v1/membership-plans", json=PLAN, headers={**staff, "Idempotency-Key": "e2e-plan"})
    assert r.status_code == 201, r.text
    plan_id = r.json()["plan_id"]
    member_id = httpx.post(f"{gw}/api/v1/members", json=member("dues"), headers=staff).json()["member_id"]
    r = httpx.post(f"{gw}/api/v1/members/{member_id}/membership", json={"plan_id": plan_id}, headers=staff)
    assert r.status_code == 201, r.text
    joined = r.json()
    assert joined["membership"]["status"] == "pending_payment" and joined["due"]["amount_minor"] == 6000
    payment = {"purpose": "dues", "reference_id": joined["membership"]["membership_id"], "member_id": member_id,
               "plan_id": plan_id, "amount_minor": 6000, "currency": "EUR", "method": "cheque",
               "reference": "CHQ 0012345", "received_on": date.today().isoformat()}
    statuses: list[int] = []

    def paid() -> bool:
        r = httpx.post(f"{gw}/api/v1/payments/manual", json=payment, headers={**staff, "Idempotency-Key": "e2e-chq"},
                       timeout=30)
        statuses.append(r.status_code)
        return r.status_code == 201

    wait_until(paid, 30, "fundraising to record the manual payment")
    platform.kill("members")  # SIGKILL while `dues_paid` is on its way to (or inside) members
    # The same request retried: the first result, no second payment.
    again = httpx.post(f"{gw}/api/v1/payments/manual", json=payment, headers={**staff, "Idempotency-Key": "e2e-chq"},
                       timeout=30)
    assert again.status_code == 201
    platform.restart("members")

    def membership() -> dict[str, Any]:
        r = httpx.get(f"{gw}/api/v1/members/{member_id}/membership", headers=staff, timeout=30)
        return dict(r.json()) if r.status_code == 200 else {}

    # A delivery cut by the kill waits for its transaction to be reaped (~60 s) before it runs again.
    wait_until(lambda: membership().get("status") == "active", 240, "the membership to become active")
    time.sleep(2)
    final = membership()
    assert final["status"] == "active"
    assert len(final["payments"]) == 1 and final["payments"][0]["applied"] and final["payments"][0]["method"] == "cheque"
    assert len([p for p in final["periods"] if p["end"] != p["start"]]) == 1
    assert [t["to_status"] for t in final["transitions"]] == ["active"]

    # The member downloads the certificate; another alumnus cannot read this membership.
    alumnus = {"Authorization": f"Bearer {platform.issue_token('alumnus', member_id=member_id)}"}
    pdf = httpx.get(f"{gw}/api/v1/me/membership/certificate?lang=en", headers=alumnus, timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    stranger = {"Authorization": f"Bearer {platform.issue_token('alumnus', member_id='someone-else')}"}
    assert httpx.get(f"{gw}/api/v1/members/{member_id}/membership", headers=stranger).status_code in (403, 404)
