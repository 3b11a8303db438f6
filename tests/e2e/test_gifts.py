"""Fundraising through the whole platform, as in `make run`: a manager launches a campaign for
the school's foundation; an alumnus gives by cheque (recorded by the office) and online through
the local provider's page; `donation_received` is published once per gift whatever is
replayed; the public page names only consenting donors; bad input gets clear problems."""

from __future__ import annotations

import asyncio
import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from alumni_local.runner import Platform

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
ENTITY = {"entity_id": "fondation-e2e", "name": "Fondation de l'École", "purpose": "Soutien aux étudiants",
          "may_issue_receipts": True, "status": "fondation reconnue d'utilité publique",
          "address": {"line1": "1 rue de l'École", "postal_code": "75005", "city": "Paris"}}


async def until_known(api: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    """The member registered a moment ago reaches fundraising's projection by an event."""
    for _ in range(60):
        r = await api.post("/api/v1/gifts", headers=headers, json=body)
        if r.status_code != 422 or "unknown-member" not in r.text:
            return r
        await asyncio.sleep(0.25)
    raise AssertionError(r.text)


async def test_campaign_manual_and_online_gifts_public_page_and_bad_input(platform: Platform) -> None:
    nc = await platform.connect_nats()
    received = await nc.subscribe("evt.demo.fundraising.donation_received.v1")
    reached = await nc.subscribe("evt.demo.fundraising.campaign_goal_reached.v1")
    manager = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as api, \
            httpx.AsyncClient(timeout=30) as web:
        r = await api.post("/api/v1/members", headers=manager, json={
            "first_name": "Donatienne", "last_name": "Généreuse", "email": "donatienne@example.org",
            "cohort": {"program": "MSc Finance", "graduation_year": 2012}})
        assert r.status_code == 201, r.text
        member_id = r.json()["member_id"]

        r = await api.post("/api/v1/campaigns", headers={**manager, "Idempotency-Key": "e2e-campaign"}, json={
            "name_fr": "Bourses 2026", "name_en": "Scholarships 2026", "goal_minor": 10_000, "currency": "EUR",
            "legal_entity": ENTITY, "funds": [{"fund_id": "bourses", "name_fr": "Bourses", "name_en": "Scholarships"}],
            "giving_day": True})
        assert r.status_code == 201, r.text
        campaign = r.json()
        cid = campaign["campaign_id"]
        assert r.headers["Location"] == f"/api/v1/campaigns/{cid}"

        gift = {"campaign_id": cid, "member_id": member_id, "amount_minor": 6000, "currency": "EUR",
                "method": "cheque", "reference": "CHQ 42", "received_on": campaign["starts_at"][:10],
                "fund_id": "bourses", "name_publicly": True,
                "donor": {"address": {"line1": "2 rue Neuve", "postal_code": "69001", "city": "Lyon"}}}
        r = await until_known(api, {**manager, "Idempotency-Key": "e2e-cheque"}, gift)
        assert r.status_code == 201, r.text
        again = await api.post("/api/v1/gifts", headers={**manager, "Idempotency-Key": "e2e-cheque"}, json=gift)
        assert again.json()["gift_id"] == r.json()["gift_id"], "a retried request is the same gift"

        event = json.loads((await received.next_msg(timeout=30)).data)
        schema = json.loads((REPO / "contracts/schemas/fundraising/donation_received.v1.json").read_text())
        jsonschema.validate(event, schema, format_checker=jsonschema.FormatChecker())
        data = event["data"]
        assert (data["method"], data["reference"], data["donor"]["last_name"], data["legal_entity"]["entity_id"],
                data["donor"]["address"]["city"]) == ("cheque", "CHQ 42", "Généreuse", "fondation-e2e", "Lyon")

        # Online, as the alumnus, through the local provider's page; its webhook replayed: one gift.
        alumnus = {"Authorization": f"Bearer {platform.issue_token('alumnus', subject='don', member_id=member_id)}"}
        r = await api.post("/api/v1/gifts/checkout", headers=alumnus, json={
            "campaign_id": cid, "amount_minor": 5000, "currency": "EUR", "anonymous": True})
        assert r.status_code == 201, r.text
        checkout = r.json()
        page = await web.get(checkout["url"])
        action = re.search(r'action="([^"]+)"', page.text)
        assert page.status_code == 200 and action is not None
        form = {unescape(k): unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)}
        done = await web.post(f"{platform.checkout_url}{unescape(action.group(1))}", data={**form, "outcome": "pay"})
        assert done.status_code == 200, done.text
        online = json.loads((await received.next_msg(timeout=30)).data)["data"]
        assert (online["donation_id"], online["provider"], online["anonymous"]) == \
            (checkout["gift_id"], "local", True)
        replay = await web.post(f"{platform.checkout_url}{unescape(action.group(1))}",
                                data={**form, "outcome": "pay"})
        assert replay.status_code in (200, 409), replay.text
        with pytest.raises(TimeoutError):
            await received.next_msg(timeout=1)

        for _ in range(120):  # the progress projection follows the gift events
            progress = (await api.get(f"/api/v1/campaigns/{cid}", headers=manager)).json()
            if progress["gifts"] == 2:
                break
            await asyncio.sleep(0.25)
        assert (progress["raised_minor"], progress["donors"], progress["gifts"]) == (11_000, 1, 2)
        assert progress["goal_reached_at"] is not None
        goal = json.loads((await reached.next_msg(timeout=30)).data)["data"]
        assert (goal["campaign_id"], goal["goal"]["minor_units"]) == (cid, 10_000)
        rebuilt = await api.post(f"/api/v1/campaigns/{cid}/progress/rebuild", headers=manager)
        assert rebuilt.status_code == 200 and (rebuilt.json()["raised_minor"], rebuilt.json()["donors"]) == (11_000, 1)
        assert (await api.post(f"/api/v1/campaigns/{cid}/progress/rebuild", headers=alumnus)).status_code == 403
        public = await api.get(f"/api/v1/public/demo/campaigns/{cid}")
        assert public.status_code == 200 and public.json()["named_donors"] == [{"name": "Donatienne G."}]
        mine = (await api.get("/api/v1/me/donations", headers=alumnus)).json()
        assert sorted(x["amount_minor"] for x in mine["gifts"]) == [5000, 6000]
        board = (await api.get(f"/api/v1/campaigns/{cid}/leaderboard", headers=manager)).json()
        assert any(row["program"] == "MSc Finance" and row["donors"] >= 1 for row in board["by_participation"])

        # Bad input: clear problems.
        for body, status in [({**gift, "amount_minor": 0}, 422), ({**gift, "amount_minor": -5}, 422),
                             ({**gift, "currency": "XYZ"}, 422), ({**gift, "currency": "USD"}, 422),
                             ({**gift, "campaign_id": "no-such-campaign"}, 404)]:
            r = await api.post("/api/v1/gifts", headers=manager, json=body)
            assert r.status_code == status, (body, r.text)
            assert r.headers["content-type"] == "application/problem+json"
        other = {"Authorization": f"Bearer {platform.issue_token('manager', tenant='other')}"}
        assert (await api.get(f"/api/v1/campaigns/{cid}", headers=other)).status_code == 404
        assert (await api.post("/api/v1/gifts", headers=alumnus, json=gift)).status_code == 403
        r = await api.post(f"/api/v1/campaigns/{cid}/close", headers=manager)
        assert r.status_code == 200 and r.json()["status"] == "closed"
        r = await api.post("/api/v1/gifts", headers=manager, json=gift)
        assert r.status_code == 409 and r.json()["type"].endswith("campaign-not-open"), r.text
    await nc.close()


async def test_the_demo_seed_gives_manually_online_monthly_by_pledge_and_as_a_company(platform: Platform) -> None:
    from alumni_local.seed_gifts import seed_gifts

    manager = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30, headers=manager) as api:
        demo = await seed_gifts(api)
        assert demo.problems == [] and demo.campaign_id is not None
        again = await seed_gifts(api)  # a second `make run` adds nothing
        assert again.problems == [] and again.campaign_id == demo.campaign_id
        cid = demo.campaign_id
        for _ in range(120):  # the online gift arrives by the provider's webhook
            gifts = (await api.get(f"/api/v1/gifts?campaign_id={cid}")).json()["items"]
            if sum(g["provider"] == "local" for g in gifts) == 2:
                break
            await asyncio.sleep(0.25)
        assert sorted((g["method"], g["amount_minor"]) for g in gifts) == [
            ("card", 2500), ("card", 7500), ("cheque", 10000), ("cheque", 15000), ("sepa_debit", 2000),
            ("transfer", 4000), ("transfer", 15000)]
        assert any(g["company"] and g["matches_gift_id"] for g in gifts)
        recurring = (await api.get("/api/v1/recurring-gifts")).json()["items"]
        assert sorted((r["status"], r["collection"]) for r in recurring if r["campaign_id"] == cid) == [
            ("active", "manual"), ("active", "scheduled"), ("failed", "manual")]
        [pledge] = (await api.get(f"/api/v1/pledges?member_id={demo.members['david']}")).json()["items"]
        assert (pledge["paid_minor"], pledge["status"]) == (10000, "open")
        public = (await api.get(f"/api/v1/public/demo/campaigns/{cid}")).json()
        names = [d["name"] for d in public["named_donors"]]
        assert "Adèle D." in names and "Donatrice Conseil SAS" in names and not any("Mécène" in n for n in names)
