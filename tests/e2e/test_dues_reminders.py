"""Dues reminders through the whole platform: a membership entering grace (the members
service's `membership_entered_grace`, published on the bus as its outbox relay would — the
scheduler's clock cannot be advanced a year in an end-to-end test) produces one `expired`
reminder in the member's language, in the SMTP sink, whatever is redelivered."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from alumni_contracts import naming
from alumni_contracts.envelope import CloudEvent
from alumni_contracts.members.membership_v1 import (
    MembershipActivated,
    MembershipEnteredGrace,
    MembershipState,
    PlanKind,
)
from alumni_local.runner import Platform

pytestmark = pytest.mark.e2e


def mails_to(platform: Platform, email: str) -> list[dict[str, Any]]:
    messages = httpx.get(platform.mailbox_url, timeout=5).json()["messages"]
    return [m for m in messages if email in m["to"]]


async def test_a_membership_entering_grace_sends_the_expired_reminder_once(platform: Platform) -> None:
    email = "late.payer@example.org"
    token = platform.issue_token("manager")
    async with httpx.AsyncClient(base_url=platform.gateway_url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=30) as http:
        r = await http.post("/api/v1/members", headers={"Idempotency-Key": "e2e-late-payer"}, json={
            "first_name": "Léa", "last_name": "Retard", "email": email, "locale": "en",
            "cohort": {"program": "MSc Finance", "graduation_year": 2015}})
        assert r.status_code == 201, r.text
        member_id = r.json()["member_id"]

    now = datetime.now(UTC).replace(microsecond=0)
    until, grace_until = now - timedelta(hours=1), now + timedelta(days=30)
    common: dict[str, Any] = {"membership_id": f"ms-{member_id}", "member_id": member_id, "plan_id": "standard",
                              "plan_kind": PlanKind.ANNUAL, "paid_until": until}
    activated = CloudEvent.wrap(MembershipActivated(
        **common, status=MembershipState.ACTIVE, reason="paid", at=until - timedelta(days=365),
        payment_id="pay-1", reactivation=False), tenant="demo", subject=f"ms-{member_id}", aggregate_version=1,
        correlation_id="e2e-dues")
    grace = CloudEvent.wrap(MembershipEnteredGrace(
        **common, status=MembershipState.IN_GRACE, reason="period-ended", at=until, grace_until=grace_until),
        tenant="demo", subject=f"ms-{member_id}", aggregate_version=2, correlation_id="e2e-dues")
    nc = await platform.connect_nats()
    js = nc.jetstream()
    # The grace event twice, past JetStream's deduplication (distinct message ids): a redelivery.
    published: list[CloudEvent[Any]] = [activated, grace, grace]
    for n, event in enumerate(published):
        subject = naming.event_subject("demo", "members", event.data.event_name, 1)
        await js.publish(subject, event.to_json(), headers={naming.HEADER_MSG_ID: f"{event.id}-{n}"})

    deadline = asyncio.get_running_loop().time() + 60
    while not any(m["subject"].startswith("Your membership expired") for m in mails_to(platform, email)):
        assert asyncio.get_running_loop().time() < deadline, mails_to(platform, email)
        await asyncio.sleep(0.3)
    await asyncio.sleep(3)  # a few more sweeps (every second here): nothing more
    reminders = [m for m in mails_to(platform, email) if "membership" in m["subject"].lower()]
    assert len(reminders) == 1, reminders
    assert reminders[0]["subject"] == f"Your membership expired on {until.day} {until:%B} {until.year}"
    await nc.drain()
