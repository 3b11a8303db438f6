"""The check-in desk part of `make run`'s demo (issue 11): on the class of 2016's reunion made
by `seed_events`, the cohort is invited (when the invitations route is there) and the first two
confirmed registrants are already checked in at the desk — so the figures (show-up rate, by
cohort) and the cohort-reach heat map have something to show. Idempotent: the reunion is found
again by its creation's Idempotency-Key, each check-in has its own key, and a rerun checks
in nobody new."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import httpx

from alumni_local.http_retry import describe
from alumni_local.seed_events import REUNION

CHECKED_IN = 2


@dataclass
class DeskDemo:
    event_id: str | None = None
    checked_in: list[str] = field(default_factory=list)  # registration ids
    tickets: dict[str, str] = field(default_factory=dict)  # registration id → ticket code (still registered)
    problems: list[str] = field(default_factory=list)


async def seed_desk_demo(client: httpx.AsyncClient) -> DeskDemo:
    demo = DeskDemo()
    r = await client.post("/api/v1/events", json=REUNION, headers={"Idempotency-Key": "demo-seed-event-reunion"})
    if r.status_code != 201:
        demo.problems.append(f"reunion: {describe(r)}")
        return demo
    demo.event_id = event_id = r.json()["event_id"]
    await client.post(f"/api/v1/events/{event_id}/invitations", json={"segment": {"cohort_years": [2016]}},
                      headers={"Idempotency-Key": "demo-seed-desk-invite-2016"})  # 404 until the route exists
    r = await client.get(f"/api/v1/events/{event_id}/registrations", params={"limit": 500})
    if r.status_code != 200:
        demo.problems.append(f"registrations: {describe(r)}")
        return demo
    seated = sorted((g for g in r.json()["items"] if g["status"] in ("registered", "attended")),
                    key=lambda g: g["registration_id"])
    for g in seated[:CHECKED_IN]:
        if g["status"] == "registered":
            c = await client.post(f"/api/v1/events/{event_id}/check-ins", json={"code": g["ticket_code"]},
                                  headers={"Idempotency-Key": f"demo-seed-check-in-{g['registration_id']}"})
            if c.status_code not in (200, 201):
                demo.problems.append(f"check-in: {describe(c)}")
                continue
        demo.checked_in.append(g["registration_id"])
    demo.tickets = {g["registration_id"]: g["ticket_code"] for g in seated[CHECKED_IN:CHECKED_IN + 2]
                    if g.get("ticket_code")}
    for problem in demo.problems:
        print(f"seed desk demo: {problem}", file=sys.stderr)
    return demo


def describe_desk(demo: DeskDemo, console_url: str) -> str:
    """What the runner prints once the seed is done (FR/EN)."""
    if demo.event_id is None:
        return ""
    lines = [f"\n  Accueil · Check-in desk: {console_url}/events — réunion promo 2016, "
             f"{len(demo.checked_in)} déjà présents · already checked in; billets à scanner · tickets to scan:"]
    lines += [f"    {code}" for code in demo.tickets.values()]
    return "\n".join(lines)
