"""Every route that takes a member id, against the owner, another alumnus of the tenant,
another tenant's manager and an anonymous caller — through the real gateway and services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform

pytestmark = pytest.mark.e2e
CONSENT = {"granted": True, "text_version": "v1", "language": "fr"}


def register(platform: Platform, tag: str) -> str:
    r = httpx.post(f"{platform.gateway_url}/api/v1/members", headers=bearer(platform, "manager"), json={
        "first_name": "Matrix", "last_name": tag, "email": f"matrix.{tag}@example.org",
        "cohort": {"program": "MSc", "graduation_year": 2010}})
    assert r.status_code == 201, r.text
    return str(r.json()["member_id"])


def bearer(platform: Platform, roles: str, tenant: str = "demo", member_id: str | None = None,
           subject: str = "u") -> dict[str, str]:
    return {"Authorization": f"Bearer {platform.issue_token(roles, tenant=tenant, subject=subject, member_id=member_id)}"}


@pytest.fixture(scope="module")
def ids(platform: Platform) -> dict[str, str]:
    return {"target": register(platform, "target"), "other": register(platform, "other")}


def callers(platform: Platform, ids: dict[str, str]) -> dict[str, dict[str, str]]:
    return {
        "owner": bearer(platform, "alumnus", member_id=ids["target"], subject="owner"),
        "other alumnus": bearer(platform, "alumnus", member_id=ids["other"], subject="other"),
        "other tenant manager": bearer(platform, "manager", tenant="other"),
        "anonymous": {},
        "manager": bearer(platform, "manager"),
    }


def version(platform: Platform, member_id: str) -> int:
    r = httpx.get(f"{platform.gateway_url}/api/v1/members/{member_id}", headers=bearer(platform, "manager"))
    return int(r.json()["version"])


Route = Callable[[httpx.Client, str, dict[str, str]], httpx.Response]
ROUTES: dict[str, tuple[Route, dict[str, int]]] = {
    "GET /members/{id}": (
        lambda c, i, h: c.get(f"/api/v1/members/{i}", headers=h),
        {"owner": 200, "other alumnus": 404, "other tenant manager": 404, "anonymous": 401, "manager": 200}),
    "PATCH /members/{id}": (
        lambda c, i, h: c.patch(f"/api/v1/members/{i}", headers=h, json={"version": c.version(i), "city": "Lyon"}),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 200}),
    "GET /members/{id}/receipts/summary": (
        lambda c, i, h: c.get(f"/api/v1/members/{i}/receipts/summary?year=2026", headers=h),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 200}),
    "GET /members/{id}/consents": (
        lambda c, i, h: c.get(f"/api/v1/members/{i}/consents", headers=h),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 200}),
    "PUT /members/{id}/consents/{purpose}": (
        lambda c, i, h: c.put(f"/api/v1/members/{i}/consents/surveys", headers=h, json=CONSENT),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 200}),
    "POST /members/{id}/deceased-suggestion": (
        lambda c, i, h: c.post(f"/api/v1/members/{i}/deceased-suggestion", headers=h),
        {"owner": 202, "other alumnus": 202, "other tenant manager": 404, "anonymous": 401, "manager": 202}),
    "POST /members/{id}/deceased-confirmation": (
        lambda c, i, h: c.post(f"/api/v1/members/{i}/deceased-confirmation", headers=h),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401}),
    "GET /members/{id}/export": (
        lambda c, i, h: c.get(f"/api/v1/members/{i}/export", headers=h),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 200}),
    # Not as the manager: it would erase the target for the other routes.
    "POST /members/{id}/erasure": (
        lambda c, i, h: c.post(f"/api/v1/members/{i}/erasure", headers=h),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401}),
    "PUT /members/{id}/showcase": (
        lambda c, i, h: c.put(f"/api/v1/members/{i}/showcase", headers=h, json={"quote": "Merci !"}),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 200}),
    "DELETE /members/{id}/showcase": (
        lambda c, i, h: c.delete(f"/api/v1/members/{i}/showcase", headers=h),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 200}),
    "PUT /members/{id}/ambassador": (
        lambda c, i, h: c.put(f"/api/v1/members/{i}/ambassador", headers=h, json={"cities": ["Lyon"]}),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 200}),
    "DELETE /members/{id}/ambassador": (
        lambda c, i, h: c.delete(f"/api/v1/members/{i}/ambassador", headers=h),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401}),
}


class Client(httpx.Client):
    def __init__(self, platform: Platform) -> None:
        super().__init__(base_url=platform.gateway_url, timeout=10)
        self.platform = platform

    def version(self, member_id: str) -> int:
        return version(self.platform, member_id)


def check(platform: Platform, ids: dict[str, str], route: str, expected: dict[str, int],
          call: Callable[[Client, dict[str, str]], httpx.Response]) -> None:
    people = callers(platform, ids)
    with Client(platform) as client:
        for who, status in expected.items():
            r = call(client, people[who])
            assert r.status_code == status, f"{route} as {who}: {r.status_code} {r.text[:200]}"
            if status >= 400:
                assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("route", list(ROUTES))
def test_route_matrix(platform: Platform, ids: dict[str, str], route: str) -> None:
    call, expected = ROUTES[route]
    check(platform, ids, route, expected, lambda client, h: call(client, ids["target"], h))


def test_me_routes_only_ever_touch_the_caller(platform: Platform, ids: dict[str, str]) -> None:
    people = callers(platform, ids)
    with Client(platform) as client:
        assert client.get("/api/v1/me").status_code == 401
        assert client.get("/api/v1/me", headers=people["manager"]).status_code == 404, "not linked to a member"
        mine = client.get("/api/v1/me", headers=people["owner"]).json()
        assert mine["member_id"] == ids["target"]
        r = client.patch("/api/v1/me", headers=people["other alumnus"],
                         json={"version": client.version(ids["other"]), "city": "Nantes"})
        assert r.status_code == 200 and r.json()["member_id"] == ids["other"]
        assert client.get("/api/v1/me", headers=people["owner"]).json().get("city") != "Nantes"


@pytest.mark.parametrize("body", [
    {"version": 1, "member_id": "someone-else"},           # mass assignment of the target
    {"version": 1, "tenant": "other"},                     # of the tenant
    {"version": 1, "email_bounced": True},                 # staff-only field on /me
    {"version": 1, "city": {"$ne": None}},                 # operator injection
    {"version": 1, "visibility": {"$where": "alumni"}},
    {"version": 1, "emails": [{"address": "x@example.org", "primary": True, "verified": True}]},
])
def test_me_refuses_what_a_member_may_not_set(platform: Platform, ids: dict[str, str], body: dict[str, Any]) -> None:
    r = httpx.patch(f"{platform.gateway_url}/api/v1/me", json=body,
                    headers=callers(platform, ids)["owner"])
    assert r.status_code == 422, r.text


def test_stale_update_gets_409(platform: Platform, ids: dict[str, str]) -> None:
    people = callers(platform, ids)
    with Client(platform) as client:
        current = client.version(ids["other"])
        assert client.patch("/api/v1/me", headers=people["other alumnus"],
                            json={"version": current, "city": "Lille"}).status_code == 200
        stale = client.patch("/api/v1/me", headers=people["other alumnus"], json={"version": current, "city": "Metz"})
        assert stale.status_code == 409 and stale.json()["type"].endswith("stale-version")


@pytest.fixture(scope="module")
def club(platform: Platform) -> str:
    r = httpx.post(f"{platform.gateway_url}/api/v1/groups", headers=bearer(platform, "manager"),
                   json={"kind": "club", "name": "Matrix club", "policy": "invitation"})
    assert r.status_code == 201, r.text
    return str(r.json()["group_id"])


@pytest.fixture(scope="module")
def import_id(platform: Platform) -> str:
    r = httpx.post(f"{platform.gateway_url}/api/v1/imports", headers=bearer(platform, "manager"),
                   content=b"first_name,last_name,email,program,graduation_year\nA,B,a.b@example.org,MSc,2001\n")
    assert r.status_code == 201, r.text
    return str(r.json()["import_id"])


OTHER_ROUTES: dict[str, tuple[Callable[[httpx.Client, dict[str, str], dict[str, str]], httpx.Response],
                              dict[str, int]]] = {
    "GET /groups/{id}": (
        lambda c, ref, h: c.get(f"/api/v1/groups/{ref['club']}", headers=h),
        {"owner": 200, "other alumnus": 200, "other tenant manager": 404, "anonymous": 401, "manager": 200}),
    "POST /groups/{id}/invitations": (
        lambda c, ref, h: c.post(f"/api/v1/groups/{ref['club']}/invitations", headers=h,
                                 json={"member_id": ref["target"]}),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 201}),
    "PUT /groups/{id}/members/{id}/role": (
        lambda c, ref, h: c.put(f"/api/v1/groups/{ref['club']}/members/{ref['other']}/role", headers=h,
                                json={"role": "moderator"}),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 409}),
    "PUT /groups/{id}/membership": (
        lambda c, ref, h: c.put(f"/api/v1/groups/{ref['club']}/membership", headers=h),
        {"other alumnus": 403, "other tenant manager": 404, "anonymous": 401}),
    "GET /imports/{id}": (
        lambda c, ref, h: c.get(f"/api/v1/imports/{ref['import']}", headers=h),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 200}),
    "GET /imports/{id}/rows": (
        lambda c, ref, h: c.get(f"/api/v1/imports/{ref['import']}/rows", headers=h),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 200}),
    "PUT /imports/{id}/mapping": (
        lambda c, ref, h: c.put(f"/api/v1/imports/{ref['import']}/mapping", headers=h, json={}),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401}),
    "PUT /imports/{id}/rows/{line}/decision": (
        lambda c, ref, h: c.put(f"/api/v1/imports/{ref['import']}/rows/2/decision", headers=h,
                                json={"decision": "skip"}),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 409}),
    "POST /imports/{id}/commit": (
        lambda c, ref, h: c.post(f"/api/v1/imports/{ref['import']}/commit", headers=h, json={}),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 409}),
    "GET /imports/{id}/rejected.csv": (
        lambda c, ref, h: c.get(f"/api/v1/imports/{ref['import']}/rejected.csv", headers=h),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401, "manager": 200}),
    "DELETE /groups/{id}/membership": (
        lambda c, ref, h: c.delete(f"/api/v1/groups/{ref['club']}/membership", headers=h),
        {"other tenant manager": 404, "anonymous": 401}),
    "GET /erasures/{id}": (
        lambda c, ref, h: c.get(f"/api/v1/erasures/{ref['target']}", headers=h),
        {"owner": 404, "other alumnus": 404, "other tenant manager": 404, "anonymous": 401, "manager": 404}),
    "DELETE /imports/{id}": (
        lambda c, ref, h: c.delete(f"/api/v1/imports/{ref['import']}", headers=h),
        {"owner": 403, "other alumnus": 403, "other tenant manager": 404, "anonymous": 401}),
}


@pytest.mark.parametrize("route", list(OTHER_ROUTES))
def test_group_and_import_route_matrix(platform: Platform, ids: dict[str, str], club: str, import_id: str,
                                       route: str) -> None:
    call, expected = OTHER_ROUTES[route]
    refs = {**ids, "club": club, "import": import_id}
    check(platform, ids, route, expected, lambda client, h: call(client, refs, h))
