"""The console's events panels: a manager creates a one-seat event (hostile title shown as text);
an alumnus registers, a second one is waitlisted; the first cancels from "my registrations"
and the second sees the seat offered, accepts it, and gets a ticket code."""

from __future__ import annotations

from typing import Any

import pytest

from alumni_local.runner import Platform

from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
TITLE = "Afterwork <img src=x onerror=alert(1)>"


def test_manager_creates_an_event_alumni_register_cancel_and_the_waitlist_is_promoted(
        platform: Platform, open_console: Any) -> None:
    staff = open_console()
    page = staff.page
    form = "#event-create"
    page.fill(f"{form} [name=title]", TITLE)
    page.fill(f"{form} [name=title_en]", "Afterwork EN")
    page.fill(f"{form} [name=starts_at]", "2031-05-20T19:00")
    page.fill(f"{form} [name=ends_at]", "2031-05-20T22:00")
    page.fill(f"{form} [name=venue]", "Bar du campus")
    page.fill(f"{form} [name=capacity]", "1")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/events") and r.request.method == "POST") as posted:
        page.click(f"{form} button[type=submit]")
    assert posted.value.status == 201, posted.value.text()
    wait_text(staff, "#events", TITLE)  # shown as text, never as markup
    assert page.locator("#events img").count() == 0
    staff.assert_clean()

    first = open_console("alumnus", member_id="console-ev-1")
    wait_text(first, "#events", "Afterwork EN")
    row = first.page.locator("#events tr", has_text="Afterwork EN")
    with first.page.expect_response(lambda r: r.url.endswith("/registrations") and r.request.method == "POST") as r1:
        row.locator("button.register-event").click()
    assert r1.value.status == 201
    wait_text(first, "#my-registrations", "inscrit · registered")

    second = open_console("alumnus", member_id="console-ev-2")
    wait_text(second, "#events", "Afterwork EN")
    row = second.page.locator("#events tr", has_text="Afterwork EN")
    with second.page.expect_response(lambda r: r.url.endswith("/registrations") and r.request.method == "POST") as r2:
        row.locator("button.register-event").click()
    assert r2.value.status == 202, "full: waitlisted"
    wait_text(second, "#my-registrations", "liste d'attente · waitlisted")

    first.page.locator("#my-registrations button.cancel-registration").click()
    wait_text(first, "#my-registrations", "annulé · cancelled")

    second.page.click("#refresh-my-registrations")
    wait_text(second, "#my-registrations", "place proposée · seat offered")
    second.page.locator("#my-registrations button", has_text="Accepter · Accept").click()
    wait_text(second, "#my-registrations", "inscrit · registered")
    ticket = second.page.locator("#my-registrations td[data-label='Billet · Ticket']").inner_text()
    assert len(ticket) >= 20
    for console in (first, second):  # (staff-only panels answer an alumnus 403: not these)
        assert console.page_errors == [] and console.csp_violations() == []
        assert not [e for e in console.console_errors if "403" not in e]

    page.click("#refresh-events")
    wait_text(staff, "#events", "1/1")
