"""End to end: the desk part of `make run`'s demo (`alumni_local.seed_desk`) on the reunion made
by `seed_events`, against the whole platform: two registrants checked in at the desk, the figures
follow (through the figures lane), the reunion's .ics is valid iCalendar with its VTIMEZONE, and
seeding twice checks nobody new in (idempotency keys)."""

from __future__ import annotations

import asyncio
import time

import httpx
import icalendar
import pytest

from alumni_local.runner import Platform
from alumni_local.seed_desk import CHECKED_IN, DeskDemo, describe_desk, seed_desk_demo
from alumni_local.seed_events import seed_events

pytestmark = pytest.mark.e2e


async def _seed(platform: Platform, with_events: bool) -> DeskDemo:
    token = platform.issue_token("manager", subject="e2e-desk-seed")
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        if with_events:
            for n in range(3):  # the class of 2016 has at least three alumni whatever ran before
                r = await client.post("/api/v1/members", json={
                    "first_name": f"Desk{n}", "last_name": "Reunion", "email": f"desk{n}.reunion@example.org",
                    "cohort": {"program": "Grande École", "graduation_year": 2016}},
                    headers={"Idempotency-Key": f"e2e-desk-member-{n}"})
                assert r.status_code == 201, r.text
            await seed_events(client)
        return await seed_desk_demo(client)


def test_the_desk_demo(platform: Platform) -> None:
    demo = asyncio.run(_seed(platform, with_events=True))
    assert demo.problems == [] and demo.event_id is not None and len(demo.checked_in) == CHECKED_IN
    again = asyncio.run(_seed(platform, with_events=False))
    assert again.event_id == demo.event_id and again.checked_in == demo.checked_in

    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    gw = platform.gateway_url
    items = httpx.get(f"{gw}/api/v1/events/{demo.event_id}/registrations", headers=staff).json()["items"]
    assert sum(r["status"] == "attended" for r in items) == CHECKED_IN
    deadline = time.monotonic() + 30
    while True:
        figures = httpx.get(f"{gw}/api/v1/events/{demo.event_id}/figures", headers=staff).json()
        if figures["checked_in"] == CHECKED_IN:
            break
        assert time.monotonic() < deadline, figures
    assert figures["show_up"]["denominator"] >= CHECKED_IN and "2016" in [r["key"] for r in figures["by_cohort"]]
    ics = httpx.get(f"{gw}/api/v1/events/{demo.event_id}/calendar.ics?lang=en", headers=staff)
    assert ics.status_code == 200
    cal = icalendar.Calendar.from_ical(ics.text)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert str(cal.walk("VEVENT")[0]["SUMMARY"]) == "10-year reunion — class of 2016"
    assert "Accueil" in describe_desk(demo, f"{gw}/console")
