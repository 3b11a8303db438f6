"""Groups and chapters through the gateway: automatic cohort groups, a chapter, invitations."""

from __future__ import annotations

import time

import httpx
import pytest

from alumni_local.runner import Platform

pytestmark = pytest.mark.e2e


def headers(platform: Platform, roles: str, member_id: str | None = None, tenant: str = "demo") -> dict[str, str]:
    token = platform.issue_token(roles, tenant=tenant, subject=f"g-{member_id}", member_id=member_id)
    return {"Authorization": f"Bearer {token}"}


def test_cohort_groups_chapters_invitations_and_roles(platform: Platform) -> None:
    manager = headers(platform, "manager")
    with httpx.Client(base_url=platform.gateway_url, timeout=10) as http:
        ids = []
        for first in ("Gaëlle", "Hugo"):
            r = http.post("/api/v1/members", headers=manager, json={
                "first_name": first, "last_name": "Groupe-Test", "email": f"{first.lower()}.groupe@example.org",
                "cohort": {"program": "Bachelor BBA", "graduation_year": 1999}})
            assert r.status_code == 201, r.text
            ids.append(r.json()["member_id"])
        gaelle, hugo = (headers(platform, "alumnus", i) for i in ids)
        mine = http.get("/api/v1/me/groups", headers=gaelle).json()["items"]
        [cohort] = [g for g in mine if g["group"]["kind"] == "cohort"]
        assert cohort["group"]["name"] == "Bachelor BBA 1999" and cohort["membership"]["status"] == "active"
        group_id = cohort["group"]["group_id"]
        seen = http.get(f"/api/v1/groups/{group_id}", headers=manager).json()
        assert {m["member_id"] for m in seen["members"]} >= set(ids)

        assert http.post("/api/v1/groups", headers=gaelle, json={"kind": "club", "name": "X"}).status_code == 403
        assert http.post("/api/v1/groups", headers=manager, json={"kind": "cohort", "name": "X"}).status_code == 422
        r = http.post("/api/v1/groups", headers=manager, json={
            "kind": "region", "name": "Alumni de Bordeaux", "policy": "invitation"})
        assert r.status_code == 201, r.text
        chapter = r.json()["group_id"]
        assert http.put(f"/api/v1/groups/{chapter}/membership", headers=hugo).status_code == 403
        r = http.post(f"/api/v1/groups/{chapter}/invitations", headers=manager, json={"member_id": ids[1]})
        assert r.status_code == 201 and r.json()["status"] == "invited"
        deadline = time.monotonic() + 30
        while not any(m["subject"] == "Invitation à rejoindre « Alumni de Bordeaux »" and
                      "hugo.groupe@example.org" in m["to"]
                      for m in http.get("/api/v1/dev/mailbox", headers=manager).json()["messages"]):
            assert time.monotonic() < deadline, "the invitation email, in French"
            time.sleep(0.3)
        r = http.put(f"/api/v1/groups/{chapter}/membership", headers=hugo)
        assert r.status_code == 200 and r.json()["status"] == "active"
        r = http.put(f"/api/v1/groups/{chapter}/members/{ids[1]}/role", headers=manager, json={"role": "manager"})
        assert r.json()["role"] == "manager"
        r = http.post(f"/api/v1/groups/{chapter}/invitations", headers=hugo, json={"member_id": ids[0]})
        assert r.status_code == 201, "a group manager invites"
        assert http.delete(f"/api/v1/groups/{chapter}/membership", headers=gaelle).json()["status"] == "left"
        other_tenant = headers(platform, "manager", tenant="other")
        assert http.get(f"/api/v1/groups/{chapter}", headers=other_tenant).status_code == 404
        assert http.get("/api/v1/groups", headers=manager, params={"kind": "region"}).json()["items"][0]["name"] \
            == "Alumni de Bordeaux"
