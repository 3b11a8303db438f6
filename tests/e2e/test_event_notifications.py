"""End to end: registrants hear about their gathering, through the whole platform.

Register → the confirmation email (in the member's language) with the ticket's QR code inline
and the `.ics` attached, both carrying the ticket code the member's own API shows; no event on
`evt.>` carries that code. A material update → each registrant told once, a redelivered
`event_updated` (the same CloudEvent republished) tells nobody again; a typo → nobody. The
gathering cancelled → each registrant told, with the cancellation policy."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import segno
from nats.errors import TimeoutError as NatsTimeout
from pymongo import AsyncMongoClient

from alumni_local.runner import Platform

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


def auth(platform: Platform, roles: str, member_id: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {platform.issue_token(roles, member_id=member_id)}"}


def qr_png(code: str) -> bytes:  # as notifications draws it (adapters/tickets.py)
    out = io.BytesIO()
    segno.make_qr(code, error="m", boost_error=False).save(out, kind="png", scale=6, border=2)
    return out.getvalue()


async def test_registrants_are_told_once_of_confirmation_change_and_cancellation(platform: Platform) -> None:
    nc = await platform.connect_nats()
    seen = await nc.subscribe("evt.>")  # everything a partner could be sent, and more
    manager = auth(platform, "manager")
    emails = {"fr": "ines.billet-e2e@example.org", "en": "ian.ticket-e2e@example.org"}
    try:
        async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as http:
            members: dict[str, str] = {}
            for locale, email in emails.items():
                r = await http.post("/api/v1/members", headers=manager, json={
                    "first_name": "Billet", "last_name": f"E2E-{locale}", "email": email, "locale": locale,
                    "cohort": {"program": "MSc Tickets", "graduation_year": 2016}})
                assert r.status_code == 201, r.text
                members[locale] = r.json()["member_id"]
            for email in emails.values():  # notifications knows the address once the welcome is out
                await eventually(lambda e=email: asyncio.to_thread(mails_to, platform, e), "the welcome email")

            r = await http.post("/api/v1/events", headers=manager, json={
                "title": "Gala billets e2e", "title_en": "Ticket gala e2e", "starts_at": "2031-06-14T19:00:00+02:00",
                "ends_at": "2031-06-14T23:00:00+02:00", "timezone": "Europe/Paris", "venue": "Campus de Cergy",
                "capacity": 10, "cancellation_policy": "Remboursement intégral jusqu'à 7 jours avant."})
            assert r.status_code == 201, r.text
            event_id = r.json()["event_id"]
            codes: dict[str, str] = {}
            for locale, member_id in members.items():
                me = auth(platform, "alumnus", member_id)
                r = await http.post(f"/api/v1/events/{event_id}/registrations", headers=me, json={})
                assert r.status_code == 201, r.text
                mine = await http.get(f"/api/v1/me/registrations/{r.json()['registration_id']}", headers=me)
                codes[locale] = mine.json()["ticket_code"]
                assert codes[locale]

            # The confirmation: QR of the code inline (the HTML shows it by Content-ID), .ics attached.
            async def confirmation(locale: str) -> dict[str, Any] | None:
                found = [m for m in await asyncio.to_thread(mails_to, platform, emails[locale])
                         if "e2e" in m["subject"] and ("confirm" in m["subject"].lower())]
                return found[0] if found else None

            for locale, subject in (("fr", "Inscription confirmée : Gala billets e2e"),
                                    ("en", "Registration confirmed: Ticket gala e2e")):
                mail = await eventually(lambda loc=locale: confirmation(loc), f"the {locale} confirmation")
                assert mail["subject"] == subject and mail["language"] == locale
                files = {a["content_type"]: a for a in mail["attachments"]}
                qr, ics = files["image/png"], files["text/calendar"]
                assert qr["disposition"] == "inline" and f'cid:{qr["content_id"]}' in mail["html"]
                assert base64.b64decode(qr["data"]) == qr_png(codes[locale]), "the QR code encodes the ticket code"
                calendar = base64.b64decode(ics["data"]).decode()
                assert codes[locale] in calendar and "BEGIN:VTIMEZONE" in calendar
                assert "DTSTART;TZID=Europe/Paris:20310614T190000" in calendar
                assert codes[locale] in mail["body"]

            # A typo: nobody told. Then a material change: each registrant once.
            r = await http.patch(f"/api/v1/events/{event_id}", headers=manager,
                                 json={"description": "Tenue de soirée"})
            assert r.status_code == 200, r.text
            r = await http.patch(f"/api/v1/events/{event_id}", headers=manager, json={
                "venue": "Salle Gaveau, Paris", "starts_at": "2031-06-14T20:00:00+02:00"})
            assert r.status_code == 200, r.text

            def about(locale: str, word: str) -> list[dict[str, Any]]:
                return [m for m in mails_to(platform, emails[locale]) if word in m["subject"]
                        and "e2e" in m["subject"]]

            for locale, word in (("fr", "Changement"), ("en", "Change:")):
                [changed] = await eventually(lambda loc=locale, w=word: asyncio.to_thread(about, loc, w),
                                             f"the {locale} change email")
                assert "Salle Gaveau" in changed["body"] and "20:00" in changed["body"]

            # Redelivery: the same event_updated CloudEvent published again (a new JetStream message):
            # the consumer's inbox and the delivery key keep it from telling anyone twice.
            bodies: list[bytes] = []

            async def collect(timeout: float) -> None:
                while True:
                    try:
                        msg = await seen.next_msg(timeout=timeout)
                    except NatsTimeout:
                        return
                    bodies.append(msg.data)
                    if b"org.alumni.events.event_updated.v1" in msg.data and update_of(msg.data):
                        material.append(msg)

            def update_of(data: bytes) -> bool:
                body = json.loads(data)
                return bool(body["data"]["event_id"] == event_id and body["data"].get("material"))

            material: list[Any] = []
            deadline = time.monotonic() + 30
            while not material:
                assert time.monotonic() < deadline, "the material event_updated never seen on evt.>"
                await collect(0.5)
            js = nc.jetstream()
            ack = await js.publish(material[0].subject, material[0].data,
                                   headers={"Nats-Msg-Id": f"again-{material[0].headers['Nats-Msg-Id']}"})

            async def consumed() -> bool:
                info = await js.consumer_info("EVT_EVENTS", "notifications-ev-updated")
                return bool(info.delivered.stream_seq >= ack.seq and info.num_ack_pending == 0
                            and info.num_pending == 0)

            await eventually(consumed, "notifications to handle the republished event_updated")

            # Cancellation: each registrant told, with the policy.
            r = await http.post(f"/api/v1/events/{event_id}/cancel", headers=manager, json={"reason": "Grève"})
            assert r.status_code == 200, r.text
            for locale, word in (("fr", "Annulation"), ("en", "Cancelled:")):
                [cancelled] = await eventually(lambda loc=locale, w=word: asyncio.to_thread(about, loc, w),
                                               f"the {locale} cancellation")
                assert "Remboursement intégral" in cancelled["body"] and "Grève" in cancelled["body"]
            # The republished update was acknowledged, so anything it queued was committed before:
            # one change message per registrant in notifications' queue, and no email sent twice.
            assert platform.mongo_uri is not None
            client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(platform.mongo_uri)
            try:
                queued = client["alumni_notifications"]["notifications"]
                for locale, member_id in members.items():
                    assert await queued.count_documents({"tenant": "demo", "member_id": member_id,
                                                         "template": "gathering_updated"}) == 1
                    assert len(await asyncio.to_thread(about, locale, "hange")) == 1
                    assert not [m for m in mails_to(platform, emails[locale]) if m["duplicate"]]
            finally:
                await client.close()

        # No event on the bus carries a ticket code (in clear).
        await collect(0.5)
        confirmed = [b for b in bodies if b"registration_confirmed" in b and event_id.encode() in b]
        assert len(confirmed) == 2 and all(b'"ticket_sealed":"v1.' in b for b in confirmed)
        for code in codes.values():
            assert not [b for b in bodies if code.encode() in b or code.replace("-", "").encode() in b]
    finally:
        await nc.drain()
