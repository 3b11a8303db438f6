"""GDPR access and erasure across every service, end to end.

A member is seeded with data in every service; their export holds it all; after their
erasure, every collection of every service database — outbox, inbox and idempotency records
included — is swept for their identifiers: no hit, except the pseudonymised accounting record
(which holds none of them) and the two events whose purpose is to name the erased member to
consumers (`member_erasure_requested`, `member_erased`, by id only; they expire with the outbox).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from alumni_local.runner import Platform

pytestmark = pytest.mark.e2e
DATABASES = ("alumni_members", "alumni_events", "alumni_fundraising", "alumni_notifications", "alumni_community")
NAMING_THE_ERASED = {"org.alumni.members.member_erasure_requested.v1", "org.alumni.members.member_erased.v1"}


def headers(platform: Platform, roles: str, member_id: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {platform.issue_token(roles, subject=f'sub-{member_id}', member_id=member_id)}"}


async def eventually(probe: Any, what: str, timeout: float = 60) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.3)


async def sweep(mongo_uri: str, needles: dict[str, str]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(needle name, database, collection, document) for every document that holds a needle."""
    hits = []
    client: AsyncMongoClient[Any] = AsyncMongoClient(mongo_uri)
    try:
        for db_name in DATABASES:
            db = client[db_name]
            for collection in await db.list_collection_names():
                async for doc in db[collection].find({}):
                    text = json.dumps(doc, default=str, ensure_ascii=False).casefold()
                    hits += [(name, db_name, collection, doc) for name, value in needles.items()
                             if value.casefold() in text]
    finally:
        await client.close()
    return hits


async def test_export_then_erasure_leaves_no_trace_outside_pseudonymised_accounting(platform: Platform) -> None:
    assert platform.nats_url is not None and platform.mongo_uri is not None
    nc = await platform.connect_nats()
    erased_events = await nc.subscribe("evt.demo.members.member_erased.v1")
    manager = headers(platform, "manager")
    email, phone = "gdpr.sweep.target@example.org", "+33 7 00 11 22 93"  # unique to this test: the sweep looks for it everywhere
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=15) as http:
        r = await http.post("/api/v1/members", headers={**manager, "Idempotency-Key": "gdpr-register"}, json={
            "first_name": "Gwendolyne", "last_name": "Effacement-Zz", "email": email,
            "cohort": {"program": "MSc Finance", "graduation_year": 2011}})
        assert r.status_code == 201, r.text
        member_id = r.json()["member_id"]
        me = headers(platform, "alumnus", member_id)

        # Data in members (profile, ledger, showcase), via idempotent calls that store replies.
        current = (await http.get("/api/v1/me", headers=me)).json()
        r = await http.patch("/api/v1/me", headers={**me, "Idempotency-Key": "gdpr-profile"}, json={
            "version": current["version"], "phone": phone, "birth_name": "Naissance-Zz", "city": "Rennes",
            "career": [{"employer": "Effacement SA", "job_title": "CFO", "sector": "banking"}]})
        assert r.status_code == 200, r.text
        for purpose in ("directory", "newsletter"):
            r = await http.put(f"/api/v1/me/consents/{purpose}", headers=me,
                               json={"granted": True, "text_version": "v1", "language": "fr"})
            assert r.status_code == 200
        await http.put("/api/v1/me/showcase", headers=me, json={"quote": "Gwendolyne dit merci"})
        until = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        r = await http.put("/api/v1/me/consents/showcase", headers=me, json={
            "granted": True, "text_version": "v1", "language": "fr",
            "scope": {"fields": ["name", "quote"], "channels": ["website"], "expires_at": until}})
        assert r.status_code == 200, r.text

        # Data in fundraising (once it knows the member), notifications (welcome), events (projection).
        async def donate() -> bool:
            r = await http.post("/api/v1/donations", headers={**manager, "Idempotency-Key": "gdpr-gift"}, json={
                "member_id": member_id, "amount": {"minor_units": 15000, "currency": "EUR"}})
            return r.status_code == 201

        await eventually(donate, "fundraising to know the member")

        async def exported() -> dict[str, Any] | None:
            r = await http.get("/api/v1/me/export", headers=me)
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            s = body["services"]
            complete = s["events"]["members"] and s["community"]["audience"] and s["notifications"]["notifications"] and \
                s["notifications"]["contacts"] and s["notifications"]["contacts"][0].get("consents", {}).get("newsletter")
            return body if complete else None

        export = await eventually(exported, "every service to hold the member's data")
        assert set(export["services"]) == {"members", "events", "fundraising", "notifications", "community"}
        assert export["services"]["members"]["members"][0]["phone"] == phone
        assert len(export["services"]["members"]["consent_records"]) == 3
        assert export["services"]["fundraising"]["donations"][0]["amount"]["minor_units"] == 15000
        assert export["services"]["notifications"]["notifications"][0]["email"]["to"] == email
        other = headers(platform, "alumnus", "someone-else")
        assert (await http.get(f"/api/v1/members/{member_id}/export", headers=other)).status_code == 403
        staff_export = await http.get(f"/api/v1/members/{member_id}/export", headers=manager)
        assert staff_export.status_code == 200 and staff_export.json()["services"]["members"]["members"]

        # Erasure, by the member.
        r = await http.post("/api/v1/me/erasure", headers=me)
        assert r.status_code == 202, r.text
        status_url = r.headers["Location"]
        assert r.json()["status"] == "in-progress" and r.json()["confirmations"]["members"] is not None
        assert (await http.get("/api/v1/me", headers=me)).status_code == 404, "gone from members at once"
        assert (await http.get(status_url, headers=other)).status_code == 404
        other_tenant = {"Authorization": f"Bearer {platform.issue_token('manager', tenant='other')}"}
        assert (await http.get(status_url, headers=other_tenant)).status_code == 404

        async def completed() -> dict[str, Any] | None:
            body: dict[str, Any] = (await http.get(status_url, headers=me)).json()
            return body if body["status"] == "completed" else None

        status = await eventually(completed, "every service to confirm the erasure", timeout=90)
        assert all(status["confirmations"].values()) and not status["overdue"]
        assert (await http.get(status_url, headers=manager)).status_code == 200
        showcase = (await http.get("/api/v1/public/demo/showcase")).json()["items"]
        assert all(i.get("last_name") != "Effacement-Zz" for i in showcase)

    erased = json.loads((await erased_events.next_msg(timeout=10)).data)
    assert erased["data"]["member_id"] == member_id
    await nc.drain()

    # The sweep. The outbox rows of the last confirmations may still be waiting for the relay.
    needles = {"member id": member_id, "email": email, "phone": phone, "first name": "Gwendolyne",
               "last name": "Effacement-Zz", "birth name": "Naissance-Zz", "employer": "Effacement SA"}

    async def clean() -> list[Any] | None:
        hits = await sweep(platform.mongo_uri or "", needles)
        unexpected = [h for h in hits if not (h[0] == "member id" and h[2] == "outbox"
                                              and h[3].get("type") in NAMING_THE_ERASED)]
        return None if unexpected else hits

    try:
        await eventually(clean, "a clean sweep", timeout=20)
    except AssertionError:
        hits = await sweep(platform.mongo_uri, needles)
        raise AssertionError("identifiers left after erasure: " + "; ".join(
            f"{name} in {db}.{col} {str(doc)[:160]}" for name, db, col, doc in hits)) from None

    client: AsyncMongoClient[Any] = AsyncMongoClient(platform.mongo_uri)
    try:
        [gift] = await client["alumni_fundraising"]["donations"].find(
            {"pseudonymised": True, "amount.minor_units": 15000, "tenant": "demo"}).to_list()
        assert gift["member_id"].startswith("erased-"), "the accounting record stays, under a pseudonym"
    finally:
        await client.close()
