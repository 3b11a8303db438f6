"""End to end: job alerts (issue 14 item 4) — alumni set their alert through the gateway; a
partner's offer waits for approval (nobody alerted), the manager approves it, `job_posted`
reaches notifications, and only the alumna whose alert matches and who consented is alerted,
by email and in-app, once — a second `job_posted` of the same offer (a relisting, a replay)
alerts nobody again."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from alumni_contracts import naming
from alumni_contracts.community.v1 import JobPosted
from alumni_contracts.envelope import CloudEvent
from alumni_local.runner import Platform

pytestmark = pytest.mark.e2e
OFFER = {"title": "Analyste M&A junior", "company": "Banque Alerte", "city": "Paris", "sector": "Finance",
         "contract": "permanent", "remote": "hybrid", "apply_url": "https://jobs.example.org/ma",
         "description_fr": "CDI en fusions-acquisitions."}
CONSENT = {"granted": True, "text_version": "newsletter-2026", "language": "fr", "channel": "console"}


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


def alerts_to(platform: Platform, email: str) -> list[dict[str, Any]]:
    """The job alerts the sink received for `email` (their welcome arrives too)."""
    return [m for m in httpx.get(platform.mailbox_url, timeout=5).json()["messages"]
            if email in m["to"] and m["subject"].startswith("Offre d'emploi")]


async def test_an_approved_offer_alerts_the_matching_consenting_alumna_once(platform: Platform) -> None:
    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    partner = {"Authorization": f"Bearer {platform.issue_token('partner', subject='recruiter-alerts')}"}
    people = {"match": ("Finance", "Paris", True), "elsewhere": ("finance", "Lyon", True),
              "silent": ("FINANCE", "paris", False)}  # silent matches but gave no newsletter consent
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as http:
        ids: dict[str, str] = {}
        for key, (_, _, consent) in people.items():
            r = await http.post("/api/v1/members", headers=staff, json={
                "first_name": "Alerte", "last_name": key, "email": f"{key}.alerts@example.org",
                "cohort": {"program": "MSc Finance", "graduation_year": 2023}})
            assert r.status_code == 201, r.text
            ids[key] = r.json()["member_id"]
            if consent:
                r = await http.put(f"/api/v1/members/{ids[key]}/consents/newsletter", headers=staff, json=CONSENT)
                assert r.status_code == 200, r.text
        me = {k: {"Authorization": f"Bearer {platform.issue_token('alumnus', member_id=i)}"} for k, i in ids.items()}

        # Bad input and no login.
        r = await http.put("/api/v1/me/job-alerts", headers=me["match"], json={"enabled": True, "contracts": ["cdi"]})
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        r = await http.put("/api/v1/me/job-alerts", headers=me["match"], json={"enabled": True, "salary": 1})
        assert r.status_code == 422, "unknown fields refused"
        assert (await http.get("/api/v1/me/job-alerts")).status_code == 401
        for key, (sector, city, _) in people.items():
            r = await http.put("/api/v1/me/job-alerts", headers={**me[key], "Idempotency-Key": f"alerts-{key}"},
                               json={"enabled": True, "sectors": [sector], "cities": [city],
                                     "contracts": ["permanent"]})
            assert r.status_code == 200, r.text
            assert r.json()["enabled"] and r.json()["cities"] == [city]

        async def consented() -> bool:
            views = [(await http.get("/api/v1/me/job-alerts", headers=me[k])).json() for k in ("match", "elsewhere")]
            return all(v["consent"] for v in views)

        await eventually(consented, "the consents in notifications' projection")

        # A pending offer alerts nobody; the approval does.
        r = await http.post("/api/v1/jobs", json=OFFER, headers={**partner, "Idempotency-Key": "alerts-offer"})
        assert r.status_code == 201, r.text
        job_id = r.json()["job_id"]
        r = await http.post(f"/api/v1/jobs/{job_id}/review", json={"approve": True}, headers=staff)
        assert r.status_code == 200, r.text

        async def alerted() -> list[dict[str, Any]]:
            feed = (await http.get("/api/v1/me/notifications", headers=me["match"])).json()["items"]
            return [i for i in feed if i["kind"] == "job_alert"]

        [item] = await eventually(alerted, "the in-app job alert")
        assert item["category"] == "jobs" and "Analyste M&A junior" in item["title"]
        [mail] = await eventually(lambda: asyncio.to_thread(alerts_to, platform, "match.alerts@example.org"),
                                  "the job alert email")
        assert mail["subject"] == "Offre d'emploi : Analyste M&A junior — Banque Alerte"

        # The same offer posted again (a relisting, a replay): a new event, the same (offer, member).
        nc = await platform.connect_nats()
        try:
            js = nc.jetstream()
            msg = await js.get_last_msg("EVT_COMMUNITY", naming.event_subject("demo", "community", "job_posted", 1))
            first = CloudEvent[JobPosted].model_validate(json.loads(msg.data))
            assert first.data.job_id == job_id
            again = CloudEvent.wrap(first.data, tenant="demo", subject=job_id, aggregate_version=9,
                                    correlation_id="e2e-alerts")
            await js.publish(msg.subject, again.to_json(), headers={naming.HEADER_MSG_ID: again.id})
        finally:
            await nc.close()
        mongo: AsyncMongoClient[Any] = AsyncMongoClient(platform.mongo_uri)
        try:
            inbox = mongo["alumni_notifications"]["inbox"]

            async def handled() -> bool:
                return await inbox.find_one({"tenant": "demo", "consumer": "notifications",
                                             "event_id": again.id}) is not None

            await eventually(handled, "notifications handling the second job_posted")
        finally:
            await mongo.close()
        assert len(await alerted()) == 1 and len(alerts_to(platform, "match.alerts@example.org")) == 1
        for key in ("elsewhere", "silent"):
            feed = (await http.get("/api/v1/me/notifications", headers=me[key])).json()["items"]
            assert [i for i in feed if i["kind"] == "job_alert"] == [], key
            assert alerts_to(platform, f"{key}.alerts@example.org") == [], key
