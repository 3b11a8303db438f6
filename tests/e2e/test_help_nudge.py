"""The nudge to a silent helper through the platform: community's `help_nudged` (published on the
bus as its outbox relay would — the scheduler's clock cannot be advanced a week in an end-to-end
test; the scheduler itself is tested with an injected clock) reaches the helper by email in their
language and in their in-app feed; a redelivered event sends nothing more."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from alumni_contracts import naming
from alumni_contracts.community.v1 import HelpNudged, HelpTopic
from alumni_contracts.envelope import CloudEvent
from alumni_local.runner import Platform

pytestmark = pytest.mark.e2e


def nudges_to(platform: Platform, email: str) -> list[dict[str, Any]]:
    messages = httpx.get(platform.mailbox_url, timeout=5).json()["messages"]
    return [m for m in messages if email in m["to"] and m["subject"].startswith("Reminder: a help request")]


async def test_a_silent_helper_gets_one_nudge_per_offer_by_email_and_in_app(platform: Platform) -> None:
    email = "silent.helper@example.org"
    token = platform.issue_token("manager")
    async with httpx.AsyncClient(base_url=platform.gateway_url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=30) as http:
        r = await http.post("/api/v1/members", headers={"Idempotency-Key": "e2e-silent-helper"}, json={
            "first_name": "Sam", "last_name": "Silence", "email": email, "locale": "en",
            "cohort": {"program": "MSc Finance", "graduation_year": 2009}})
        assert r.status_code == 201, r.text
        helper = r.json()["member_id"]

    now = datetime.now(UTC).replace(microsecond=0)

    def nudge(request_id: str) -> CloudEvent[Any]:
        return CloudEvent.wrap(HelpNudged(
            request_id=request_id, helper_id=helper, topic=HelpTopic.FIRST_JOB, round=1,
            offered_at=now - timedelta(days=7), respond_by=now + timedelta(days=3), nudged_at=now),
            tenant="demo", subject=request_id, aggregate_version=3, correlation_id="e2e-nudge")

    first, second = nudge("req-nudge-1"), nudge("req-nudge-2")
    nc = await platform.connect_nats()
    try:
        js = nc.jetstream()
        subject = naming.event_subject("demo", "community", "help_nudged", 1)
        # The first event twice, past JetStream's deduplication (distinct message ids): a redelivery.
        for n, event in enumerate([first, first, second]):
            await js.publish(subject, event.to_json(), headers={naming.HEADER_MSG_ID: f"{event.id}-{n}"})
    finally:
        await nc.drain()

    deadline = asyncio.get_running_loop().time() + 60
    while len(nudges_to(platform, email)) < 2:  # notifications heard of the helper, then of both nudges
        assert asyncio.get_running_loop().time() < deadline, nudges_to(platform, email)
        await asyncio.sleep(0.3)
    mails = nudges_to(platform, email)
    assert len(mails) == 2, "one per offer, the redelivery sent nothing"
    assert mails[0]["subject"] == "Reminder: a help request is waiting for you"
    alumnus = platform.issue_token("alumnus", member_id=helper)
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30,
                                 headers={"Authorization": f"Bearer {alumnus}"}) as http:
        feed = (await http.get("/api/v1/me/notifications")).json()["items"]
    assert sum(1 for item in feed if item["kind"] == "help_nudge") == 2, feed
