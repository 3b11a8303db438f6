"""The console's benefits panel (issue 14): a manager publishes a members-only benefit with a
hostile title from the form; an alumnus without dues sees it locked, never its code."""

from __future__ import annotations

from typing import Any

import pytest

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
HOSTILE = "Remise <img src=x onerror=alert(1)>"


def test_publish_members_only_and_locked_for_a_non_member(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        member_id = register(http, "Sans", "Cotisation", "sans.cotisation@example.org")
    staff = open_console()
    page = staff.page
    page.locator("#benefit-publish").wait_for(state="visible")
    page.fill("#benefit-publish [name=title]", HOSTILE)
    page.fill("#benefit-publish [name=partner]", "Partenaire Console")
    page.fill("#benefit-publish [name=code]", "SECRET-CONSOLE")
    page.check("#benefit-publish [name=members_only]")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/benefits") and r.request.method == "POST") as posted:
        page.click("#benefit-publish button[type=submit]")
    assert posted.value.status == 201, posted.value.text()
    wait_text(staff, "#benefits", HOSTILE)
    assert page.locator("#benefits img").count() == 0
    wait_text(staff, "#benefits", "SECRET-CONSOLE")  # staff see the code and the count
    staff.assert_clean()

    alum = open_console("alumnus", member_id=member_id)
    wait_text(alum, "#benefits", HOSTILE)
    row = alum.page.locator("#benefits tr", has_text="Partenaire Console")
    assert "Réservé aux cotisants" in row.inner_text()
    assert "SECRET-CONSOLE" not in alum.page.locator("#benefits").inner_text()
    assert alum.page.locator("#benefit-publish").is_hidden()
    assert alum.page_errors == [] and alum.csp_violations() == []
