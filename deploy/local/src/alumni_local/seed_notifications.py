"""Demo data for notifications: a cohort whose contactability is not 100 % (an address the
local SMTP sink refuses for good: a hard bounce that members turns into `email_bounced`; one
it defers: retried, then a soft bounce), an English-speaking alumna who consents to the
newsletter (her welcome arrives in English, HTML in the console's mailbox view). Idempotent."""

from __future__ import annotations

import sys
from typing import Any

import httpx

from alumni_local.http_retry import describe

COHORT = {"program": "Programme Grande École", "graduation_year": 2016}
DEMO: dict[str, dict[str, Any]] = {
    "demo-seed-notif-emma": {"first_name": "Emma", "last_name": "Wilson", "email": "emma.wilson.demo@example.org",
                             "locale": "en", "cohort": COHORT},
    "demo-seed-notif-bounce": {"first_name": "Paul", "last_name": "Rebond", "email": "bounce.paul.rebond@example.org",
                               "locale": "fr", "cohort": COHORT},
    "demo-seed-notif-deferred": {"first_name": "Julie", "last_name": "Pleine", "locale": "fr", "cohort": COHORT,
                                 "email": "deferred.julie.pleine@example.org"},
}


async def seed_notifications(client: httpx.AsyncClient) -> dict[str, str]:
    """Registers the demo members (returns key → member id) and Emma's newsletter consent."""
    ids: dict[str, str] = {}
    for key, body in DEMO.items():
        r = await client.post("/api/v1/members", json=body, headers={"Idempotency-Key": key})
        if r.status_code != 201:
            if r.status_code != 409:
                print(f"seed notifications {key}: {describe(r)}", file=sys.stderr)
            continue
        ids[key] = str(r.json()["member_id"])
    emma = ids.get("demo-seed-notif-emma")
    if emma:
        r = await client.put(f"/api/v1/members/{emma}/consents/newsletter", headers={
            "Idempotency-Key": "demo-seed-notif-emma-newsletter"}, json={
            "granted": True, "text_version": "newsletter-2026", "language": "en", "channel": "console"})
        if r.status_code != 200:
            print(f"seed notifications consent: {describe(r)}", file=sys.stderr)
    return ids
