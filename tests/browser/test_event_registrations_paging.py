"""The console's registrations list of an event, a page at a time: "load more" follows the
cursor until the last page, the status filter restarts the list (the waitlist in arrival order),
and a newer list is never mixed with an older one's rows. No CSP violation."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_registrations_load_more_and_filter(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        members = [register(http, "Page", f"Paging{i}", f"paging{i}.browser@example.org", "MSc Paging", 2014)
                   for i in range(5)]
        start = (datetime.now(UTC) + timedelta(days=40)).replace(microsecond=0)
        r = http.post("/api/v1/events", json={
            "title": "Pages 2014", "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat(),
            "timezone": "Europe/Paris", "venue": "Campus", "capacity": 2})
        assert r.status_code == 201, r.text
        event_id = r.json()["event_id"]
        for member_id in members:  # 2 seats: the last three wait, in this order
            r = http.post(f"/api/v1/events/{event_id}/registrations", json={"member_id": member_id})
            assert r.status_code in (201, 202), r.text

    staff = open_console("manager")
    page = staff.page
    page.goto(f"{platform.gateway_url}/console/events?page_size=2")
    row = page.locator(f"#events tr[data-event='{event_id}']")
    row.wait_for()
    row.locator("button.link").click()
    rows = page.locator("#registrations tr")
    more = page.locator("#registrations-more")

    def shown(count: int) -> None:  # the console's CSP refuses eval: poll the DOM from here
        deadline = time.monotonic() + 30
        while rows.count() != count or page.locator("#registrations-count").inner_text() == "":
            assert time.monotonic() < deadline, f"{rows.count()} rows shown, {count} expected"
            page.wait_for_timeout(100)

    shown(2)
    assert more.is_visible()
    more.click()
    shown(4)
    more.click()
    shown(5)
    wait_text(staff, "#registrations-count", "5 au total")
    assert more.is_hidden()
    listed = [rows.nth(i).locator("td").first.inner_text() for i in range(5)]
    assert sorted(listed) == sorted(members), "every registration once"

    page.locator("#registrations-filter select").select_option("waitlisted")
    page.locator("#registrations-filter button").click()
    shown(2)
    wait_text(staff, "#registrations", "liste d'attente")
    more.click()
    shown(3)
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(3)] == members[2:], "arrival order"
    assert more.is_hidden()
    staff.assert_clean()
