"""The directory end to end: opt in, choose visibility, search — as alumni and as the office."""

from __future__ import annotations

import json

import httpx
import pytest

from alumni_local.runner import Platform

pytestmark = pytest.mark.e2e


def headers(platform: Platform, roles: str, member_id: str | None = None) -> dict[str, str]:
    token = platform.issue_token(roles, subject=f"sub-{member_id}", member_id=member_id)
    return {"Authorization": f"Bearer {token}"}


async def test_directory_shows_each_viewer_only_what_members_chose(platform: Platform) -> None:
    assert platform.nats_url is not None
    nc = await platform.connect_nats()
    consents = await nc.subscribe("evt.demo.members.member_consent_changed.v1")
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=10) as http:
        manager = headers(platform, "manager")
        ids = {}
        for first, last in (("Éloïse", "Vasquez-Dir"), ("Eloi", "Verdier-Dir"), ("Elodie", "Unlisted-Dir")):
            r = await http.post("/api/v1/members", headers=manager, json={
                "first_name": first, "last_name": last, "email": f"{last.lower()}@example.org",
                "cohort": {"program": "Executive MBA", "graduation_year": 2021}})
            assert r.status_code == 201, r.text
            ids[last] = r.json()["member_id"]

        shy = headers(platform, "alumnus", ids["Vasquez-Dir"])
        open_ = headers(platform, "alumnus", ids["Verdier-Dir"])
        for who in (shy, open_):
            r = await http.put("/api/v1/me/consents/directory", headers=who,
                               json={"granted": True, "text_version": "annuaire-2026", "language": "fr"})
            assert r.status_code == 200 and r.json()["current"][0]["granted"] is True
        me = (await http.get("/api/v1/me", headers=open_)).json()
        r = await http.patch("/api/v1/me", headers=open_, json={
            "version": me["version"], "phone": "+33 6 00 00 00 01", "city": "Bordeaux", "country": "FR",
            "career": [{"employer": "Dassault", "job_title": "Engineer"}],
            "visibility": {"email": "alumni", "phone": "alumni", "career": "alumni", "location": "alumni"}})
        assert r.status_code == 200, r.text
        me = (await http.get("/api/v1/me", headers=shy)).json()
        r = await http.patch("/api/v1/me", headers=shy, json={
            "version": me["version"], "phone": "+33 6 00 00 00 02", "city": "Bordeaux",
            "career": [{"employer": "Dassault", "job_title": "Director"}],
            "visibility": {"email": "hidden", "phone": "managers", "career": "managers", "location": "hidden"}})
        assert r.status_code == 200, r.text

        viewer = headers(platform, "alumnus", ids["Unlisted-Dir"])
        page = (await http.get("/api/v1/directory", params={"q": "elo", "year": 2021}, headers=viewer)).json()
        entries = {e["last_name"]: e for e in page["items"]}
        assert set(entries) == {"Vasquez-Dir", "Verdier-Dir"}, "the member who did not opt in is not listed"
        assert {"email", "phone", "city", "career"} <= set(entries["Verdier-Dir"])
        assert not {"email", "phone", "city", "country", "career"} & set(entries["Vasquez-Dir"]), \
            "hidden and managers-only sections are absent, not null"
        by_employer = (await http.get("/api/v1/directory", params={"employer": "dass"}, headers=viewer)).json()
        assert [e["last_name"] for e in by_employer["items"]] == ["Verdier-Dir"], "no filter on a hidden career"

        office = (await http.get("/api/v1/directory", params={"q": "elo", "year": 2021}, headers=manager)).json()
        office_entries = {e["last_name"]: e for e in office["items"]}
        assert "Unlisted-Dir" in office_entries and office_entries["Vasquez-Dir"]["phone"] == "+33 6 00 00 00 02"

        bad = await http.get("/api/v1/directory", params={"year": 2021, "year_from": 2020}, headers=viewer)
        assert bad.status_code == 422
        bad = await http.get("/api/v1/directory", params={"cursor": "%%%"}, headers=viewer)
        assert bad.status_code == 422
    event = json.loads((await consents.next_msg(timeout=10)).data)
    assert event["type"] == "org.alumni.members.member_consent_changed.v1" and event["data"]["purpose"] == "directory"
    assert "actor" not in event["data"], "staff identities stay in the ledger"
    await nc.drain()
