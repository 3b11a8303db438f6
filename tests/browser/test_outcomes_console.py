"""The career-outcomes survey in the browser (issue 14): a manager launches a survey for a class
from the console (a hostile title shown as text); an alumnus answers from their personal link on
the public answering page (FR, then EN), without logging in; opening the link again says it was
answered; a logged-in alumnus answers from the console's "my surveys"; the manager sees the
response rate by cohort, the figures of the group of 5 and the small group suppressed, and
downloads the rankings CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform

from ..e2e.test_platform import wait_until
from .conftest import WATCH, manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
HOSTILE = "<img src=x onerror=alert(1)>"
ANSWER = {"situation": "employed", "contract": "permanent", "sector": "Conseil", "country": "FR",
          "salary_band": "45k_50k", "consent": True}


def test_launch_answer_by_link_figures_and_csv(platform: Platform, open_console: Any, browser: Any) -> None:
    with manager(platform) as http:
        msc = [register(http, HOSTILE if i == 0 else f"Diplome{i}", "Insertion", f"insertion{i}.browser@example.org",
                        program="MSc Browser Outcomes", year=2023) for i in range(5)]
        mba = register(http, "Solo", "Insertion", "solo.browser@example.org", program="MBA Browser Outcomes", year=2023)

        def known(member_id: str) -> bool:
            return http.get(f"/api/v1/members/{member_id}/helper-profile").status_code == 200

        for member_id in [*msc, mba]:
            wait_until(lambda m=member_id: known(m), 60, "community to know the class")  # type: ignore[misc]

    staff = open_console("manager")
    page = staff.page
    page.locator("#outcomes-panel").wait_for(state="visible")
    page.fill("#outcome-launch [name=title]", f"Insertion 2023 {HOSTILE}")
    page.fill("#outcome-launch [name=cohort_years]", "2023")
    page.fill("#outcome-launch [name=programs]", "MSc Browser Outcomes, MBA Browser Outcomes")
    page.fill("#outcome-launch [name=months_after]", "6")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/outcome-surveys") and r.request.method == "POST") \
            as launched:
        page.click("#outcome-launch button[type=submit]")
    assert launched.value.status == 201, launched.value.text()
    survey_id = launched.value.json()["survey_id"]
    wait_text(staff, f"#outcome-surveys tr[data-survey='{survey_id}']", f"Insertion 2023 {HOSTILE}")
    wait_text(staff, f"#outcome-surveys tr[data-survey='{survey_id}']", "0 / 6")
    assert page.locator("#outcome-surveys img").count() == 0, "the title is text, never markup"

    with manager(platform) as http:
        rows = list(csv.DictReader(io.StringIO(http.get(f"/api/v1/outcome-surveys/{survey_id}/links.csv")
                                               .content.decode("utf-8-sig")), delimiter=";"))
    link = {row["member_id"]: row["link"] for row in rows}
    assert set(link) == {*msc, mba}

    # an alumnus answers from the link, without logging in
    context = browser.new_context(locale="fr-FR")
    try:
        context.set_default_timeout(15_000)
        context.add_init_script(WATCH)
        alum = context.new_page()
        errors: list[str] = []
        alum.on("pageerror", lambda e: errors.append(str(e)))
        alum.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        alum.goto(link[msc[0]])
        alum.locator("#survey-form").wait_for(state="visible")
        assert "#" not in alum.url, "the token left the address bar"
        assert "2023" in alum.locator("#survey-intro").inner_text()
        assert "Enquête" in alum.locator("#survey-heading").inner_text()
        alum.click("#survey-lang")
        assert alum.locator("#survey-heading").inner_text() == "Graduate outcomes survey"
        assert "agree" in alum.locator("#survey-consent").inner_text()
        alum.select_option("#survey-form [name=situation]", "employed")
        alum.select_option("#survey-form [name=contract]", "permanent")
        alum.fill("#survey-form [name=sector]", "Conseil")
        alum.fill("#survey-form [name=country]", "fr")
        alum.select_option("#survey-form [name=salary_band]", "45k_50k")
        alum.check("#survey-form [name=consent]")
        with alum.expect_response(lambda r: "/api/v1/public/outcome-survey" in r.url and r.request.method == "POST") \
                as sent:
            alum.click("#survey-form button[type=submit]")
        assert sent.value.status == 201, sent.value.text()
        alum.locator("#survey-done", has_text="recorded").wait_for(state="visible")
        assert alum.locator("#survey-form").is_hidden()
        alum.goto(link[msc[0]])  # the same link again: already answered, no form
        alum.locator("#survey-done", has_text="already answered").wait_for(state="visible")  # still in English
        assert alum.locator("#survey-form").is_hidden()
        alum.click("#survey-lang")
        assert "déjà répondu" in alum.locator("#survey-done").inner_text()
        assert errors == [] and alum.evaluate("window.__csp") == []
        alum.goto(platform.gateway_url + "/survey?tenant=demo#not-a-valid-token-at-all")
        alum.locator("#survey-error").wait_for(state="visible")
        assert alum.locator("#survey-form").is_hidden()
    finally:
        context.close()

    # a logged-in alumnus answers from the console (no link): their surveys, then the same page
    solo = open_console("alumnus", member_id=mba)
    spage = solo.page
    spage.locator(f"#my-outcomes li[data-survey='{survey_id}'] a").click()
    spage.locator("#survey-form").wait_for(state="visible")
    assert "MBA Browser Outcomes 2023" in spage.locator("#survey-intro").inner_text()
    spage.select_option("#survey-form [name=situation]", "employed")
    spage.fill("#survey-form [name=sector]", "Conseil")
    spage.select_option("#survey-form [name=salary_band]", "45k_50k")
    spage.check("#survey-form [name=consent]")
    with spage.expect_response(lambda r: r.url.endswith(f"/api/v1/me/outcome-surveys/{survey_id}/answer")) as own:
        spage.click("#survey-form button[type=submit]")
    assert own.value.status == 201, own.value.text()
    spage.locator("#survey-done", has_text="enregistrée").wait_for(state="visible")
    assert solo.page_errors == [] and spage.evaluate("window.__csp") == []

    public = f"{platform.gateway_url}/api/v1/public/outcome-survey"
    for member_id in msc[1:]:
        token = link[member_id].split("#", 1)[1]
        r = httpx.post(public, params={"tenant": "demo"}, json={"token": token, **ANSWER}, timeout=30)
        assert r.status_code == 201, r.text

    page.click("#refresh-outcomes")
    wait_text(staff, f"#outcome-surveys tr[data-survey='{survey_id}']", "6 / 6")
    wait_text(staff, "#outcome-figures tr[data-group='MSc Browser Outcomes 2023']", "100 %")
    row = page.locator("#outcome-figures tr[data-group='MSc Browser Outcomes 2023']").inner_text()
    assert "45–50 k€" in row and "Conseil (5)" in row
    small = page.locator("#outcome-figures tr[data-group='MBA Browser Outcomes 2023']").inner_text()
    assert "suppressed" in small and "45–50" not in small and "Conseil" not in small

    with page.expect_download() as download:
        page.locator(f"#outcome-surveys tr[data-survey='{survey_id}'] button.figures-csv").click()
    path = download.value.path()
    assert download.value.suggested_filename == "outcomes-2023-6m.csv"
    with open(path, encoding="utf-8-sig") as f:
        table = {(r["group_kind"], r["group"]): r for r in csv.DictReader(f, delimiter=";")}
    assert table[("cohort", "MSc Browser Outcomes 2023")]["median_salary_band"] == "45k_50k"
    assert table[("cohort", "MBA Browser Outcomes 2023")]["median_salary_band"] == ""
    staff.assert_clean()
