"""Demo tax receipts (*reçus fiscaux*) for `make run`.

- Two legal entities: the school's foundation (receives gifts to no campaign and to the
  `bourses` campaign; may issue receipts) and the alumni association (receives the dues of the
  demo plans, with each plan's tax-deductible share) — declared before the dues demo pays, so
  its dues payments are receipted too.
- Two donors with a receipt address: Hélène gives twice (one receipt each), Karim once; the
  receipt of Karim's gift is then voided (wrong address) and reissued under the next number.
- Sophie chose one yearly summary: her two monthly gifts are held, then the foundation's yearly
  receipts run as a background job (the console's "Issue yearly receipts" shows it done).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from alumni_local.seed_dues import SeedProblem, _call, _plan_ids

FOUNDATION = {"legal_entity_id": "fondation", "name": "Fondation de l'École",
              "address": "1 rue de l'École\n75005 Paris", "object": "Bourses d'études, recherche et campus",
              "status": "Fondation reconnue d'utilité publique", "may_issue_receipts": True,
              "signatory_name": "Claire Martin", "signatory_title": "Présidente",
              "campaign_ids": ["bourses"], "default_for_gifts": True}
ASSOCIATION = {"legal_entity_id": "association", "name": "Association des diplômés (loi 1901)",
               "address": "2 rue de l'École\n75005 Paris", "object": "Animer le réseau des diplômés et l'entraide",
               "status": "Association d'intérêt général", "may_issue_receipts": True,
               "signatory_name": "Paul Durand", "signatory_title": "Trésorier"}
DONORS = [("helene", "Hélène", "Rousseau", "12 rue des Lilas\n69003 Lyon", [15000, 5000]),
          ("karim", "Karim", "Benali", "8 quai Rive Neuve\n13001 Marseille", [30000]),  # wrong postcode
          ("sophie", "Sophie", "Garnier", "5 place Bellecour\n69002 Lyon", [2500, 2500])]
YEARLY = {"sophie"}  # one yearly summary receipt for the year's gifts
COHORT = {"program": "Grande École", "graduation_year": 2008}


@dataclass
class ReceiptsDemo:
    donors: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


async def seed_legal_entities(client: httpx.AsyncClient, plans: dict[str, dict[str, Any]]) -> list[str]:
    """Declare the demo entities; the association receives the demo plans' dues."""
    problems: list[str] = []
    try:
        plan_ids = await _plan_ids(client, plans)
        dues = {plan_ids[key]: plan["tax_deductible_minor"] for key, plan in plans.items()
                if key in plan_ids and plan.get("tax_deductible_minor")}
        for entity in (FOUNDATION, {**ASSOCIATION, "dues_plans": dues}):
            await _call(client, "PUT", f"/api/v1/legal-entities/{entity['legal_entity_id']}",
                        f"demo-seed-entity-{entity['legal_entity_id']}-{len(dues)}", entity)
    except (SeedProblem, httpx.HTTPError, KeyError, ValueError) as exc:
        problems.append(f"legal entities: {exc}")
    return problems


async def _give(client: httpx.AsyncClient, member_id: str, amount: int, key: str, timeout: float = 60) -> None:
    body = {"member_id": member_id, "amount": {"minor_units": amount, "currency": "EUR"}, "campaign_id": "bourses"}
    deadline = asyncio.get_running_loop().time() + timeout
    while True:  # 422 until fundraising has projected the new member
        r = await client.post("/api/v1/donations", json=body, headers={"Idempotency-Key": key})
        if r.status_code == 201:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise SeedProblem(f"donation {key}: {r.status_code} {r.text[:200]}")
        await asyncio.sleep(0.5)


async def _receipts(client: httpx.AsyncClient, member_id: str, count: int, timeout: float = 60) -> list[Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        items = (await _call(client, "GET", f"/api/v1/receipts?member_id={member_id}", None, None))["items"]
        if len(items) >= count or asyncio.get_running_loop().time() > deadline:
            return list(items)
        await asyncio.sleep(0.5)


async def seed_receipts(client: httpx.AsyncClient) -> ReceiptsDemo:
    """The demo donors, their gifts and receipts, one correction; never raises (see `problems`)."""
    demo = ReceiptsDemo()
    try:
        for key, first, last, address, gifts in DONORS:
            r = await client.post("/api/v1/members", json={"first_name": first, "last_name": last, "locale": "fr",
                                                           "cohort": COHORT, "email": f"{key}.receipts-demo@example.org"},
                                  headers={"Idempotency-Key": f"demo-seed-receipts-{key}"})
            if r.status_code != 201:
                raise SeedProblem(f"register {first} {last}: {r.status_code}")
            member_id = demo.donors[key] = str(r.json()["member_id"])
            await _call(client, "PUT", f"/api/v1/members/{member_id}/receipt-profile",
                        f"demo-seed-receipts-profile-{key}", {"postal_address": address, "yearly_summary": key in YEARLY})
            for n, amount in enumerate(gifts):
                await _give(client, member_id, amount, f"demo-seed-receipts-gift-{key}-{n}")
        karim = demo.donors["karim"]
        [receipt, *_] = await _receipts(client, karim, 1) or [None]
        if receipt is None:
            raise SeedProblem("Karim's receipt did not appear")
        if receipt["status"] == "issued":
            await _call(client, "POST", f"/api/v1/receipts/{receipt['receipt_id']}/void",
                        "demo-seed-receipts-void-karim",
                        {"reason": "Adresse erronée / wrong address",
                         "postal_address": "8 quai Rive Neuve\n13007 Marseille"}, ok=(200, 409))
        await _yearly_summaries(client, demo.donors["sophie"])
    except (SeedProblem, httpx.HTTPError, KeyError, ValueError) as exc:
        demo.problems.append(f"receipts demo: {exc}")
    return demo


async def _yearly_summaries(client: httpx.AsyncClient, member_id: str, timeout: float = 60) -> None:
    """The foundation's yearly receipts as a background job, until Sophie has her summary (her
    gifts are held once the receipt engine has seen them; a job started before finds nothing)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    year = datetime.now(ZoneInfo("Europe/Paris")).year
    while not [r for r in await _receipts(client, member_id, 0, 0) if r["source"] == "yearly_summary"]:
        if loop.time() > deadline:
            raise SeedProblem("Sophie's yearly summary receipt did not appear")
        r = await client.post(f"/api/v1/legal-entities/fondation/yearly-receipts?year={year}",
                              headers={"Idempotency-Key": f"demo-seed-yearly-{loop.time()}"})
        if r.status_code not in (202, 409):
            raise SeedProblem(f"yearly receipts: {r.status_code} {r.text[:200]}")
        await asyncio.sleep(1.0)
