"""Notifications in the console: the sink's emails rendered as HTML in a sandboxed frame (a
hostile name stays text, no script runs, no CSP violation), an alumnus's feed and
preferences, and the office's contactability per cohort."""

from __future__ import annotations

import time
from typing import Any

import pytest

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
HOSTILE = "<img src=x onerror=alert(1)>"


def test_mailbox_html_feed_preferences_and_contactability(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        member_id = register(http, HOSTILE, "Notif", "notif.browser@example.org", "MSc Notif", 2003)
        register(http, "Rebond", "Notif", "bounce.notif@example.org", "MSc Notif", 2003)
        deadline = time.monotonic() + 30
        while True:  # the welcome in the sink; the bounce recorded (members flags it)
            box = http.get("/api/v1/dev/mailbox").json()["messages"]
            report = http.get("/api/v1/notifications/contactability").json()
            row = next((c for c in report["cohorts"] if c["program"] == "MSc Notif"), None)
            if any("notif.browser@example.org" in m["to"] for m in box) and row and row["contactable"] == 1:
                break
            assert time.monotonic() < deadline, (row, len(box))
            time.sleep(0.3)

    office = open_console("manager")
    page = office.page
    wait_text(office, "#contactability", "MSc Notif 2003")
    assert "50.0 %" in page.locator("#contactability tr", has_text="MSc Notif 2003").inner_text()
    assert "joignables · contactable" in page.locator("#contactability-total").inner_text()
    assert page.locator("#my-notifications-panel").is_hidden(), "a manager without a member record has no feed"

    wait_text(office, "#mail", "notif.browser@example.org")
    page.locator("#mail tr", has_text="notif.browser@example.org").locator("button.mail-view").click()
    frame = page.frame_locator("#mail-preview-html")
    frame.locator("text=Votre inscription").wait_for()
    assert HOSTILE in frame.locator("body").inner_text(), "the hostile name is shown as text"
    assert frame.locator("img[src=x]").count() == 0
    assert page.locator("#mail-preview-html").get_attribute("sandbox") == ""
    assert "/dev/mail/" in (page.locator("#mail-preview-html").get_attribute("src") or "")
    styled = frame.locator("td.content")
    assert styled.evaluate("e => getComputedStyle(e).paddingTop") == "24px", "the inlined styles apply"
    # The only complaint allowed: the test's own watcher script, refused in the sandboxed frame.
    office.console_errors = [e for e in office.console_errors if not e.startswith("Blocked script execution")]
    office.assert_clean()

    alumna = open_console("alumnus", member_id=member_id)
    page = alumna.page
    wait_text(alumna, "#my-notifications", "Bienvenue")
    assert "1 non lue(s) · unread" in page.locator("#my-unread").inner_text()
    assert page.locator("#contactability-panel").is_hidden()
    page.locator("#my-notifications-read").click()
    wait_text(alumna, "#my-unread", "0 non lue(s)")
    jobs_email = page.locator("input[name='jobs:email']")
    assert jobs_email.is_checked()
    jobs_email.uncheck()
    page.locator("#my-preferences button[type=submit]").click()
    wait_text(alumna, "#my-preferences-result", "Enregistré · Saved")
    page.reload()
    wait_text(alumna, "#my-notifications", "Bienvenue")
    page.locator("input[name='jobs:email']").wait_for()
    assert not page.locator("input[name='jobs:email']").is_checked()
    assert page.locator("input[name='newsletters:email']").is_checked()
    assert "lettre d'information · newsletter ✗" in page.locator("#my-consents").inner_text()
    # (The console's staff panels answer an alumnus 403, logged by the browser: not errors of these panels.)
    assert alumna.page_errors == [] and alumna.csp_violations() == []
