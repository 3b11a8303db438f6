"""Invitations through the whole platform (issue 11 items 3 and 7): a segment invited once →
one invitation email per consenting invitee in the SMTP sink (none without consent), whatever
is redelivered; the email's one-click RSVP link answers without login (registered, then the
waitlist once full; declined), a tampered, expired or foreign link is refused; the staff list
shows the answers and the figures count the invitees (invited → registered conversion)."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from alumni_contracts import naming
from alumni_contracts.envelope import CloudEvent
from alumni_contracts.events.v1 import MemberInvited
from alumni_local.runner import Platform
from notifications_service.domain.rsvp_links import RsvpLinks

pytestmark = pytest.mark.e2e
YEAR = 1991


def address(name: str, run: str) -> str:
    return f"{name}.invite.{run}@example.org"


def invitations_to(platform: Platform, email: str) -> list[dict[str, Any]]:
    messages = httpx.get(platform.mailbox_url, timeout=5).json()["messages"]
    return [m for m in messages if email in m["to"] and m["subject"].startswith("Invitation")]


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


def auth(platform: Platform, roles: str, member_id: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {platform.issue_token(roles, tenant='demo', member_id=member_id)}"}


async def member(http: httpx.AsyncClient, platform: Platform, name: str, locale: str, consent: bool,
                 run: str) -> str:
    r = await http.post("/api/v1/members", headers=auth(platform, "manager"), json={
        "first_name": name, "last_name": "Invitée", "email": address(name.lower(), run), "locale": locale,
        "cohort": {"program": f"MSc Invitations {run}", "graduation_year": YEAR}})
    assert r.status_code == 201, r.text
    member_id = str(r.json()["member_id"])
    if consent:
        me = auth(platform, "alumnus", member_id)
        r = await http.put("/api/v1/me/consents/newsletter", headers=me,
                           json={"granted": True, "text_version": "v1", "language": locale})
        assert r.status_code == 200, r.text

        async def projected() -> bool:  # notifications knows the consent before the invitation arrives
            prefs = (await http.get("/api/v1/me/notification-preferences", headers=me)).json()
            return prefs["consents"]["newsletter"] is True

        await eventually(projected, f"{name}'s consent in notifications")
    return member_id


def link_of(mail: dict[str, Any]) -> str:
    [url] = re.findall(r"https?://\S+/api/v1/public/rsvp\?\S+", mail["body"])
    return url[url.index("/api/v1/public/rsvp"):]


async def test_invitation_emails_once_each_and_one_click_rsvp(platform: Platform) -> None:
    staff = auth(platform, "manager")
    run = uuid.uuid4().hex[:8]  # this run's invitees only (the platform is shared by the session's tests)
    segment = {"cohort_years": [YEAR], "programs": [f"MSc Invitations {run}"]}
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as http:
        ana = await member(http, platform, "Ana", "fr", consent=True, run=run)
        ben = await member(http, platform, "Ben", "en", consent=True, run=run)
        cyd = await member(http, platform, "Cyd", "fr", consent=False, run=run)
        starts = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
        r = await http.post("/api/v1/events", headers=staff, json={
            "title": "Retrouvailles 1991", "title_en": "Class of 1991 reunion", "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=4)).isoformat(), "timezone": "Europe/Paris",
            "venue": "Campus", "capacity": 1, "visibility": "invited"})
        assert r.status_code == 201, r.text
        event_id = r.json()["event_id"]
        invitations = f"/api/v1/events/{event_id}/invitations"

        async def previewed() -> bool:  # the events service's audience projection has all three
            r = await http.post(invitations + "/preview", headers=staff, json={"segment": segment})
            assert r.status_code == 200, r.text
            return bool(r.json()["count"] == 3)

        await eventually(previewed, "the audience projection")
        bad = await http.post(invitations + "/preview", headers=staff, json={"segment": {"cohort_years": [1066]}})
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
        r = await http.post(invitations + "/preview", headers=auth(platform, "alumnus", ana),
                            json={"segment": segment})
        assert r.status_code == 403

        r = await http.post(invitations, headers={**staff, "Idempotency-Key": f"invite-{event_id}"},
                            json={"segment": segment})
        assert r.status_code == 201 and r.json()["invited"] == 3, r.text

        # One email each to the consenting invitees, in their language; none without consent.
        [to_ana] = await eventually(lambda: asyncio.to_thread(invitations_to, platform, address("ana", run)),
                                    "Ana's invitation")
        [to_ben] = await eventually(lambda: asyncio.to_thread(invitations_to, platform, address("ben", run)),
                                    "Ben's invitation")
        assert to_ana["subject"] == "Invitation : Retrouvailles 1991" and to_ana["language"] == "fr"
        assert to_ben["subject"] == "Invitation: Class of 1991 reunion" and to_ben["list_unsubscribe_post"]

        # A redelivery (same event id twice, past JetStream's deduplication) and a re-emission (a new
        # event id for the same invitee): no second email.
        again = CloudEvent.wrap(MemberInvited(
            registration_id="r-again", event_id=event_id, member_id=ana, invited_at=datetime.now(UTC),
            title="Retrouvailles 1991", starts_at=starts, ends_at=starts + timedelta(hours=4),
            timezone="Europe/Paris"), tenant="demo", subject="r-again", aggregate_version=1, correlation_id="e2e-rsvp")
        nc = await platform.connect_nats()
        try:
            js = nc.jetstream()
            for n in range(2):
                await js.publish(naming.event_subject("demo", "events", "member_invited", 1), again.to_json(),
                                 headers={naming.HEADER_MSG_ID: f"{again.id}-{n}"})

            async def consumed() -> bool:  # notifications acked everything (acks follow the commit)
                info = await js.consumer_info(naming.stream_name("events"),
                                              naming.durable_name("notifications", "member_invited"))
                return info.num_pending == 0 and info.num_ack_pending == 0

            await eventually(consumed, "notifications to handle the redelivered invitations")
        finally:
            await nc.drain()

        # The link, without login: GET shows the choices, POST answers.
        ana_link, ben_link = link_of(to_ana), link_of(to_ben)
        page = await http.get(ana_link)
        assert page.status_code == 200 and "Retrouvailles 1991" in page.text and "Je m&#x27;inscris" in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"] and "<script" not in page.text
        r = await http.post(ana_link + "&answer=registered", headers={"Accept": "application/json"})
        assert r.status_code == 200 and r.json()["status"] == "registered", r.text
        r = await http.post(ana_link + "&answer=registered")  # a second click
        assert r.status_code == 409 and "déjà inscrit" in r.text
        r = await http.post(ben_link + "&answer=declined")
        assert r.status_code == 200 and "decline" in r.text
        r = await http.post(ben_link + "&answer=registered", headers={"Accept": "application/json"})
        assert r.json()["status"] == "waitlisted", "the only seat is Ana's: the same use case waitlists"

        # Refused links: tampered, another tenant, expired, an unknown answer.
        token = ben_link.split("token=")[1]
        tampered = ben_link.replace(token, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
        r = await http.post(tampered + "&answer=declined", headers={"Accept": "application/json"})
        assert r.status_code == 400 and r.json()["type"].endswith("invalid-rsvp-link")
        assert (await http.get(tampered)).status_code == 400
        assert (await http.get(ben_link.replace("tenant=demo", "tenant=other"))).status_code in (400, 404)
        expired = RsvpLinks(platform.email_secret("unsubscribe")).issue(
            "demo", ben, event_id, "en", datetime.now(UTC) - timedelta(seconds=1))
        r = await http.get(f"/api/v1/public/rsvp?tenant=demo&token={expired}", headers={"Accept-Language": "en"})
        assert r.status_code == 410 and "has expired" in r.text
        assert (await http.post(ben_link + "&answer=maybe")).status_code == 422

        # Staff see the answers; the figures count the three invitees (one registered: 1/3).
        listed = (await http.get(f"/api/v1/events/{event_id}/registrations", headers=staff)).json()["items"]
        assert {(r["member_id"], r["status"]) for r in listed} == {
            (ana, "registered"), (ben, "waitlisted"), (cyd, "invited")}

        async def converted() -> Any:
            figures = (await http.get(f"/api/v1/events/{event_id}/figures", headers=staff)).json()
            return figures if figures["invited"] == 3 and figures["registered"] == 1 else None

        figures = await eventually(converted, "the figures")
        assert figures["conversion"]["numerator"] == 1 and figures["conversion"]["denominator"] == 3

        # Still one email each: the redelivery and the re-emission were handled (acked) above.
        assert len(invitations_to(platform, address("ana", run))) == 1
        assert len(invitations_to(platform, address("ben", run))) == 1
        assert invitations_to(platform, address("cyd", run)) == []
