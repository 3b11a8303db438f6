"""The events demo of `make run` (issue 11): a reunion of the class of 2016 with a small
capacity, so the waitlist shows — registrations, the one after the last seat waitlisted then
promoted when someone cancels, two attendees already checked in at the desk (figures and the
cohort-reach heat map have something to show), and the cohort invited (one invitation email
each with a one-click RSVP link, in the dev mailbox, to those who take the association's
messages). Every request carries an Idempotency-Key: a rerun changes nothing."""

from __future__ import annotations

import asyncio
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from alumni_local.http_retry import describe

CLASS_OF_2016 = [("Camille", "Reunion"), ("Hugo", "Reunion"), ("Inès", "Reunion"), ("Jules", "Reunion"),
                 ("Léa", "Reunion"), ("Malik", "Reunion")]
CAPACITY = 4


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


@dataclass
class EventsDemo:
    event_id: str | None = None
    members: dict[str, str] = field(default_factory=dict)  # "Camille Reunion" → member id
    statuses: dict[str, str] = field(default_factory=dict)  # name → registration status
    codes: dict[str, str] = field(default_factory=dict)  # name → ticket code
    invited: int = 0  # members of the class of 2016 invited (one invitation email each, with consent)
    problems: list[str] = field(default_factory=list)


def _reunion_start(now: datetime) -> datetime:
    """Next June's first Saturday, 19:00 in Paris (17:00 UTC in summer)."""
    year = now.year + (now.month >= 6)
    day = datetime(year, 6, 1, 17, tzinfo=UTC)
    return day + timedelta(days=(5 - day.weekday()) % 7)


async def seed_events_demo(client: httpx.AsyncClient, now: datetime | None = None) -> EventsDemo:
    demo = EventsDemo()

    async def post(path: str, key: str, body: dict[str, Any], ok: tuple[int, ...] = (200, 201, 202)) -> Any:
        r = await client.post(path, json=body, headers={"Idempotency-Key": f"demo-seed-events-{key}"})
        if r.status_code not in ok:
            demo.problems.append(f"{path}: {describe(r)}")
            return None
        return r.json()

    for first, last in CLASS_OF_2016:
        name = f"{first} {last}"
        member = await post("/api/v1/members", f"member-{_ascii(first)}", {
            "first_name": first, "last_name": last, "email": f"{_ascii(first)}.reunion@example.org",
            "cohort": {"program": "Grande École", "graduation_year": 2016}})
        if member:
            demo.members[name] = member["member_id"]
            # They take the association's messages: their invitation email reaches the sink.
            r = await client.put(f"/api/v1/members/{member['member_id']}/consents/newsletter", json={
                "granted": True, "text_version": "lettre-2026", "language": "fr", "channel": "console"},
                headers={"Idempotency-Key": f"demo-seed-events-consent-{_ascii(first)}"})
            if r.status_code != 200:
                demo.problems.append(f"consent of {name}: {describe(r)}")
    start = _reunion_start(now or datetime.now(UTC))
    event = await post("/api/v1/events", "reunion-2016", {
        "title": "Réunion des 10 ans — promo 2016", "title_en": "Class of 2016: 10-year reunion",
        "description": "Dîner et soirée au campus.", "description_en": "Dinner and party on campus.",
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=5)).isoformat(),
        "timezone": "Europe/Paris", "venue": "Campus, 1 avenue de l'École, Paris", "capacity": CAPACITY,
        "organiser": "Association des diplômés",
        "cancellation_policy": "Remboursement intégral jusqu'à 7 jours avant la soirée."})
    if event is None:
        return demo
    demo.event_id = event_id = event["event_id"]
    # The cohort is invited (segments): once the events service's audience projection knows the
    # members just registered and their consents (the count before sending, as the console shows
    # it; a bounded wait — the consents reach notifications through the same stream meanwhile).
    segment = {"cohort_years": [2016]}
    consenting = {**segment, "consent_purpose": "newsletter"}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = await client.post(f"/api/v1/events/{event_id}/invitations/preview", json={"segment": consenting})
        if r.status_code != 200 or r.json()["matching"] >= len(demo.members):
            break
        await asyncio.sleep(0.5)
    invited = await post(f"/api/v1/events/{event_id}/invitations", "invite-2016", {"segment": segment})
    if invited:
        demo.invited = invited["invited"]
    registrations: dict[str, str] = {}
    for name, member_id in list(demo.members.items())[:CAPACITY + 1]:  # the fifth lands on the waitlist
        r = await post(f"/api/v1/events/{event_id}/registrations", f"register-{member_id}", {"member_id": member_id})
        if r:
            registrations[name] = r["registration_id"]
            demo.statuses[name] = r["status"]
            if r.get("ticket_code"):
                demo.codes[name] = r["ticket_code"]
    names = list(registrations)
    if len(names) == CAPACITY + 1:
        # Someone cancels: the waitlisted one is promoted (a seat offered, to accept in time).
        cancelled = await post(f"/api/v1/me/registrations/{registrations[names[1]]}/cancel", "cancel-second", {})
        if cancelled:
            demo.statuses[names[1]] = cancelled["status"]
        for name in names[:1] + names[2:3]:  # two already at the desk
            if name in demo.codes:
                await post(f"/api/v1/events/{event_id}/check-ins", f"check-in-{registrations[name]}",
                           {"code": demo.codes[name]})
                demo.statuses[name] = "attended"
        # The dinner moves to the great hall: each registrant (and the one offered a seat) is told
        # once — an email with the new place and an updated .ics, and a feed item (notifications).
        r = await client.patch(f"/api/v1/events/{event_id}", json={"venue": MOVED_TO},
                               headers={"Idempotency-Key": "demo-seed-events-move"})
        if r.status_code != 200:
            demo.problems.append(f"PATCH /api/v1/events/{event_id}: {describe(r)}")
    for problem in demo.problems:
        print(f"seed events demo: {problem}", file=sys.stderr)
    return demo


MOVED_TO = "Grand Hall du campus, 1 avenue de l'École, Paris"


def describe_events(demo: EventsDemo, console_url: str) -> str:
    """What the runner prints once the seed is done (FR/EN)."""
    if demo.event_id is None:
        return ""
    lines = [f"\n  Événements · Events: {console_url}/events — réunion promo 2016 (capacité {CAPACITY}), "
             f"{demo.invited} invité(s) · invited (e-mails dans la boîte de dév · emails in the dev mailbox)"]
    for name, status in demo.statuses.items():
        code = demo.codes.get(name)
        lines.append(f"    {name}: {status}" + (f" — billet · ticket {code}" if code and status == "registered" else ""))
    lines.append("    Courriels · Emails: confirmations (QR + .ics), place proposée · seat offered, "
                 "changement de lieu · venue change (the mailbox)")
    return "\n".join(lines)
