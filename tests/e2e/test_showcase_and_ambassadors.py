"""Showcase, ambassadors and sectors end to end, through the gateway and the real services."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform

pytestmark = pytest.mark.e2e


def headers(platform: Platform, roles: str, member_id: str | None = None, tenant: str = "demo") -> dict[str, str]:
    token = platform.issue_token(roles, tenant=tenant, subject=f"sub-{member_id}", member_id=member_id)
    return {"Authorization": f"Bearer {token}"}


async def register(http: httpx.AsyncClient, platform: Platform, last: str) -> str:
    r = await http.post("/api/v1/members", headers=headers(platform, "manager"), json={
        "first_name": "Inès", "last_name": last, "email": f"{last.lower()}@example.org",
        "cohort": {"program": "Grande École", "graduation_year": 2015}})
    assert r.status_code == 201, r.text
    return str(r.json()["member_id"])


def showcase_consent(fields: list[str], channels: list[str], seconds: float) -> dict[str, Any]:
    expires = datetime.now(UTC) + timedelta(seconds=seconds)
    return {"granted": True, "text_version": "vitrine-2026", "language": "fr",
            "scope": {"fields": fields, "channels": channels, "expires_at": expires.isoformat()}}


async def test_showcase_publishes_only_consented_fields_until_withdrawal_or_expiry(platform: Platform) -> None:
    assert platform.nats_url is not None
    nc = await platform.connect_nats()
    events = await nc.subscribe("evt.demo.members.*.v1")
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=10) as http:
        ines = await register(http, platform, "Showcase-Star")
        brief = await register(http, platform, "Showcase-Brief")
        me, other = headers(platform, "alumnus", ines), headers(platform, "alumnus", brief)
        for who, quote in ((me, "L'école m'a ouvert le monde."), (other, "Merci !")):
            r = await http.put("/api/v1/me/showcase", headers=who, json={
                "quote": quote, "story": "Une histoire privée.", "employer": "Airbus",
                "job_title": "CFO"})
            assert r.status_code == 200 and r.json()["showcase_published"] is False, r.text

        public = "/api/v1/public/demo/showcase"
        assert (await http.get(public)).json() == {"items": []}, "a text without consent is not published"
        r = await http.put("/api/v1/me/consents/showcase", headers=me,
                           json=showcase_consent(["name", "quote", "employer"], ["website", "partners"], 3600))
        assert r.status_code == 200, r.text
        assert r.json()["current"][0]["scope"]["channels"] == ["partners", "website"]
        r = await http.put("/api/v1/me/consents/showcase", headers=other,
                           json=showcase_consent(["quote"], ["website"], 4))
        assert r.status_code == 200, r.text

        items = (await http.get(public)).json()["items"]
        assert len(items) == 2
        star = next(i for i in items if i.get("last_name") == "Showcase-Star")
        assert {"quote", "entry_id"} == set(next(i for i in items if i is not star)), "quote only was consented"
        assert set(star) == {"entry_id", "first_name", "last_name", "quote", "employer", "job_title"}
        assert ines not in json.dumps(star), "the public entry does not expose the member id"
        brochures = (await http.get(public, params={"channel": "brochures"})).json()
        assert brochures == {"items": []}
        assert (await http.get("/api/v1/public/other/showcase")).json() == {"items": []}, "no cross-tenant leak"
        assert (await http.get("/api/v1/public/Bad_Tenant/showcase")).status_code == 422
        assert (await http.get(public, params={"channel": "tv"})).status_code == 422

        # Expiry: hidden at once, and the sweeper tells partners.
        await asyncio.sleep(4.5)
        items = (await http.get(public)).json()["items"]
        assert [i["last_name"] for i in items] == ["Showcase-Star"]

        r = await http.put("/api/v1/me/consents/showcase", headers=me,
                           json={"granted": False, "text_version": "vitrine-2026", "language": "fr"})
        assert r.status_code == 200
        assert (await http.get(public)).json() == {"items": []}, "withdrawal unpublishes at once"

        bad = await http.put("/api/v1/me/consents/showcase", headers=me,
                             json={"granted": True, "text_version": "v", "language": "fr"})
        assert bad.status_code == 422, "granting the showcase needs a scope"
        bad = await http.put("/api/v1/me/showcase", headers=me, json={"quote": "x", "member_id": brief})
        assert bad.status_code == 422, "no mass assignment of the target"

    seen: dict[tuple[str, str], dict[str, Any]] = {}
    deadline = asyncio.get_running_loop().time() + 15
    while len(seen) < 4 and asyncio.get_running_loop().time() < deadline:
        try:
            msg = await events.next_msg(timeout=2)
        except TimeoutError:
            continue
        event = json.loads(msg.data)
        if "showcase" not in event["type"]:
            continue
        seen[(event["data"]["member_id"], event["type"].split(".")[-2])] = event["data"]
    await nc.drain()
    assert seen[(ines, "showcase_published")]["story"] is None, "never a field outside the consent"
    assert seen[(brief, "showcase_unpublished")]["reason"] == "consent-expired"
    assert seen[(ines, "showcase_unpublished")]["reason"] == "consent-withdrawn"


async def test_ambassadors_are_listed_by_the_directory_filter(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=10) as http:
        manager = headers(platform, "manager")
        amb = await register(http, platform, "Ambassador-Lyon")
        plain = await register(http, platform, "Ambassador-Not")
        for member_id in (amb, plain):
            r = await http.put(f"/api/v1/members/{member_id}/consents/directory", headers=manager,
                               json={"granted": True, "text_version": "annuaire-2026", "language": "fr"})
            assert r.status_code == 200
        viewer = headers(platform, "alumnus", plain)
        r = await http.put(f"/api/v1/members/{amb}/ambassador", headers=viewer, json={"cities": ["Lyon"]})
        assert r.status_code == 403
        r = await http.put(f"/api/v1/members/{amb}/ambassador", headers=manager, json={
            "cities": ["Lyon"], "cohorts": [{"program": "Grande École", "graduation_year": 2015}]})
        assert r.status_code == 200 and r.json()["ambassador"]["cities"] == ["Lyon"], r.text

        found = (await http.get("/api/v1/directory", params={"ambassadors": "true"}, headers=viewer)).json()["items"]
        assert [e["member_id"] for e in found] == [amb] and found[0]["ambassador"]["cities"] == ["Lyon"]
        both = (await http.get("/api/v1/directory", params={"q": "ambassador"}, headers=viewer)).json()["items"]
        assert {e["member_id"] for e in both} == {amb, plain}

        assert (await http.delete(f"/api/v1/members/{amb}/ambassador", headers=manager)).status_code == 200
        assert (await http.delete(f"/api/v1/members/{amb}/ambassador", headers=manager)).status_code == 409
        found = (await http.get("/api/v1/directory", params={"ambassadors": "true"}, headers=viewer)).json()["items"]
        assert found == []


async def test_sector_list_is_per_tenant_and_checked_on_careers(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=10) as http:
        boss = headers(platform, "manager", tenant="other")
        listing = (await http.get("/api/v1/sectors", headers=boss)).json()
        assert listing["version"] == 0 and any(s["code"] == "aerospace" for s in listing["sectors"])
        r = await http.put("/api/v1/sectors", headers=boss, json={"version": 0, "sectors": [
            {"code": "viticulture", "label_fr": "Viticulture", "label_en": "Wine making"}]})
        assert r.status_code == 200 and r.json()["version"] == 1, r.text
        stale = await http.put("/api/v1/sectors", headers=boss, json={"version": 0, "sectors": [
            {"code": "x-y", "label_fr": "X", "label_en": "X"}]})
        assert stale.status_code == 409
        demo = (await http.get("/api/v1/sectors", headers=headers(platform, "manager"))).json()
        assert demo["version"] == 0, "another tenant's list is its own"

        r = await http.post("/api/v1/members", headers=boss, json={
            "first_name": "Paul", "last_name": "Sector", "email": "paul.sector@example.org",
            "cohort": {"program": "MSc", "graduation_year": 2001}})
        member_id = r.json()["member_id"]
        current = (await http.get(f"/api/v1/members/{member_id}", headers=boss)).json()
        r = await http.patch(f"/api/v1/members/{member_id}", headers=boss, json={
            "version": current["version"], "career": [{"employer": "Airbus", "job_title": "CFO", "sector": "aerospace"}]})
        assert r.status_code == 422 and r.json()["type"].endswith("unknown-sector"), r.text
        r = await http.patch(f"/api/v1/members/{member_id}", headers=boss, json={
            "version": current["version"], "career": [{"employer": "Château X", "job_title": "CEO",
                                                       "sector": "viticulture"}]})
        assert r.status_code == 200, r.text
