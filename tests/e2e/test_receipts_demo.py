"""End to end: the tax-receipt part of `make run`'s demo (`alumni_local.seed_receipts`) — the
legal entities, two donors' receipts with their addresses, one voided and reissued under the
next number. Seeding twice changes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform
from alumni_local.seed import DEMO_PLANS
from alumni_local.seed_receipts import ReceiptsDemo, seed_legal_entities, seed_receipts

pytestmark = pytest.mark.e2e


async def _seed(platform: Platform) -> tuple[list[str], ReceiptsDemo]:
    token = platform.issue_token("manager", subject="e2e-receipts-seed")
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        for key, plan in DEMO_PLANS.items():
            r = await client.post("/api/v1/membership-plans", json=plan, headers={"Idempotency-Key": key})
            assert r.status_code in (200, 201), r.text
        return await seed_legal_entities(client, DEMO_PLANS), await seed_receipts(client)


def test_the_receipts_demo(platform: Platform) -> None:
    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    problems, demo = asyncio.run(_seed(platform))
    assert problems == [] and demo.problems == []

    def receipts(key: str) -> list[dict[str, Any]]:
        r = httpx.get(f"{platform.gateway_url}/api/v1/receipts?member_id={demo.donors[key]}", headers=staff, timeout=30)
        assert r.status_code == 200, r.text
        return sorted(r.json()["items"], key=lambda x: x["number"])

    entities = httpx.get(f"{platform.gateway_url}/api/v1/legal-entities", headers=staff, timeout=30).json()["items"]
    association = next(e for e in entities if e["legal_entity_id"] == "association")
    assert sorted(association["dues_plans"].values()) == sorted(
        p["tax_deductible_minor"] for p in DEMO_PLANS.values())
    assert sorted((r["amount_minor"], r["status"]) for r in receipts("helene")) == [(5000, "issued"), (15000, "issued")]
    voided, reissued = receipts("karim")
    assert (voided["status"], reissued["status"], reissued["replaces"]) == ("voided", "issued", voided["receipt_id"])
    assert reissued["number"] > voided["number"] and reissued["legal_entity_id"] == "fondation"

    [summary] = receipts("sophie")  # her two gifts in one yearly summary, issued by the background job
    assert (summary["source"], summary["amount_minor"], summary["status"]) == ("yearly_summary", 5000, "issued")

    _, again = asyncio.run(_seed(platform))  # a second run: the same donors, nothing more
    assert again.donors == demo.donors and len(receipts("karim")) == 2 and len(receipts("helene")) == 2
    assert len(receipts("sophie")) == 1
