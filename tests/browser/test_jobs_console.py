"""The console's job board (issue 14): a partner's offer with a hostile title waits in the
manager's approval queue, is approved from the console, then an alumnus finds it with the
filters and saves it; the manager posts one from the form (published at once)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
HOSTILE = "Stage <img src=x onerror=alert(1)>"


def test_approve_find_save_and_post(platform: Platform, open_console: Any) -> None:
    partner = {"Authorization": f"Bearer {platform.issue_token('partner', subject='browser-recruiter')}"}
    r = httpx.post(f"{platform.gateway_url}/api/v1/jobs", headers=partner, timeout=30, json={
        "title": HOSTILE, "company": "Recruteur Console", "city": "Nantes", "contract": "internship",
        "description_fr": "Six mois **à Nantes**.", "apply_url": "https://jobs.example.org/console"})
    assert r.status_code == 201, r.text
    with manager(platform) as http:
        member_id = register(http, "Lucie", "Candidate", "lucie.jobs@example.org")

    staff = open_console()
    page = staff.page
    page.locator("#jobs-review-box").wait_for(state="visible")
    wait_text(staff, "#jobs-review", HOSTILE)
    assert page.locator("#jobs-review img").count() == 0
    row = page.locator("#jobs-review tr", has_text="Recruteur Console")
    with page.expect_response(lambda resp: resp.url.endswith("/review") and resp.request.method == "POST") as done:
        row.locator("button.job-approve").click()
    assert done.value.status == 200, done.value.text()
    wait_text(staff, "#jobs", HOSTILE)

    page.fill("#job-post [name=title]", "Contrôleur de gestion")
    page.fill("#job-post [name=company]", "Association")
    page.fill("#job-post [name=city]", "Paris")
    page.fill("#job-post [name=apply_url]", "https://jobs.example.org/office")
    page.fill("#job-post [name=description_fr]", "CDI au service alumni.")
    page.click("#job-post button[type=submit]")
    wait_text(staff, "#job-post-result", "Publiée · Published")
    wait_text(staff, "#jobs", "Contrôleur de gestion")
    staff.assert_clean()

    alum = open_console("alumnus", member_id=member_id)
    apage = alum.page
    apage.select_option("#jobs-search [name=contract]", "internship")
    apage.fill("#jobs-search [name=city]", "nantes")
    with apage.expect_response(lambda resp: "/api/v1/jobs?" in resp.url and "city=nantes" in resp.url):
        apage.click("#jobs-search button[type=submit]")
    for _ in range(100):  # the filtered list replaces the first one (the CSP forbids a string wait_for_function)
        if "Contrôleur de gestion" not in apage.locator("#jobs").inner_text():
            break
        apage.wait_for_timeout(100)
    assert "Contrôleur de gestion" not in apage.locator("#jobs").inner_text(), "filtered out"
    wait_text(alum, "#jobs", "Recruteur Console")
    with apage.expect_response(lambda resp: resp.url.endswith("/saved") and resp.request.method == "PUT") as saved:
        apage.locator("#jobs tr", has_text="Recruteur Console").locator("button.job-save").click()
    assert saved.value.status == 200
    wait_text(alum, "#jobs", "Retirer · Unsave")
    assert apage.locator("#jobs a", has_text="Postuler · Apply").first.get_attribute("href") == \
        "https://jobs.example.org/console"
    assert alum.page_errors == [] and alum.csp_violations() == []
