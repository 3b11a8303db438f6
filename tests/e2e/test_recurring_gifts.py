"""Recurring gifts charged automatically, through the whole platform as in `make run`: an alumna
sets up a monthly gift through the local provider's page (the first period paid, the card saved);
the same signed webhook twice is one gift; a month later the scheduler's charge is declined → the
gift is `failed`, visible to her and to staff, and she gets one reminder email (and an in-app
entry) with the link to update her card; the retry three days later succeeds → `active`; every
charge is a gift with its receipt. Time advances through the test clock of the local runner
(`as_of`), never by sleeping."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from alumni_local.runner import Platform
from fundraising_service.adapters.stripe_checkout import local_event, sign_webhook

pytestmark = pytest.mark.e2e
ENTITY = {"entity_id": "fondation-rg-e2e", "name": "Fondation des dons réguliers", "purpose": "Bourses",
          "may_issue_receipts": True, "status": "fondation reconnue d'utilité publique",
          "address": {"line1": "1 rue de l'École", "postal_code": "75005", "city": "Paris"}}
EMAIL = "reguliere@example.org"


def next_month(d: date) -> date:
    return d.replace(year=d.year + (d.month == 12), month=d.month % 12 + 1, day=min(d.day, 28))


def mails(platform: Platform) -> list[dict[str, Any]]:
    return [m for m in httpx.get(platform.mailbox_url, timeout=5).json()["messages"] if EMAIL in m["to"]]


async def until(check: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.25)


async def test_monthly_gift_charged_declined_reminded_once_retried_and_receipted(platform: Platform) -> None:
    manager = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    nc = await platform.connect_nats()
    sent = await nc.subscribe("evt.demo.notifications.notification_sent.v1")
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as api, \
            httpx.AsyncClient(timeout=30) as web:
        r = await api.post("/api/v1/members", headers=manager, json={
            "first_name": "Régine", "last_name": "Mensuelle", "email": EMAIL, "locale": "fr",
            "cohort": {"program": "MBA", "graduation_year": 2015}})
        assert r.status_code == 201, r.text
        member_id = r.json()["member_id"]
        alumna = {"Authorization": f"Bearer {platform.issue_token('alumnus', subject='rg', member_id=member_id)}"}
        r = await api.post("/api/v1/campaigns", headers=manager, json={
            "name_fr": "Dons réguliers", "name_en": "Regular giving", "goal_minor": 1_000_000, "currency": "EUR",
            "legal_entity": ENTITY})
        assert r.status_code == 201, r.text
        cid = r.json()["campaign_id"]

        body = {"campaign_id": cid, "amount_minor": 2500, "currency": "EUR", "frequency": "monthly",
                "receipt": "per_gift", "donor": {"address": {"line1": "3 rue Neuve", "postal_code": "69001",
                                                             "city": "Lyon"}}}
        for bad, status in [({**body, "amount_minor": 0}, 422), ({**body, "currency": "XYZ"}, 422),
                            ({**body, "frequency": "weekly"}, 422), ({**body, "campaign_id": "nope"}, 404)]:
            r = await api.post("/api/v1/recurring-gifts/checkout", headers=alumna, json=bad)
            assert r.status_code in (status, 422), (bad, r.text)  # 422 also while the member is being projected
            assert r.headers["content-type"] == "application/problem+json"

        async def opened() -> httpx.Response | None:
            r = await api.post("/api/v1/recurring-gifts/checkout", headers=alumna, json=body)
            return None if r.status_code == 422 and "unknown-member" in r.text else r
        r = await until(opened, "the member reaches fundraising's projection")
        assert r.status_code == 201, r.text
        checkout = r.json()
        rg_id = checkout["recurring_gift_id"]
        page = await web.get(checkout["url"])
        assert page.status_code == 200 and 'value="pay_flaky"' in page.text, "the page saves a card"
        # What the page posts when the alumna clicks "pay — each period declined once", signed like
        # Stripe; the very same webhook twice is one recurring gift and one gift.
        query = parse_qs(urlsplit(checkout["url"]).query)
        event = local_event(session_id=urlsplit(checkout["url"]).path.rsplit("/", 1)[1],
                            checkout_id=checkout["checkout_id"], tenant="demo", amount_minor=2500, currency="EUR",
                            methods=query["methods"][0].split(","), paid=True, created=int(time.time()),
                            mandate="flaky")
        hook = f"{platform.gateway_url}/api/v1/payments/webhooks/local?tenant=demo"
        outcomes = []
        for _ in range(2):
            signed = {"Stripe-Signature": sign_webhook(event, platform.webhook_secret(), int(time.time())),
                      "Content-Type": "application/json"}
            w = await web.post(hook, content=event, headers=signed)
            assert w.status_code == 200, w.text
            outcomes.append(w.json()["outcome"])
        assert outcomes == ["processed", "duplicate"]

        mine = (await api.get("/api/v1/me/donations", headers=alumna)).json()
        [rg] = [x for x in mine["recurring"] if x["recurring_gift_id"] == rg_id]
        [first_gift] = [g for g in mine["gifts"] if g["recurring_gift_id"] == rg_id]
        first = date.fromisoformat(first_gift["paid_on"])
        period = next_month(first)
        assert (rg["status"], rg["collection"], rg["charges"], rg["next_charge_on"], rg["provider"]) == (
            "active", "scheduled", 1, period.isoformat(), "local")

        # The platform is shared with other e2e tests: other demo gifts may fall due on the same
        # days, so the run's totals are at least ours and the gift itself tells what happened.
        async def ours() -> dict[str, Any]:
            mine = (await api.get("/api/v1/me/donations", headers=alumna)).json()
            [found] = [x for x in mine["recurring"] if x["recurring_gift_id"] == rg_id]
            return dict(found)

        # Not yet due: nothing charged. Another tenant's manager charges nothing of ours.
        r = await api.post("/api/v1/recurring-gifts/charge-due", headers=manager,
                           json={"as_of": (period - timedelta(days=1)).isoformat()})
        assert r.status_code == 200 and (await ours())["charges"] == 1, r.text
        other = {"Authorization": f"Bearer {platform.issue_token('manager', tenant='other')}"}
        r = await api.post("/api/v1/recurring-gifts/charge-due", headers=other, json={"as_of": period.isoformat()})
        assert r.status_code == 200 and r.json()["due"] == 0, r.text
        assert (await api.post("/api/v1/recurring-gifts/charge-due", headers=alumna, json={})).status_code == 403
        assert (await api.post(f"/api/v1/recurring-gifts/{rg_id}/payment-method", headers=other)).status_code == 404
        r = await api.post(f"/api/v1/recurring-gifts/{rg_id}/payment-method", headers=alumna)
        assert r.status_code == 409, "an active gift's card needs no update"

        # The month's charge is declined (the saved card declines each period's first attempt).
        r = await api.post("/api/v1/recurring-gifts/charge-due", headers=manager, json={"as_of": period.isoformat()})
        assert r.status_code == 200 and r.json()["failed"] >= 1, r.text
        assert ((await ours())["charges"], (await ours())["failures"]) == (1, 1)
        again = await api.post("/api/v1/recurring-gifts/charge-due", headers=manager,
                               json={"as_of": period.isoformat()})
        assert again.status_code == 200 and again.json()["failed"] == 0, again.text
        assert ((await ours())["charges"], (await ours())["failures"]) == (1, 1), \
            "the failed period waits for its retry, never charged twice a day"
        mine = (await api.get("/api/v1/me/donations", headers=alumna)).json()
        [rg] = [x for x in mine["recurring"] if x["recurring_gift_id"] == rg_id]
        retry = period + timedelta(days=3)
        assert (rg["status"], rg["collection"], rg["last_failure"], rg["next_attempt_on"]) == (
            "failed", "retrying", "card_declined", retry.isoformat())
        staff = (await api.get(f"/api/v1/recurring-gifts?member_id={member_id}&status=failed", headers=manager)).json()
        assert [x["recurring_gift_id"] for x in staff["items"]] == [rg_id]

        async def reminded() -> list[dict[str, Any]]:
            return [m for m in mails(platform) if "don régulier" in m["subject"]]
        [mail] = await until(reminded, "the donor's reminder email")
        assert mail["subject"] == "Votre don régulier n'a pas pu être prélevé", mail
        text = mail["body"]
        assert "/console#my-donations-panel" in text and retry.isoformat() in text, text
        feed = (await api.get("/api/v1/me/notifications", headers=alumna)).json()
        assert [i["kind"] for i in feed["items"]].count("recurring_gift_failed") == 1
        # Recorded as sent (its key is a valid Message-ID and `notification_sent` id): never re-sent.
        deadline = time.monotonic() + 60
        while True:
            data = json.loads((await sent.next_msg(timeout=max(0.1, deadline - time.monotonic()))).data)["data"]
            if data["member_id"] == member_id and data["notification_id"].startswith("rgf-"):
                break
        assert mail["message_id"] == f"<{data['notification_id']}@{mail['message_id'].split('@')[1]}"

        # A card update opens a checkout for the overdue period (the reminder's link).
        r = await api.post(f"/api/v1/recurring-gifts/{rg_id}/payment-method", headers=alumna)
        assert r.status_code == 201 and r.json()["recurring_gift_id"] == rg_id, r.text

        # Three days later the retry succeeds: active again, the schedule kept on the period's day.
        r = await api.post("/api/v1/recurring-gifts/charge-due", headers=manager, json={"as_of": retry.isoformat()})
        assert r.status_code == 200 and r.json()["charged"] >= 1, r.text
        mine = (await api.get("/api/v1/me/donations", headers=alumna)).json()
        [rg] = [x for x in mine["recurring"] if x["recurring_gift_id"] == rg_id]
        assert (rg["status"], rg["collection"], rg["charges"], rg["failures"], rg["next_charge_on"]) == (
            "active", "scheduled", 2, 0, next_month(period).isoformat())
        gifts = [g for g in mine["gifts"] if g["recurring_gift_id"] == rg_id]
        assert sorted(g["paid_on"] for g in gifts) == [first.isoformat(), retry.isoformat()]
        assert {g["provider"] for g in gifts} == {"local"}

        # Each charge is receipted like any gift; the reminder went out once.
        async def receipted() -> list[dict[str, Any]]:
            found = (await api.get("/api/v1/me/receipts", headers=alumna)).json()["items"]
            return found if len(found) == 2 else []
        receipts = await until(receipted, "one receipt per charge")
        assert sorted(r["amount_minor"] for r in receipts) == [2500, 2500]
        assert len(await reminded()) == 1
    await nc.close()
