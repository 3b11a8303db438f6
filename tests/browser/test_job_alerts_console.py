"""Job alerts in the console (issue 14 item 4): an alumna sets her alert in "My notifications"
(sectors, cities, contract types), sees which channels it uses and that it needs her newsletter
consent; bad input is reported, hostile text stays text. The office's staff alerts box (a partner
webhook disabled automatically) shows to staff only."""

from __future__ import annotations

import time
from typing import Any

import pytest

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
HOSTILE = '<img src=x onerror="window.__pwned=1">'


def test_an_alumna_sets_her_job_alert_and_staff_see_their_alerts_box(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        member_id = register(http, "Alerte", "Console", "alerte.console@example.org", "MSc Browser", 2021)
    alumna = open_console("alumnus", member_id=member_id)
    page = alumna.page
    wait_text(alumna, "#my-job-alerts-hint", "consent")  # no newsletter consent yet: she is told
    assert page.locator("#my-job-alerts [name=enabled]").is_checked() is False
    assert page.locator("#my-job-alert-contracts input[name=contract]").count() == 6
    form = "#my-job-alerts"
    page.check(f"{form} [name=enabled]")
    page.fill(f"{form} [name=sectors]", f"Finance, {HOSTILE}")
    page.fill(f"{form} [name=cities]", "Paris, Lyon")
    page.check(f"{form} input[value=permanent]")
    page.check(f"{form} input[value=internship]")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/me/job-alerts") and r.request.method == "PUT") as put:
        page.click(f"{form} button[type=submit]")
    assert put.value.status == 200, put.value.text()
    assert put.value.json()["contracts"] == ["internship", "permanent"]
    wait_text(alumna, "#my-job-alerts-result", "Enregistré · Saved")
    assert page.input_value(f"{form} [name=sectors]") == f"Finance, {HOSTILE}"
    assert page.evaluate("window.__pwned") is None

    # The staff-only panels an alumna's console asks for answer 403: nothing else failed.
    assert all("403" in e for e in alumna.console_errors), alumna.console_errors
    alumna.console_errors.clear()
    # Eleven sectors: the API's limit (10) is reported, nothing saved.
    page.fill(f"{form} [name=sectors]", ", ".join(f"s{i}" for i in range(11)))
    page.click(f"{form} button[type=submit]")
    deadline = time.monotonic() + 15
    while page.locator("#my-job-alerts-result").inner_text() in ("", "Enregistré · Saved"):
        assert time.monotonic() < deadline, "no error shown"
        page.wait_for_timeout(200)
    assert [e for e in alumna.console_errors if "422" in e], "the browser logs the 422 it was told to expect"
    alumna.console_errors.clear()
    with manager(platform) as http:  # the consent given at the office: the hint turns to the channels
        r = http.put(f"/api/v1/members/{member_id}/consents/newsletter", json={
            "granted": True, "text_version": "newsletter-2026", "language": "fr", "channel": "console"})
        assert r.status_code == 200, r.text
    deadline = time.monotonic() + 30
    while "Envoyées par · Sent by: e-mail, app" not in page.locator("#my-job-alerts-hint").inner_text():
        assert time.monotonic() < deadline, page.locator("#my-job-alerts-hint").inner_text()
        page.click("#refresh-my-notifications")
        page.wait_for_timeout(300)
    saved = page.locator("#my-job-alert-contracts input:checked").evaluate_all("boxes => boxes.map(b => b.value)")
    assert sorted(saved) == ["internship", "permanent"] and page.input_value(f"{form} [name=cities]") == "Paris, Lyon"
    assert page.locator("#staff-alerts-box").is_hidden(), "an alumna has no staff alerts"
    assert all("403" in e for e in alumna.console_errors), alumna.console_errors

    office = open_console("manager")
    wait_text(office, "#staff-alerts-unread", "non lue(s) · unread")
    assert office.page.locator("#staff-alerts-box").is_visible()
    office.assert_clean()
