"""Demo events for `make run`: the class of 2016's ten-year reunion (a small venue: the last one to
register lands on the waitlist, then a cancellation promotes them), a paid gala with member and
non-member prices and +1 guests, and a draft webinar. Idempotent: every request has its key."""

from __future__ import annotations

import sys
from typing import Any

import httpx

REUNION_SEATS = 12
REUNION = {"title": "Réunion des 10 ans — promo 2016", "title_en": "10-year reunion — class of 2016",
           "description": "Retrouvailles de la promotion 2016 sur le campus.",
           "description_en": "The class of 2016 meets again on campus.",
           "starts_at": "2031-06-13T18:30:00+02:00", "ends_at": "2031-06-13T23:30:00+02:00", "timezone": "Europe/Paris",
           "venue": "Campus, grand hall", "organiser": "Association des diplômés", "capacity": REUNION_SEATS,
           "cancellation_policy": "Annulation libre jusqu'à la veille · Free cancellation until the day before",
           "ticket_types": [{"id": "alumni", "name": "Diplômé·e", "name_en": "Graduate", "max_guests": 1}]}
GALA = {"title": "Gala annuel", "title_en": "Annual gala", "starts_at": "2031-11-21T19:30:00+01:00",
        "ends_at": "2031-11-22T01:00:00+01:00", "timezone": "Europe/Paris", "venue": "Pavillon Dauphine, Paris",
        "capacity": 300, "visibility": "public",
        "ticket_types": [{"id": "gala", "name": "Dîner de gala", "name_en": "Gala dinner", "member_price_minor": 9500,
                          "non_member_price_minor": 13000, "max_guests": 1, "quota": 280},
                         {"id": "student", "name": "Étudiant", "name_en": "Student", "member_price_minor": 3000,
                          "non_member_price_minor": 3000, "quota": 20}]}
WEBINAR = {"title": "Webinaire carrières : la finance durable", "title_en": "Careers webinar: sustainable finance",
           "starts_at": "2031-03-05T12:30:00+01:00", "ends_at": "2031-03-05T13:30:00+01:00",
           "online_url": "https://meet.example.org/finance-durable", "capacity": 500, "status": "draft"}


async def _members_of(client: httpx.AsyncClient, year: int, wanted: int) -> list[str]:
    found: list[str] = []
    after: str | None = None
    while len(found) < wanted:
        r = await client.get("/api/v1/members", params={"limit": 200, **({"after": after} if after else {})})
        if r.status_code != 200:
            break
        page = r.json()
        found += [m["member_id"] for m in page.get("items", []) if m["cohort"]["graduation_year"] == year]
        after = page.get("next_cursor")
        if not after:
            break
    return found[:wanted]


async def seed_events(client: httpx.AsyncClient) -> dict[str, Any]:
    """Returns what was made (for the runner's summary)."""
    ids: dict[str, Any] = {}
    for key, body in (("demo-seed-event-reunion", REUNION), ("demo-seed-event-gala", GALA),
                      ("demo-seed-event-webinar", WEBINAR)):
        r = await client.post("/api/v1/events", json=body, headers={"Idempotency-Key": key})
        event_id = r.json().get("event_id") if r.status_code == 201 else None
        if not event_id:
            print(f"seed event {body['title']}: {r.status_code} {r.text[:200]}", file=sys.stderr)
            return ids
        ids[key] = event_id
    reunion = ids["demo-seed-event-reunion"]
    cohort = await _members_of(client, 2016, REUNION_SEATS + 1)
    answers: list[int] = []
    for n, member_id in enumerate(cohort):  # in order: the last one finds the hall full
        r = await client.post(f"/api/v1/events/{reunion}/registrations",
                              json={"member_id": member_id, "guests": 1 if n % 4 == 0 else 0},
                              headers={"Idempotency-Key": f"demo-seed-reg-{member_id}"})
        answers.append(r.status_code)
        if r.status_code == 201 and n == 1 and r.json().get("registration_id"):
            ids["cancelled"] = r.json()["registration_id"]
    if "cancelled" in ids:  # a cancellation: the head of the waitlist is offered the seat
        await client.post(f"/api/v1/me/registrations/{ids['cancelled']}/cancel",
                          headers={"Idempotency-Key": "demo-seed-cancel"})
    ids["answers"] = answers
    return ids
