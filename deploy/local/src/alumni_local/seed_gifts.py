"""Fundraising demo data for `make run` (issue 12's "Done when"), through the gateway like a
real client: a giving-day campaign for the school's foundation, and demo alumni who give
manually (cheque, transfer), online through the local provider's page, monthly (one charge
paid, one failed: visible and reminded; and one charged automatically — its first period paid
on the provider's page, which saved the card for the next ones), by pledge, and as a company (*mécénat*) matching an
employee's gift. Idempotency keys are fixed and the campaign is found by name: a second
`make run` adds nothing.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import unescape
from typing import Any

import httpx

from alumni_local.http_retry import describe

CAMPAIGN_NAME = "Bourses 2026 — Journée du don"
FOUNDATION = {"entity_id": "fondation-ecole", "name": "Fondation de l'École",
              "address": {"line1": "1 rue de l'École", "postal_code": "75005", "city": "Paris", "country": "FR"},
              "purpose": "Soutien à l'enseignement supérieur : bourses, bâtiments, chaires",
              "may_issue_receipts": True, "status": "fondation reconnue d'utilité publique"}
DONORS = [("ada", "Adèle", "Donatrice", "Grande École", 2012), ("bruno", "Bruno", "Mécène", "Grande École", 2012),
          ("chloe", "Chloé", "Mensuelle", "MSc Finance", 2018), ("david", "David", "Promesse", "MSc Finance", 2018)]
ADDRESS = {"line1": "12 rue des Donateurs", "postal_code": "69002", "city": "Lyon"}


@dataclass
class GiftsDemo:
    campaign_id: str | None = None
    members: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


class SeedProblem(Exception):
    pass


async def _call(client: httpx.AsyncClient, method: str, path: str, key: str | None, body: dict[str, Any] | None,
                ok: tuple[int, ...] = (200, 201), wait_member: bool = False) -> dict[str, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    for _ in range(120 if wait_member else 1):
        r = await client.request(method, path, json=body, headers=headers)
        if not (wait_member and r.status_code == 422 and "unknown-member" in r.text):
            break
        await asyncio.sleep(0.25)  # the member reaches fundraising's projection by an event
    if r.status_code not in ok:
        raise SeedProblem(f"{method} {path}: {describe(r)}")
    return dict(r.json()) if r.content else {}


async def _campaign(client: httpx.AsyncClient, today: date) -> str:
    found = await _call(client, "GET", "/api/v1/campaigns?limit=200", None, None)
    for c in found["items"]:
        if c["name_fr"] == CAMPAIGN_NAME:
            return str(c["campaign_id"])
    created = await _call(client, "POST", "/api/v1/campaigns", "demo-seed-gifts-campaign", {
        "name_fr": CAMPAIGN_NAME, "name_en": "Scholarships 2026 — Giving day", "goal_minor": 5_000_00,
        "currency": "EUR", "description_fr": "Financer des bourses pour les étudiants de l'École.",
        "description_en": "Fund scholarships for the School's students.", "legal_entity": FOUNDATION,
        "funds": [{"fund_id": "bourses", "name_fr": "Bourses", "name_en": "Scholarships"},
                  {"fund_id": "general", "name_fr": "Fonds général", "name_en": "General fund"}],
        "appeals": [{"appeal_id": "journee-du-don", "name_fr": "Journée du don", "name_en": "Giving day"}],
        "giving_day": True, "ends_at": f"{today.year + 1}-06-30T22:00:00Z"})
    return str(created["campaign_id"])


async def _pay_online(client: httpx.AsyncClient, member_id: str, campaign_id: str) -> None:
    """An online gift paid on the local provider's hosted page, as the payer's browser would."""
    checkout = await _call(client, "POST", "/api/v1/gifts/checkout", "demo-seed-gifts-online", {
        "campaign_id": campaign_id, "member_id": member_id, "amount_minor": 75_00, "currency": "EUR",
        "fund_id": "bourses", "appeal_id": "journee-du-don", "name_publicly": True,
        "donor": {"address": ADDRESS}}, wait_member=True)
    await _click(checkout["url"], "pay")


async def _monthly_online(client: httpx.AsyncClient, member_id: str, campaign_id: str) -> None:
    """A monthly gift charged automatically: the first period paid on the local page, the card saved."""
    checkout = await _call(client, "POST", "/api/v1/recurring-gifts/checkout", "demo-seed-gifts-monthly-online", {
        "campaign_id": campaign_id, "member_id": member_id, "amount_minor": 25_00, "currency": "EUR",
        "fund_id": "bourses", "frequency": "monthly", "receipt": "yearly_summary",
        "donor": {"address": ADDRESS}}, wait_member=True)
    await _click(checkout["url"], "pay")


async def _click(url: str, outcome: str) -> None:
    """Click `outcome` on the local provider's hosted page, as the payer's browser would."""
    async with httpx.AsyncClient(timeout=30) as web:
        page = await web.get(url)
        action = re.search(r'action="([^"]+)"', page.text)
        if page.status_code != 200 or action is None:
            return  # paid by an earlier run (the page of a settled checkout has no form)
        form = {unescape(k): unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)}
        base = url.split("/checkout/")[0]
        await web.post(f"{base}{unescape(action.group(1))}", data={**form, "outcome": outcome})


async def seed_gifts(client: httpx.AsyncClient, today: date | None = None) -> GiftsDemo:
    """The fundraising demo (see the module's docstring); never raises: problems are returned."""
    demo = GiftsDemo()
    today = today or date.today()
    try:
        demo.campaign_id = cid = await _campaign(client, today)
        for key, first, last, program, year in DONORS:
            r = await client.post("/api/v1/members", headers={"Idempotency-Key": f"demo-seed-gifts-{key}"}, json={
                "first_name": first, "last_name": last, "email": f"{key}.gifts-demo@example.org",
                "cohort": {"program": program, "graduation_year": year}})
            if r.status_code != 201:
                raise SeedProblem(f"register {first} {last}: {describe(r)}")
            demo.members[key] = str(r.json()["member_id"])
        m = demo.members
        gift = {"campaign_id": cid, "currency": "EUR", "received_on": today.isoformat(), "fund_id": "bourses",
                "appeal_id": "journee-du-don"}
        ada = await _call(client, "POST", "/api/v1/gifts", "demo-seed-gifts-cheque", {
            **gift, "member_id": m["ada"], "amount_minor": 150_00, "method": "cheque", "reference": "CHQ 0012345",
            "name_publicly": True, "donor": {"address": ADDRESS}}, wait_member=True)
        await _call(client, "POST", "/api/v1/gifts", "demo-seed-gifts-transfer", {
            **gift, "member_id": m["bruno"], "amount_minor": 40_00, "method": "transfer", "reference": "VIR-2026-77",
            "anonymous": True}, wait_member=True)
        await _call(client, "POST", "/api/v1/gifts", "demo-seed-gifts-company", {  # mécénat, matching Adèle's gift
            **gift, "member_id": m["ada"], "amount_minor": 150_00, "method": "transfer", "reference": "VIR-MECENAT",
            "matches_gift_id": ada["gift_id"], "name_publicly": True,
            "donor": {"kind": "company", "company_name": "Donatrice Conseil SAS", "company_id": "552100554",
                      "address": {"line1": "8 place de la Bourse", "postal_code": "75002", "city": "Paris"}}})
        monthly = await _call(client, "POST", "/api/v1/recurring-gifts", "demo-seed-gifts-monthly", {
            "campaign_id": cid, "member_id": m["chloe"], "amount_minor": 20_00, "currency": "EUR",
            "frequency": "monthly", "donor": {"address": ADDRESS}}, wait_member=True)
        rid = monthly["recurring_gift_id"]
        await _call(client, "POST", f"/api/v1/recurring-gifts/{rid}/charges", "demo-seed-gifts-monthly-1",
                    {"outcome": "succeeded", "charged_on": today.isoformat(), "method": "sepa_debit"})
        pledge = await _call(client, "POST", "/api/v1/pledges", "demo-seed-gifts-pledge", {
            "campaign_id": cid, "member_id": m["david"], "total_minor": 300_00, "currency": "EUR",
            "due_dates": [today.isoformat(), (today + timedelta(days=91)).isoformat(),
                          (today + timedelta(days=182)).isoformat()]}, wait_member=True)
        await _call(client, "POST", "/api/v1/gifts", "demo-seed-gifts-pledge-1", {
            **gift, "member_id": m["david"], "amount_minor": 100_00, "method": "cheque", "reference": "CHQ-PROMESSE-1",
            "pledge_id": pledge["pledge_id"]})
        await _pay_online(client, m["chloe"], cid)
        await _monthly_online(client, m["chloe"], cid)
        # A second monthly donor whose charge failed: the console lists them as `failed` (reminded).
        failing = await _call(client, "POST", "/api/v1/recurring-gifts", "demo-seed-gifts-monthly-failing", {
            "campaign_id": cid, "member_id": m["david"], "amount_minor": 10_00, "currency": "EUR",
            "frequency": "monthly"})
        if failing["status"] == "active" and failing["failures"] == 0:
            await _call(client, "POST", f"/api/v1/recurring-gifts/{failing['recurring_gift_id']}/charges",
                        "demo-seed-gifts-monthly-failed", {"outcome": "failed", "charged_on": today.isoformat(),
                                                           "reason": "Provision insuffisante / insufficient funds"})
    except (SeedProblem, httpx.HTTPError, KeyError) as exc:
        demo.problems.append(f"fundraising demo: {exc}")
    return demo
