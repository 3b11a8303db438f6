"""The console's events page on a small event seeded through the API: the list, the check-in
desk (a scanned code, a second scan reported, a check-in found by name) at tablet width, the
figures and the cohort-reach heat map; hostile names stay text; an alumnus sees their ticket
(QR) and gets a calendar feed that works without login until revoked. No CSP violation."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
HOSTILE = "<img src=x onerror=alert(1)>"


def _event(http: httpx.Client) -> str:
    start = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    r = http.post("/api/v1/events", json={
        "title": "Desk <b>2016</b>", "title_en": "Desk 2016 reunion", "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=4)).isoformat(), "timezone": "Europe/Paris",
        "venue": "Pavillon Dauphine, Paris", "capacity": 2})
    assert r.status_code == 201, r.text
    return str(r.json()["event_id"])


def _register(http: httpx.Client, event_id: str, member_id: str, expected: int) -> dict[str, Any]:
    r = http.post(f"/api/v1/events/{event_id}/registrations", json={"member_id": member_id})
    assert r.status_code == expected, r.text
    return dict(r.json())


def test_events_page_desk_figures_and_tickets(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        zoe = register(http, "Zoé", "Deskmartin", "zoe.desk@example.org", "MSc Desk", 2016)
        bad = register(http, HOSTILE, "Deskhostile", "hostile.desk@example.org", "MSc Desk", 2016)
        late = register(http, "Luc", "Desklate", "luc.desk@example.org", "MSc Desk", 2015)
        event_id = _event(http)
        first = _register(http, event_id, zoe, 201)
        _register(http, event_id, bad, 201)
        assert _register(http, event_id, late, 202)["status"] == "waitlisted"  # capacity 2: the third waits

    staff = open_console("manager", width=1024, height=1366)  # a tablet at the door
    page = staff.page
    page.goto(f"{platform.gateway_url}/console/events")
    row = page.locator(f"#events tr[data-event='{event_id}']")
    row.wait_for()
    assert "Desk <b>2016</b>" in row.inner_text()  # a title with markup is shown as text
    row.locator("button.link").click()
    wait_text(staff, "#attendees", "Deskmartin")
    wait_text(staff, "#attendees", HOSTILE)  # the hostile name as characters, no element
    assert page.locator("#attendees img").count() == 0

    scan = page.locator("#scan-code")
    assert scan.bounding_box()["height"] >= 40  # type: ignore[index]  # big enough for a finger
    scan.fill(first["ticket_code"].lower())  # scanners and people type codes in any case
    scan.press("Enter")
    wait_text(staff, "#desk-result", "Bienvenue")
    assert "Zoé Deskmartin" in page.locator("#desk-result").inner_text()
    scan.fill(first["ticket_code"])
    scan.press("Enter")
    wait_text(staff, "#desk-result", "Déjà enregistré")
    scan.fill("NOT-A-REAL-CODE-0000")
    scan.press("Enter")
    wait_text(staff, "#desk-result", "✗")
    assert staff.console_errors == ["Failed to load resource: the server responded with a status of 404 (Not Found)"]
    staff.console_errors.clear()  # that refusal was the point (the browser logs every 4xx fetch)

    page.locator("#desk-search input[name=q]").fill("deskhos")
    page.locator("#desk-search button").click()
    wait_text(staff, "#attendees", "Deskhostile")
    page.locator("#attendees tr", has_text="Deskmartin").wait_for(state="detached")
    page.locator("#attendees button").click()
    wait_text(staff, "#desk-result", "Bienvenue")

    deadline = time.monotonic() + 60
    while True:  # the figures follow the events (the figures lane)
        page.locator("#refresh-figures").click()
        page.wait_for_timeout(300)
        text = page.locator("#figures").inner_text()
        if "100 %" in text:
            break
        assert time.monotonic() < deadline, text
    assert "Liste d'attente" in text
    wait_text(staff, "#figures-cohort", "2016")
    page.locator("#refresh-reach").click()
    cell = page.locator("#heatmap .cell[data-year='2016']")
    cell.wait_for()
    assert "2 /" in cell.inner_text()
    staff.assert_clean()

    alumnus = open_console("alumnus", member_id=zoe)
    alumnus.page.goto(f"{platform.gateway_url}/console/events")
    alumnus.console_errors.clear()  # the main console's staff panels, refused to an alumnus before we left it
    mine = alumnus.page.locator(f"#mine tr[data-registration='{first['registration_id']}']")
    mine.wait_for()
    mine.locator("button", has_text="Billet").click()
    alumnus.page.locator("#ticket-preview img").wait_for()
    alumnus.page.locator("#issue-feed").click()
    wait_text(alumnus, "#feed-url", "/calendar/")
    url = alumnus.page.locator("#feed-url").inner_text()
    feed = httpx.get(url, timeout=10)  # no login: what a calendar app does
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VTIMEZONE" in feed.text and "Desk <b>2016</b>" in feed.text and first["ticket_code"] in feed.text
    alumnus.page.locator("#revoke-feed").click()
    wait_text(alumnus, "#feed-url", "—")
    assert httpx.get(url, timeout=10).status_code == 404
    assert alumnus.page.locator("#events-panel").is_hidden()  # staff panels stay hidden for alumni
    alumnus.assert_clean()
