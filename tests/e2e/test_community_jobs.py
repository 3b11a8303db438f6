"""End to end: the job board — a partner recruiter posts an offer with a script and an unsafe link
(sanitised), a manager approves it from the queue, `job_posted` reaches the bus, alumni find and
save it, the recruiter sees its figure, a rival recruiter does not; withdrawn, it disappears."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from nats.js.errors import NotFoundError

from alumni_local.runner import Platform

pytestmark = pytest.mark.e2e
OFFER = {"title": "Stage analyste crédit", "company": "Banque E2E", "city": "Lyon", "sector": "finance",
         "contract": "internship", "remote": "onsite",
         "description_fr": "Stage de 6 mois. <script>alert(1)</script> [postuler](javascript:alert(1))",
         "apply_email": "stages@example.org"}


def test_partner_offer_approved_found_saved_and_withdrawn(platform: Platform) -> None:
    gw = platform.gateway_url
    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    partner = {"Authorization": f"Bearer {platform.issue_token('partner', subject='recruiter-e2e')}"}
    rival = {"Authorization": f"Bearer {platform.issue_token('partner', subject='recruiter-rival')}"}
    r = httpx.post(f"{gw}/api/v1/members", headers=staff, timeout=30, json={
        "first_name": "Léo", "last_name": "Chercheur", "email": "leo.jobs@example.org",
        "cohort": {"program": "MSc Finance", "graduation_year": 2024}})
    assert r.status_code == 201, r.text
    alum = {"Authorization": f"Bearer {platform.issue_token('alumnus', member_id=r.json()['member_id'])}"}

    r = httpx.post(f"{gw}/api/v1/jobs", json={**OFFER, "apply_url": "http://x.example.org"}, headers=partner)
    assert r.status_code == 422, "an http apply link, and two ways to apply"
    r = httpx.post(f"{gw}/api/v1/jobs", json={**OFFER, "salary": 1}, headers=partner)
    assert r.status_code == 422, "unknown fields refused"
    r = httpx.post(f"{gw}/api/v1/jobs", json=OFFER, headers={**partner, "Idempotency-Key": "e2e-job-1"}, timeout=30)
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["status"] == "pending" and "<script" not in job["html_fr"] and 'href="javascript' not in job["html_fr"]
    job_id = job["job_id"]
    assert httpx.get(f"{gw}/api/v1/jobs/{job_id}", headers=alum).status_code == 404, "not before approval"
    assert httpx.post(f"{gw}/api/v1/jobs/{job_id}/review", json={"approve": True}, headers=partner).status_code == 403
    queue = httpx.get(f"{gw}/api/v1/jobs/review-queue", headers=staff).json()["items"]
    assert job_id in [j["job_id"] for j in queue]
    r = httpx.post(f"{gw}/api/v1/jobs/{job_id}/review", json={"approve": True}, headers=staff)
    assert r.status_code == 200 and r.json()["status"] == "published"

    found = httpx.get(f"{gw}/api/v1/jobs", params={"contract": "internship", "city": "LYON"}, headers=alum).json()
    assert [j["job_id"] for j in found["items"]] == [job_id] and found["items"][0]["saves"] is None
    assert httpx.get(f"{gw}/api/v1/jobs", params={"contract": "nonsense"}, headers=alum).status_code == 422
    assert httpx.put(f"{gw}/api/v1/jobs/{job_id}/saved", headers=alum).status_code == 200
    assert httpx.put(f"{gw}/api/v1/jobs/{job_id}/saved", headers=alum).status_code == 200
    assert [j["job_id"] for j in httpx.get(f"{gw}/api/v1/me/saved-jobs", headers=alum).json()["items"]] == [job_id]
    mine = httpx.get(f"{gw}/api/v1/jobs/mine", headers=partner).json()["items"]
    assert [(j["job_id"], j["saves"]) for j in mine] == [(job_id, 1)], "saved twice, counted once"
    assert httpx.get(f"{gw}/api/v1/jobs/mine", headers=rival).json()["items"] == []
    assert httpx.post(f"{gw}/api/v1/jobs/{job_id}/withdraw", headers=rival).status_code == 403
    other = {"Authorization": f"Bearer {platform.issue_token('manager', tenant='other')}"}
    assert httpx.get(f"{gw}/api/v1/jobs/{job_id}", headers=other).status_code == 404

    # `job_posted` is on the bus for notifications to match alumni's preferences.
    async def posted() -> dict[str, object]:
        nc = await platform.connect_nats()
        try:
            js = nc.jetstream()
            for _ in range(50):  # the outbox relay publishes right after the commit
                try:
                    msg = await js.get_last_msg("EVT_COMMUNITY", "evt.demo.community.job_posted.v1")
                except NotFoundError:
                    await asyncio.sleep(0.2)
                    continue
                document = dict(json.loads(msg.data))
                if document["data"]["job_id"] == job_id:
                    return document
                await asyncio.sleep(0.2)
            raise AssertionError("no job_posted for the offer")
        finally:
            await nc.close()

    event = asyncio.run(posted())
    assert event["data"]["job_id"] == job_id and event["data"]["posted_by_partner"] is True  # type: ignore[index]

    assert httpx.post(f"{gw}/api/v1/jobs/{job_id}/withdraw", headers=partner).status_code == 200
    assert job_id not in [j["job_id"] for j in httpx.get(f"{gw}/api/v1/jobs", headers=alum).json()["items"]]
    assert httpx.get(f"{gw}/api/v1/jobs/{job_id}", headers=alum).status_code == 404, "withdrawn: gone"
