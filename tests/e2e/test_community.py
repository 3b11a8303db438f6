"""End to end: mutual aid across members, community and the gateway — members' events feed
community's projection; a new graduate asks for help moving into finance, is routed to two
helpers with capacity, one accepts (contacts revealed), the outcome is reported; problems for
bad input, duplicates (Idempotency-Key), strangers and the other tenant."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform

from .test_platform import wait_until

pytestmark = pytest.mark.e2e


def register(gw: str, staff: dict[str, str], name: str, year: int) -> str:
    body = {"first_name": name, "last_name": "Entraide", "email": f"{name.lower()}.aid@example.org", "locale": "fr",
            "cohort": {"program": "MSc Finance", "graduation_year": year}}
    r = httpx.post(f"{gw}/api/v1/members", json=body, headers=staff, timeout=30)
    assert r.status_code == 201, r.text
    return str(r.json()["member_id"])


def test_help_request_routed_accepted_and_reported(platform: Platform) -> None:
    gw = platform.gateway_url
    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    grad = register(gw, staff, "Nina", 2025)
    helpers = [register(gw, staff, n, 2008) for n in ("Hugo", "Ines", "Jean")]

    def who(member_id: str, tenant: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {platform.issue_token('alumnus', tenant=tenant, member_id=member_id)}"}

    def opted_in(member_id: str, sector: str) -> bool:  # once members' event reached community
        r = httpx.put(f"{gw}/api/v1/me/helper-profile", headers=who(member_id), timeout=30,
                      json={"topics": ["career_change"], "monthly_capacity": 3, "sector": sector})
        return r.status_code == 200

    for member_id, sector in zip(helpers, ("finance", "finance", "retail"), strict=True):
        wait_until(lambda m=member_id, s=sector: opted_in(m, s), 60, "a helper's profile")
    r = httpx.put(f"{gw}/api/v1/me/helper-profile", headers=who(helpers[0]), json={"topics": [], "monthly_capacity": 0})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")

    ask = {"topic": "career_change", "summary": "Je veux passer en finance de marché.",
           "target": {"sector": "finance"}}
    created: dict[str, Any] = {}

    def asked() -> bool:
        r = httpx.post(f"{gw}/api/v1/help-requests", json=ask, timeout=30,
                       headers={**who(grad), "Idempotency-Key": "e2e-help-1"})
        if r.status_code == 201:
            created.update(r.json())
        return r.status_code == 201

    wait_until(asked, 60, "the graduate's request")
    again = httpx.post(f"{gw}/api/v1/help-requests", json=ask, headers={**who(grad), "Idempotency-Key": "e2e-help-1"},
                       timeout=30)
    assert again.status_code == 201 and again.json()["request_id"] == created["request_id"], "same key, same request"
    request_id = created["request_id"]
    assert created["status"] == "offered" and created["contact"] is None
    offered = sorted(o["helper_id"] for o in created["offers"])
    assert offered == sorted(helpers[:2]), "the two finance helpers with room"

    outsider = helpers[2]
    assert httpx.get(f"{gw}/api/v1/help-requests/{request_id}", headers=who(outsider)).status_code == 404
    assert httpx.get(f"{gw}/api/v1/help-requests/{request_id}", headers=who(grad, "other")).status_code in (401, 403,
                                                                                                             404)
    r = httpx.post(f"{gw}/api/v1/help-requests", json={**ask, "topic": "astrology"}, headers=who(grad))
    assert r.status_code == 422

    r = httpx.post(f"{gw}/api/v1/help-requests/{request_id}/answer", json={"accept": True}, headers=who(offered[0]))
    assert r.status_code == 200, r.text
    assert r.json()["contact"]["email"] == "nina.aid@example.org"
    r = httpx.post(f"{gw}/api/v1/help-requests/{request_id}/answer", json={"accept": True}, headers=who(offered[1]))
    assert r.status_code == 409, "already accepted by the other helper"
    mine = httpx.get(f"{gw}/api/v1/help-requests/{request_id}", headers=who(grad)).json()
    assert mine["status"] == "accepted" and mine["contact"]["member_id"] == offered[0]

    r = httpx.post(f"{gw}/api/v1/help-requests/{request_id}/outcome", json={"outcome": "helped"},
                   headers=who(offered[0]))
    assert r.status_code in (403, 404), "only the requester reports"
    r = httpx.post(f"{gw}/api/v1/help-requests/{request_id}/outcome", json={"outcome": "helped"}, headers=who(grad))
    assert r.status_code == 200 and r.json()["status"] == "outcome_reported"

    figures = httpx.get(f"{gw}/api/v1/help-requests/figures", headers=staff).json()
    assert figures["min_group_size"] == 5
    assert all(row["requests"] is None for row in figures["by_cohort"] if row["suppressed"])
    assert httpx.get(f"{gw}/api/v1/help-requests/figures", headers=who(grad)).status_code == 403
    listed = httpx.get(f"{gw}/api/v1/help-requests", params={"scope": "offered"}, headers=who(offered[1])).json()
    assert [i["request_id"] for i in listed["items"]] == [request_id] and listed["items"][0]["contact"] is None


def test_demo_seed_shows_the_mutual_aid_story(platform: Platform) -> None:
    import asyncio

    from alumni_local.seed_community import seed_community

    gw = platform.gateway_url
    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}

    async def run() -> list[str]:
        async with httpx.AsyncClient(base_url=gw, timeout=30, headers=staff) as client:
            return await seed_community(client, gw, lambda m: platform.issue_token("alumnus", member_id=m),
                                        platform.issue_token("partner", subject="seed-recruiter"))

    assert asyncio.run(run()) == []
    listed = httpx.get(f"{gw}/api/v1/help-requests", params={"scope": "all", "status": "outcome_reported"},
                       headers=staff).json()["items"]
    assert any(i["requester_first_name"] == "Nina" and i["outcome"] == "helped" for i in listed)
    figures = httpx.get(f"{gw}/api/v1/help-requests/figures", headers=staff).json()
    rows = {r["group"]: r for r in figures["by_cohort"]}
    assert not rows["2025"]["suppressed"] and rows["2025"]["requests"] >= 6
    assert rows["2019"]["suppressed"] and rows["2019"]["requests"] is None
    assert figures["helpers_active"] >= 5
    jobs = httpx.get(f"{gw}/api/v1/jobs", params={"q": "analyste credit"}, headers=staff).json()["items"]
    assert [j["company"] for j in jobs] == ["Banque Démo"]
    queue = httpx.get(f"{gw}/api/v1/jobs/review-queue", headers=staff).json()["items"]
    assert "Stage contrôle des risques" in [j["title"] for j in queue]
    titles = [b["title"] for b in httpx.get(f"{gw}/api/v1/benefits", headers=staff).json()["items"]]
    assert "-25 % sur la formation continue" in titles and "Café offert au campus" in titles
    assert asyncio.run(run()) == [], "a second run replays the same answers"
