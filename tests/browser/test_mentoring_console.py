"""The console's mentoring panels (issue 14, item 2): a manager creates and opens a program from
the console; a mentee with a hostile name enrols from hers; the manager sees the suggested pair
with the explanation of its score (the name as text) and confirms it; the mentor accepts and both
see each other's contact; the mentee records a check-in and closes with the survey; the figures
show the small program suppressed."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform

from .conftest import register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
HOSTILE = "<img src=x onerror=alert(1)>"


def manager(platform: Platform) -> httpx.Client:
    """The office's client, with a generous timeout (CI runs on a loaded machine)."""
    return httpx.Client(base_url=platform.gateway_url, timeout=60,
                        headers={"Authorization": f"Bearer {platform.issue_token('manager')}"})


def test_program_enrol_suggest_confirm_accept_check_in_close(platform: Platform, open_console: Any) -> None:
    name = f"Premier emploi navigateur {time.monotonic_ns()}"
    with manager(platform) as http:
        mentor_id = register(http, "Mentor", "Console", "mentor.console@example.org", year=2003)
        mentee_id = register(http, HOSTILE, "Mentorée", "mentee.console@example.org", year=2026)
        deadline = time.monotonic() + 60  # both known to community (members' events) before the consoles act
        while any(http.get(f"/api/v1/members/{m}/helper-profile").status_code != 200 for m in (mentor_id, mentee_id)):
            assert time.monotonic() < deadline, "community never heard of the two members"
            time.sleep(0.2)

    staff = open_console()
    spage = staff.page
    spage.locator("#mentoring-staff-panel").wait_for(state="visible")
    spage.fill("#mentoring-program-form [name=name_fr]", name)
    spage.fill("#mentoring-program-form [name=name_en]", "First job (browser)")
    spage.fill("#mentoring-program-form [name=max_mentees_per_mentor]", "2")
    with spage.expect_response(lambda r: r.url.endswith("/api/v1/mentoring/programs") and r.request.method == "POST") \
            as made:
        spage.click("#mentoring-program-form button[type=submit]")
    assert made.value.status == 201, made.value.text()
    program_id = made.value.json()["program_id"]
    row = f"#mentoring-programs tr[data-program='{program_id}']"
    wait_text(staff, row, "brouillon · draft")
    spage.click(f"{row} button.mentoring-open")
    wait_text(staff, row, "ouvert · open")

    with manager(platform) as http:  # the mentor enrols through the API (the panel is the mentee's test)
        r = http.put(f"/api/v1/mentoring/programs/{program_id}/enrolment", json={
            "member_id": mentor_id, "role": "mentor", "topics": ["first_job", "industry"], "capacity": 2,
            "languages": ["fr"], "sector": "finance", "city": "Paris"})
        assert r.status_code == 200, r.text

    mentee = open_console("alumnus", member_id=mentee_id)
    epage = mentee.page
    epage.locator("#mentoring-panel").wait_for(state="visible")
    epage.locator(f"#mentoring-enrol [name=program_id] option[value='{program_id}']").wait_for(state="attached")
    epage.select_option("#mentoring-enrol [name=program_id]", program_id)
    epage.select_option("#mentoring-enrol [name=role]", "mentee")
    epage.check("#mentoring-enrol input[name=topics][value=first_job]")
    epage.fill("#mentoring-enrol [name=sector]", "finance")
    with epage.expect_response(lambda r: r.url.endswith("/enrolment") and r.request.method == "PUT") as enrolled:
        epage.click("#mentoring-enrol button[type=submit]")
    assert enrolled.value.status == 200, enrolled.value.text()
    wait_text(mentee, "#mentoring-enrolled", name)

    spage.click(f"{row} button.mentoring-suggest")
    pair = f"#mentoring-suggestions tr[data-mentee='{mentee_id}']"
    wait_text(staff, pair, HOSTILE)  # the hostile first name, as text
    wait_text(staff, pair, "sujets · topics: first_job")
    wait_text(staff, pair, "secteur · sector: finance")
    assert spage.locator("#mentoring-suggestions img").count() == 0
    with spage.expect_response(lambda r: r.url.endswith("/matches") and r.request.method == "POST") as confirmed:
        spage.click(f"{pair} button.mentoring-confirm")
    assert confirmed.value.status == 201, confirmed.value.text()
    wait_text(staff, "#mentoring-pairs", "en attente du mentor · waiting for the mentor")
    wait_text(staff, "#mentoring-pairs", HOSTILE)
    assert spage.locator(f"{pair}").count() == 0, "a matched mentee is no longer suggested"

    mentor = open_console("alumnus", member_id=mentor_id)
    mpage = mentor.page
    mpage.locator("#mentoring-panel").wait_for(state="visible")
    wait_text(mentor, "#mentoring-mine", "en attente du mentor · waiting for the mentor")
    assert mpage.locator("#mentoring-mine .mentoring-contact").inner_text() == "—", "no contact before accepting"
    mpage.click("#mentoring-mine button.mentoring-accept")
    wait_text(mentor, "#mentoring-mine", "mentee.console@example.org")

    epage.click("#refresh-mentoring")
    wait_text(mentee, "#mentoring-mine", "mentor.console@example.org")
    epage.click("#mentoring-mine button.mentoring-checkin")
    epage.fill("#mentoring-checkin [name=on]", "2027-02-03")
    epage.fill("#mentoring-checkin [name=note]", "CV relu <b>ensemble</b>")
    epage.click("#mentoring-checkin button[type=submit]")
    wait_text(mentee, "#mentoring-mine", "2027-02-03 — CV relu <b>ensemble</b>")
    assert epage.locator("#mentoring-mine b").count() == 0
    epage.click("#mentoring-mine button.mentoring-close")
    epage.fill("#mentoring-close [name=satisfaction]", "5")
    epage.check("#mentoring-close [name=goals_met]")
    epage.click("#mentoring-close button[type=submit]")
    wait_text(mentee, "#mentoring-mine", "terminé · completed")
    assert epage.locator("#mentoring-staff-panel").is_hidden(), "the managers' panel is for staff"

    spage.click("#refresh-mentoring-staff")
    wait_text(staff, f"#mentoring-figures tr[data-group='{program_id}']", "masqué · suppressed")
    assert spage.locator("#mentoring-panel").is_hidden(), "a manager without a member has no mentoring panel"
    staff.assert_clean()
    for console in (mentee, mentor):
        assert console.page_errors == [] and console.csp_violations() == []
