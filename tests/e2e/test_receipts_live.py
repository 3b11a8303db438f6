"""End to end through the gateway: the live class leaderboard pushed by Server-Sent Events
(a gift shows up on an open stream; a token is required; another tenant's campaign is refused),
and the yearly summary receipts as a background job (`202`, progress, the summary receipt
issued; unknown entity, alumni and other tenants refused)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from alumni_local.runner import Platform

from .test_gifts import until_known

pytestmark = pytest.mark.e2e
PARIS = ZoneInfo("Europe/Paris")
CAMPAIGN_ENTITY = {"entity_id": "fondation-live-e2e", "name": "Fondation live", "purpose": "Bourses",
                   "may_issue_receipts": True, "status": "fondation reconnue d'utilité publique",
                   "address": {"line1": "1 rue de l'École", "postal_code": "75005", "city": "Paris"}}
RECEIPT_ENTITY = {"legal_entity_id": "fondation-yearly-e2e", "name": "Fondation annuelle e2e",
                  "address": "1 rue de l'École, Paris", "object": "Bourses",
                  "status": "Fondation reconnue d'utilité publique", "may_issue_receipts": True,
                  "signatory_name": "Claire Martin", "signatory_title": "Présidente", "campaign_ids": ["yearly-e2e"]}


async def next_board(lines: Any, deadline: float) -> dict[str, Any]:
    event = None
    async for line in lines:
        if time.monotonic() > deadline:
            break
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == "leaderboard":
            return dict(json.loads(line[6:]))
    raise AssertionError("the stream ended or timed out without a leaderboard")


def cohort_donors(board: dict[str, Any], year: int) -> int:
    return sum(r["donors"] for r in board["by_participation"] if r["graduation_year"] == year)


async def test_a_gift_reaches_an_open_leaderboard_stream(platform: Platform) -> None:
    manager = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as api:
        r = await api.post("/api/v1/members", headers=manager, json={
            "first_name": "Live", "last_name": "Donor", "email": "live.donor@example.org",
            "cohort": {"program": "MSc Live", "graduation_year": 1987}})
        assert r.status_code == 201, r.text
        member_id = r.json()["member_id"]
        r = await api.post("/api/v1/campaigns", headers={**manager, "Idempotency-Key": "e2e-live-campaign"}, json={
            "name_fr": "Journée du don", "name_en": "Giving day", "goal_minor": 1_000_000, "currency": "EUR",
            "legal_entity": CAMPAIGN_ENTITY, "giving_day": True})
        assert r.status_code == 201, r.text
        cid = r.json()["campaign_id"]
        url = f"/api/v1/campaigns/{cid}/leaderboard/stream"

        assert (await api.get(url)).status_code == 401
        foreign = {"Authorization": f"Bearer {platform.issue_token('manager', tenant='other')}"}
        refused = await api.get(url, headers=foreign)
        assert refused.status_code == 404 and refused.headers["content-type"] == "application/problem+json"

        alumnus = {"Authorization": f"Bearer {platform.issue_token('alumnus', member_id=member_id)}"}
        async with api.stream("GET", url, headers=alumnus, timeout=httpx.Timeout(30, read=90)) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            deadline = time.monotonic() + 120
            first = await next_board(lines, deadline)
            assert cohort_donors(first, 1987) == 0
            gift = {"campaign_id": cid, "member_id": member_id, "amount_minor": 4200, "currency": "EUR",
                    "method": "cheque", "reference": "CHQ-LIVE", "received_on": datetime.now(PARIS).date().isoformat()}
            r = await until_known(api, {**manager, "Idempotency-Key": "e2e-live-gift"}, gift)
            assert r.status_code == 201, r.text
            board = first
            while cohort_donors(board, 1987) == 0:  # pushed once the leaderboard is recomputed
                board = await next_board(lines, deadline)
            row = next(r for r in board["by_participation"] if r["graduation_year"] == 1987)
            assert row["raised_minor"] == 4200 and row["donors"] == 1


async def test_yearly_receipts_run_as_a_background_job_with_progress(platform: Platform) -> None:
    manager = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    year = datetime.now(PARIS).year
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as api:
        r = await api.put("/api/v1/legal-entities/fondation-yearly-e2e", json=RECEIPT_ENTITY, headers=manager)
        assert r.status_code == 200, r.text
        r = await api.post("/api/v1/members", headers=manager, json={
            "first_name": "Annuelle", "last_name": "Donatrice", "email": "yearly.e2e@example.org",
            "cohort": {"program": "MSc Finance", "graduation_year": 2001}})
        member_id = r.json()["member_id"]
        r = await api.put(f"/api/v1/members/{member_id}/receipt-profile", headers=manager,
                          json={"postal_address": "3 avenue Foch, 69006 Lyon", "yearly_summary": True})
        assert r.status_code == 200, r.text
        for k, amount in enumerate((2500, 3500)):  # two gifts, held for the yearly summary
            gift = {"member_id": member_id, "amount": {"minor_units": amount, "currency": "EUR"},
                    "campaign_id": "yearly-e2e"}
            deadline = time.monotonic() + 60
            while (await api.post("/api/v1/donations", json=gift,
                                  headers={**manager, "Idempotency-Key": f"e2e-yearly-{k}"})).status_code != 201:
                assert time.monotonic() < deadline, "fundraising never knew the member"
                await asyncio.sleep(0.3)

        start = f"/api/v1/legal-entities/fondation-yearly-e2e/yearly-receipts?year={year}"
        alumnus = {"Authorization": f"Bearer {platform.issue_token('alumnus', member_id=member_id)}"}
        assert (await api.post(start, headers=alumnus)).status_code == 403
        unknown = await api.post(f"/api/v1/legal-entities/nope/yearly-receipts?year={year}", headers=manager)
        assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
        assert (await api.post("/api/v1/legal-entities/fondation-yearly-e2e/yearly-receipts?year=1800",
                               headers=manager)).status_code == 422

        # Both gifts are held once their `donation_received` went through the receipt engine: a
        # job started before that finds fewer (or none) and finishes; start again until both are in.
        deadline = time.monotonic() + 120
        job: dict[str, Any] = {}
        issued = 0
        while issued < 1:
            assert time.monotonic() < deadline, f"the summary receipt was never issued: {job}"
            r = await api.post(start, headers={**manager, "Idempotency-Key": f"e2e-yearly-job-{time.monotonic()}"})
            if r.status_code == 409:  # the previous one still runs
                await asyncio.sleep(0.5)
                continue
            assert r.status_code == 202, r.text
            job = r.json()
            assert r.headers["Location"] == f"/api/v1/yearly-receipt-jobs/{job['job_id']}"
            while job["state"] != "done":
                assert time.monotonic() < deadline, job
                await asyncio.sleep(0.3)
                job = (await api.get(r.headers["Location"], headers=manager)).json()
            assert job["done"] + job["skipped"] == job["total"]
            issued = job["done"]
            if not issued:
                await asyncio.sleep(0.5)
        [receipt] = (await api.get(f"/api/v1/receipts?member_id={member_id}", headers=manager)).json()["items"]
        assert receipt["source"] == "yearly_summary" and receipt["amount_minor"] == 6000
        listed = (await api.get("/api/v1/yearly-receipt-jobs?legal_entity_id=fondation-yearly-e2e",
                                headers=manager)).json()["items"]
        assert job["job_id"] in {j["job_id"] for j in listed}
        foreign = {"Authorization": f"Bearer {platform.issue_token('manager', tenant='other')}"}
        assert (await api.get(f"/api/v1/yearly-receipt-jobs/{job['job_id']}", headers=foreign)).status_code == 404
