"""End to end: the events part of `make run`'s demo (`alumni_local.seed_events`) against the
whole platform — the class of 2016's reunion with 4 seats: 4 registered and the fifth
waitlisted, one cancellation promotes the waitlisted one, two attendees checked in at the desk;
the figures follow (through the figures lane); the .ics of the event is valid iCalendar with
its VTIMEZONE; seeding twice changes nothing (idempotency keys)."""

from __future__ import annotations

import asyncio
import time

import httpx
import icalendar
import pytest

from alumni_local.runner import Platform
from alumni_local.seed_events import (
    CAPACITY,
    CLASS_OF_2016,
    MOVED_TO,
    EventsDemo,
    _ascii,
    describe_events,
    seed_events_demo,
)

pytestmark = pytest.mark.e2e


async def _seed(platform: Platform) -> EventsDemo:
    token = platform.issue_token("manager", subject="e2e-events-seed")
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        return await seed_events_demo(client)


def test_the_events_demo(platform: Platform) -> None:
    demo = asyncio.run(_seed(platform))
    assert demo.problems == [] and demo.event_id is not None
    assert demo.invited >= len(CLASS_OF_2016), "the class of 2016 is invited (computed once)"
    statuses = list(demo.statuses.values())
    assert statuses.count("attended") == 2 and statuses.count("cancelled") == 1
    assert statuses.count("registered") == CAPACITY - 3 and statuses[-1] in ("waitlisted", "promoted")
    again = asyncio.run(_seed(platform))
    assert again.event_id == demo.event_id and again.codes == demo.codes

    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    gw = platform.gateway_url
    waitlisted = httpx.get(f"{gw}/api/v1/events/{demo.event_id}/registrations", headers=staff).json()["items"]
    assert {r["status"] for r in waitlisted} >= {"attended", "cancelled", "promoted"}
    deadline = time.monotonic() + 30
    while True:
        figures = httpx.get(f"{gw}/api/v1/events/{demo.event_id}/figures", headers=staff).json()
        if figures["checked_in"] == 2 and figures["cancelled"] == 1:
            break
        assert time.monotonic() < deadline, figures
    assert figures["registered"] == CAPACITY - 1 and figures["show_up"]["rate"] == round(2 / 3, 4)
    assert [r["key"] for r in figures["by_cohort"]] == ["2016"]
    ics = httpx.get(f"{gw}/api/v1/events/{demo.event_id}/calendar.ics?lang=en", headers=staff)
    assert ics.status_code == 200
    cal = icalendar.Calendar.from_ical(ics.text)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert str(cal.walk("VEVENT")[0]["SUMMARY"]) == "Class of 2016: 10-year reunion"
    assert "Événements" in describe_events(demo, f"{gw}/console")
    # The venue moved after the registrations: each registrant told once (notifications).
    moved = [f"{_ascii(name.split()[0])}.reunion@example.org" for name, status in demo.statuses.items()
             if status in ("registered", "attended", "promoted", "waitlisted")]
    deadline = time.monotonic() + 60
    while True:
        mails = httpx.get(platform.mailbox_url, timeout=5).json()["messages"]
        told = [m for m in mails if m["subject"].startswith("Changement") and "promo 2016" in m["subject"]]
        if {to for m in told for to in m["to"]} >= set(moved):
            break
        assert time.monotonic() < deadline, told
    assert len(told) == len(moved) and all(MOVED_TO in m["body"] for m in told)
