"""The console's invite form (issue 11 item 3): a manager picks a segment on the events panel,
sees how many would be invited before sending, sends once, and sees the invitees' answers
(invited) in the event's list; a bad segment shows the API's problem; a hostile title stays text."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
TITLE = "Promo 1993 <img src=x onerror=alert(1)>"
YEAR = 1993


def test_manager_counts_then_sends_invitations_from_the_events_panel(platform: Platform, open_console: Any) -> None:
    run = uuid.uuid4().hex[:8]  # this run's invitees only (the platform is shared)
    program = f"MSc Browser Invite {run}"
    with manager(platform) as http:
        for n in range(2):
            register(http, f"Invitée{n}", "Console", f"invite.console{n}.{run}@example.org", program=program,
                     year=YEAR)
        r = http.post("/api/v1/events", json={
            "title": TITLE, "starts_at": "2031-09-12T18:00:00+02:00", "ends_at": "2031-09-12T23:00:00+02:00",
            "venue": "Campus", "capacity": 50, "visibility": "invited"})
        assert r.status_code == 201, r.text
        event_id = r.json()["event_id"]
        deadline = time.monotonic() + 60  # the events service's audience projection has both
        segment = {"cohort_years": [YEAR], "programs": [program]}
        while http.post(f"/api/v1/events/{event_id}/invitations/preview",
                        json={"segment": segment}).json().get("count") != 2:
            assert time.monotonic() < deadline, "the audience projection never got both members"
            time.sleep(0.3)

    staff = open_console()
    page = staff.page
    wait_text(staff, "#events", TITLE)
    row = page.locator(f"#events tr[data-event-id='{event_id}']")
    row.locator("button.invite-event").click()
    wait_text(staff, "#event-invite-title", TITLE)  # as text
    assert page.locator("#event-invite-title img, #events img").count() == 0

    form = "#event-invite"
    page.fill(f"{form} [name=cohort_years]", "1066")  # out of range: the API's 422, shown
    with page.expect_response(lambda r: r.url.endswith("/invitations/preview")) as refused:
        page.click("#event-invite-count")
    assert refused.value.status == 422
    wait_text(staff, "#events-error", "cohort_years")

    page.fill(f"{form} [name=cohort_years]", str(YEAR))
    page.fill(f"{form} [name=programs]", program)
    with page.expect_response(lambda r: r.url.endswith("/invitations/preview")) as counted:
        page.click("#event-invite-count")
    assert counted.value.status == 200
    wait_text(staff, "#event-invite-result", "2 personne(s) à inviter · to invite")

    with page.expect_response(lambda r: r.url.endswith("/invitations") and r.request.method == "POST") as sent:
        page.click(f"{form} button[type=submit]")
    assert sent.value.status == 201, sent.value.text()
    wait_text(staff, "#event-invite-result", "2 invitation(s) envoyée(s) · sent")

    row.locator("button.event-answers").click()
    wait_text(staff, "#event-answers", "invité · invited")
    assert page.locator("#event-answers li").count() == 2
    assert staff.page_errors == [] and staff.csp_violations() == []
    assert not [e for e in staff.console_errors if "422" not in e], "only the refused segment's 422"
