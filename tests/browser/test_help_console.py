"""The console's mutual-aid panels (issue 14): a helper opts in from the console, a new graduate
with a hostile name asks for help, the helper sees the request (the name as text, no contact),
accepts, and both see each other's contact; the requester reports the outcome; a manager sees
the figures with the small cohorts suppressed."""

from __future__ import annotations

from typing import Any

import pytest

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
HOSTILE = "<img src=x onerror=alert(1)>"


def test_ask_accept_contact_outcome_and_figures(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        helper_id = register(http, "Aidante", "Console", "aidante.console@example.org", year=2004)
        grad_id = register(http, HOSTILE, "Diplômée", "grad.console@example.org", year=2025)

    failed: list[str] = []

    def watch(console: Any) -> None:
        console.page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
                        if r.status >= 400 and "help" in r.url else None)

    helper = open_console("alumnus", member_id=helper_id)
    page = helper.page
    watch(helper)
    page.locator("#help-panel").wait_for(state="visible")
    wait_text(helper, "#helper-status", "Pas encore aidant · Not a helper yet")
    page.check("#helper-profile input[name=topics][value=career_change]")
    page.fill("#helper-profile [name=monthly_capacity]", "3")
    page.fill("#helper-profile [name=sector]", "finance")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/me/helper-profile") and r.request.method == "PUT") \
            as saved:
        page.click("#helper-profile button[type=submit]")
    assert saved.value.status == 200, saved.value.text()
    wait_text(helper, "#helper-status", "0/3")

    grad = open_console("alumnus", member_id=grad_id)
    gpage = grad.page
    watch(grad)
    gpage.locator("#help-panel").wait_for(state="visible")
    gpage.select_option("#help-ask [name=topic]", "career_change")
    gpage.fill("#help-ask [name=sector]", "finance")
    gpage.fill("#help-ask [name=summary]", "Passer en finance <script>x</script>")
    with gpage.expect_response(lambda r: r.url.endswith("/api/v1/help-requests") and r.request.method == "POST") \
            as asked:
        gpage.click("#help-ask button[type=submit]")
    assert asked.value.status == 201, asked.value.text()
    wait_text(grad, "#help-mine", "proposée · offered")

    page.click("#refresh-help")
    wait_text(helper, "#help-offered", HOSTILE)  # the hostile first name, as text
    wait_text(helper, "#help-offered", "Passer en finance <script>x</script>")
    assert page.locator("#help-offered img").count() == 0
    assert page.locator("#help-offered .help-contact").inner_text() == "—", "no contact before accepting"
    page.click("#help-offered button.help-accept")
    wait_text(helper, "#help-offered", "grad.console@example.org")

    gpage.click("#refresh-help")
    wait_text(grad, "#help-mine", "aidante.console@example.org")
    gpage.click("#help-mine button.help-outcome[data-outcome=helped]")
    wait_text(grad, "#help-mine", "bilan fait · outcome reported")
    assert gpage.locator("#help-figures-panel").is_hidden(), "figures are for staff"

    staff = open_console()
    staff.page.locator("#help-figures-panel").wait_for(state="visible")
    wait_text(staff, "#help-figures", "masqué · suppressed")
    assert staff.page.locator("#help-panel").is_hidden(), "a manager without a member has no mutual-aid panel"
    staff.assert_clean()
    # The alumni consoles also load staff-only panels of other areas (403s outside this test's
    # scope): the mutual-aid calls themselves must all have succeeded, with no page error or CSP hit.
    assert failed == [], f"mutual-aid calls that failed: {failed}"
    for console in (helper, grad):
        assert console.page_errors == [] and console.csp_violations() == []
