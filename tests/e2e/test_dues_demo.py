"""End to end: the dues part of `make run`'s demo (`alumni_local.seed_dues`) against the whole
platform — a lifetime plan part-way through three instalments, a migrated dues history whose
backdated cheque runs the membership through grace to lapsed (each transition dated when it
was due) before a payment reactivates it, a member in grace — and a backdated manual payment's
validation (not in the future, bounded, a reason past a month). Seeding twice changes nothing."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform
from alumni_local.seed import DEMO_PLANS
from alumni_local.seed_dues import IN_GRACE, INSTALMENTS, JOINER, REACTIVATED, DuesDemo, describe_demo, seed_dues

pytestmark = pytest.mark.e2e


async def _seed(platform: Platform) -> DuesDemo:
    token = platform.issue_token("manager", subject="e2e-dues-seed")
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        for key, plan in DEMO_PLANS.items():
            r = await client.post("/api/v1/membership-plans", json=plan, headers={"Idempotency-Key": key})
            assert r.status_code in (200, 201), r.text
        return await seed_dues(client, DEMO_PLANS)


def _day(iso: str) -> date:
    return datetime.fromisoformat(iso).date()


def test_the_dues_demo_and_backdated_manual_payments(platform: Platform) -> None:
    gw = platform.gateway_url
    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    demo = asyncio.run(_seed(platform))
    assert demo.problems == []
    assert demo.statuses == {INSTALMENTS.key: "active", REACTIVATED.key: "active", IN_GRACE.key: "in_grace"}

    def membership(key: str) -> dict[str, Any]:
        r = httpx.get(f"{gw}/api/v1/members/{demo.members[key]}/membership", headers=staff, timeout=30)
        assert r.status_code == 200, r.text
        return dict(r.json())

    today = date.today()
    life = membership(INSTALMENTS.key)
    assert (life["plan_name"], life["paid_instalments"], life["instalments"]) == ("À vie en 3 fois", 2, 3)
    assert [p["amount_minor"] for p in life["payments"]] == [30000, 30000]

    back = membership(REACTIVATED.key)
    assert [t["to_status"] for t in back["transitions"]] == ["active", "in_grace", "lapsed", "pending_payment",
                                                              "active"]
    received = today - timedelta(days=425)
    activated, grace, lapsed, _, again = back["transitions"]
    assert _day(activated["at"]) == received  # each transition dated when it was due
    period_end = _day(grace["at"])
    assert period_end.replace(year=period_end.year - 1) == received
    assert _day(lapsed["at"]) == period_end + timedelta(days=30)
    assert _day(again["at"]) == today and again["reason"] == "paid"
    assert [p["method"] for p in back["payments"]] == ["cheque", "transfer"] and all(p["applied"] for p in back["payments"])

    grace_member = membership(IN_GRACE.key)
    assert grace_member["status"] == "in_grace" and _day(grace_member["grace_until"]) > today

    # The console link of the demo's joiner, and the four members described (FR/EN).
    text = describe_demo(demo, f"{gw}/console", "TOKEN")
    assert f"{gw}/console#token=TOKEN" in text and "Ma cotisation" in text and "My membership" in text
    assert JOINER.key in demo.members and "lapsed" not in demo.statuses.values()

    # Fundraising recorded why the old cheque was entered late.
    payments = httpx.get(f"{gw}/api/v1/payments", params={"member_id": demo.members[REACTIVATED.key]},
                         headers=staff, timeout=30).json()["items"]
    assert sorted(p.get("late_entry_reason") or "" for p in payments)[-1].startswith("Historique de cotisations")

    # Validation of a backdated manual payment: a reason past a month, bounded, never in the future.
    m = membership(IN_GRACE.key)
    body = {"purpose": "dues", "reference_id": m["membership_id"], "member_id": m["member_id"],
            "plan_id": m["plan_id"], "amount_minor": 6000, "currency": "EUR", "method": "cheque"}
    for received_on, reason in ((today - timedelta(days=40), None), (today - timedelta(days=1200), "old"),
                                (today + timedelta(days=1), None)):
        r = httpx.post(f"{gw}/api/v1/payments/manual", headers=staff, timeout=30,
                       json={**body, "received_on": received_on.isoformat(), "late_entry_reason": reason})
        assert r.status_code == 422, r.text
    assert membership(IN_GRACE.key)["status"] == "in_grace"

    # A second `make run`: the same members, no new payment.
    assert asyncio.run(_seed(platform)).members == demo.members
    assert len(membership(REACTIVATED.key)["payments"]) == 2
