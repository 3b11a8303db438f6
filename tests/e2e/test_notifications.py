"""Notifications through the whole platform: branded bilingual HTML email in the sink, the
in-app feed, preferences, one-click unsubscribe without login recorded in members' consent
ledger, bounces (the sink's refusals and the provider's signed webhook) turning into
`email_bounced`, contactability per cohort, and an SMTP server that is down delaying but
losing nothing."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform
from notifications_service.domain.unsubscribe import UnsubscribeSigner
from notifications_service.service_layer.member_notifications import sign

pytestmark = pytest.mark.e2e


def mails_to(platform: Platform, email: str) -> list[dict[str, Any]]:
    messages = httpx.get(platform.mailbox_url, timeout=5).json()["messages"]
    return [m for m in messages if email in m["to"]]


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


def auth(platform: Platform, roles: str, member_id: str | None = None, tenant: str = "demo") -> dict[str, str]:
    return {"Authorization": f"Bearer {platform.issue_token(roles, tenant=tenant, member_id=member_id)}"}


async def register(http: httpx.AsyncClient, platform: Platform, email: str, locale: str, year: int = 2016) -> str:
    r = await http.post("/api/v1/members", headers=auth(platform, "manager"), json={
        "first_name": "Zoé <b>", "last_name": "Courriel", "email": email, "locale": locale,
        "cohort": {"program": "MSc Mail", "graduation_year": year}})
    assert r.status_code == 201, r.text
    return str(r.json()["member_id"])


async def test_welcome_feed_preferences_and_one_click_unsubscribe(platform: Platform) -> None:
    email = "zoe.courriel@example.org"
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as http:
        member_id = await register(http, platform, email, "en")
        me = auth(platform, "alumnus", member_id)
        [welcome] = await eventually(lambda: asyncio.to_thread(mails_to, platform, email), "the welcome email")
        assert welcome["language"] == "en" and welcome["subject"].startswith("Welcome")
        assert 'lang="en"' in welcome["html"] and "Zoé &lt;b&gt;" in welcome["html"] and "style=" in welcome["html"]
        assert welcome["list_unsubscribe"] == "", "transactional mail has no unsubscribe header"

        # The in-app feed, fed by the same event.
        feed = (await http.get("/api/v1/me/notifications", headers=me)).json()
        assert feed["unread"] == 1 and feed["items"][0]["kind"] == "welcome"
        assert (await http.get("/api/v1/me/notifications", headers=me, params={"after": "bm9wZQ"})).status_code == 400
        r = await http.post("/api/v1/me/notifications/read", headers=me, json={})
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        r = await http.post("/api/v1/me/notifications/read", headers=me, json={"all": True})
        assert r.json() == {"marked": 1, "unread": 0}
        assert (await http.get("/api/v1/me/notifications")).status_code == 401

        # Preferences.
        r = await http.put("/api/v1/me/notification-preferences", headers=me, json={
            "choices": [{"category": "jobs", "channel": "email", "enabled": False}]})
        assert r.status_code == 200 and r.json()["preferences"]["jobs"] == {"email": False, "in_app": True}
        r = await http.put("/api/v1/me/notification-preferences", headers=me, json={
            "choices": [{"category": "spam", "channel": "email", "enabled": False}]})
        assert r.status_code == 422

        # Newsletter consent granted; a one-click unsubscribe link (as a newsletter carries it).
        r = await http.put("/api/v1/me/consents/newsletter", headers=me,
                           json={"granted": True, "text_version": "v1", "language": "en"})
        assert r.status_code == 200
        token = UnsubscribeSigner(platform.email_secret("unsubscribe")).issue("demo", member_id, "newsletters", "en",
                                                                               datetime.now(UTC))
        url = f"/api/v1/public/unsubscribe?tenant=demo&token={token}"
        page = await http.get(url)
        assert page.status_code == 200 and "Stop receiving the newsletter by email?" in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"] and "<script" not in page.text
        r = await http.post(url, data={"List-Unsubscribe": "One-Click"})  # RFC 8058, no login
        assert r.status_code == 200 and "no longer receive the newsletter" in r.text
        again = await http.post(url, data={"List-Unsubscribe": "One-Click"}, headers={"Accept": "application/json"})
        assert again.json() == {"category": "newsletters", "locale": "en"}
        assert (await http.get(url.replace("tenant=demo", "tenant=other"))).status_code == 400
        bad = await http.post(url[:-4] + "AAAA", headers={"Accept": "application/json"})
        assert bad.status_code == 400 and bad.json()["type"].endswith("invalid-unsubscribe-token")

        async def withdrawn() -> bool:
            ledger = (await http.get("/api/v1/me/consents", headers=me)).json()
            last = [h for h in ledger["history"] if h["purpose"] == "newsletter"][-1]
            return last["granted"] is False and last["channel"] == "email"

        await eventually(withdrawn, "members to record the withdrawal in its ledger")
        prefs = (await http.get("/api/v1/me/notification-preferences", headers=me)).json()
        assert prefs["preferences"]["newsletters"]["email"] is False
        await eventually(lambda: _consent_projected(http, me), "notifications to project the withdrawal")


async def _consent_projected(http: httpx.AsyncClient, me: dict[str, str]) -> bool:
    prefs = (await http.get("/api/v1/me/notification-preferences", headers=me)).json()
    return prefs["consents"]["newsletter"] is False


async def test_bounces_flag_the_member_and_count_in_contactability(platform: Platform) -> None:
    manager = auth(platform, "manager")
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as http:
        # The sink refuses bounce* recipients for good: the welcome is a hard bounce.
        bouncing = await register(http, platform, "bounce.someone@example.org", "fr", year=1999)

        async def flagged(member_id: str) -> bool:
            r = await http.get(f"/api/v1/members/{member_id}", headers=manager)
            return bool(r.json().get("email_bounced"))

        await eventually(lambda: flagged(bouncing), "members to flag the hard bounce")

        # The provider's signed webhook: a hard bounce report for a delivered welcome.
        email = "provider.bounce@example.org"
        member_id = await register(http, platform, email, "fr", year=1999)
        [welcome] = await eventually(lambda: asyncio.to_thread(mails_to, platform, email), "the welcome email")
        body = json.dumps({"id": "prov-1", "type": "bounce", "bounce_type": "hard",
                           "message_id": welcome["message_id"]})
        path = "/api/v1/notifications/webhooks/bounces?tenant=demo"
        secret = platform.email_secret("bounces")
        r = await http.post(path, content=body, headers={"X-Alumni-Signature": sign("wrong-secret", body)})
        assert r.status_code == 400
        r = await http.post(path, content=body, headers={"X-Alumni-Signature": sign(secret, body)})
        assert r.status_code == 200 and r.json() == {"outcome": "processed"}
        r = await http.post(path, content=body, headers={"X-Alumni-Signature": sign(secret, body)})
        assert r.json() == {"outcome": "duplicate"}
        r = await http.post(path.replace("demo", "other"), content=body, headers={"X-Alumni-Signature": sign(secret, body)})
        assert r.json() == {"outcome": "ignored"}, "another tenant's report finds no message"
        await eventually(lambda: flagged(member_id), "members to flag the provider's bounce")

        healthy = await register(http, platform, "reachable@example.org", "fr", year=1999)
        assert healthy

        async def cohort() -> dict[str, Any] | None:
            report = (await http.get("/api/v1/notifications/contactability", headers=manager)).json()
            row = next((c for c in report["cohorts"] if (c["program"], c["graduation_year"]) == ("MSc Mail", 1999)),
                       None)
            return row if row and row["alumni"] == 3 and row["contactable"] == 1 else None

        row = await eventually(cohort, "contactability of the 1999 cohort")
        assert row["ratio"] == pytest.approx(1 / 3, abs=1e-3)
        assert (await http.get("/api/v1/notifications/contactability",
                               headers=auth(platform, "alumnus", healthy))).status_code == 403
        other = (await http.get("/api/v1/notifications/contactability", headers=auth(platform, "manager",
                                                                                    tenant="other"))).json()
        assert all(c["program"] != "MSc Mail" for c in other["cohorts"]), "no cross-tenant figures"


async def test_an_smtp_server_down_delays_but_loses_nothing(platform: Platform) -> None:
    platform.kill("smtp-sink")
    try:
        async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as http:
            addresses = [f"down.{n}@example.org" for n in range(3)]
            for address in addresses:
                await register(http, platform, address, "fr")
            await asyncio.sleep(2)  # the mailer tries, fails and backs off
    finally:
        platform.restart("smtp-sink")

    def delivered() -> bool:
        return all(len(mails_to(platform, a)) == 1 for a in addresses)

    await eventually(lambda: asyncio.to_thread(delivered), "the queued emails after the restart", timeout=90)
    for address in addresses:
        [mail] = mails_to(platform, address)
        assert not mail["duplicate"]
