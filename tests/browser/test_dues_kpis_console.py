"""The console's dues KPIs panel on data seeded through the API (registrations, plans, joins,
cheques recorded by the office → `dues_paid` → membership events → the KPI projection): the
tables by cohort and by program and the chart show the expected figures, hostile names as
text, at desktop and phone width; the API refuses alumni, anonymous callers and bad params."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
LETTRES = "KPI <b>Lettres</b>"  # a hostile program name, rendered as text
SCIENCES = "KPI Sciences"
MONTH = datetime.now(UTC).strftime("%Y-%m")
KPIS = f"/api/v1/membership-kpis?from_month={MONTH}&to_month={MONTH}"


def pay(http: httpx.Client, member_id: str, plan_id: str, amount: int) -> None:
    r = http.post(f"/api/v1/members/{member_id}/membership", json={"plan_id": plan_id})
    assert r.status_code == 201, r.text
    r = http.post("/api/v1/payments/manual", json={
        "purpose": "dues", "reference_id": r.json()["membership"]["membership_id"], "member_id": member_id,
        "plan_id": plan_id, "amount_minor": amount, "currency": "EUR", "method": "cheque", "reference": "CHQ 1",
        "received_on": date.today().isoformat()})
    assert r.status_code == 201, r.text


def row(report: dict[str, Any], key: str) -> dict[str, Any]:
    return next(r for r in report["rows"] if r["key"] == key)


def test_kpi_panel_shows_figures_by_cohort_and_program(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        standard = http.post("/api/v1/membership-plans", json={"name": "KPI Standard", "kind": "annual",
                                                               "price_minor": 6000, "currency": "EUR"}).json()["plan_id"]
        lifetime = http.post("/api/v1/membership-plans", json={"name": "KPI À vie", "kind": "lifetime",
                                                               "price_minor": 90000, "currency": "EUR"}).json()["plan_id"]
        a = register(http, "Anne", "Kpi", "anne.kpi@example.org", LETTRES, 1971)
        b = register(http, "Bruno", "Kpi", "bruno.kpi@example.org", LETTRES, 1971)
        register(http, "Carla", "Kpi", "carla.kpi@example.org", SCIENCES, 1971)
        d = register(http, "Denis", "Kpi", "denis.kpi@example.org", SCIENCES, 1972)
        pay(http, a, standard, 6000)
        pay(http, b, standard, 6000)
        pay(http, d, lifetime, 90000)
        deadline = time.monotonic() + 60
        while True:  # the projection follows the events
            by_cohort = http.get(KPIS + "&by=cohort").json()
            keys = {r["key"]: r for r in by_cohort["rows"]}
            if "1971" in keys and keys["1971"]["members"] == 2 and "1972" in keys and keys["1972"]["lifetime"] == 1:
                break
            assert time.monotonic() < deadline, by_cohort
            time.sleep(0.5)
        c1971, c1972 = row(by_cohort, "1971"), row(by_cohort, "1972")
        assert (c1971["alumni"], c1971["members"], c1971["participation"]["rate"]) == (3, 2, 0.6667)
        assert c1971["conversion"]["rate"] == 0.0 and c1972["lifetime_share"]["rate"] == 1.0
        by_program = http.get(KPIS + "&by=program").json()
        assert row(by_program, LETTRES)["participation"]["rate"] == 1.0
        assert row(by_program, SCIENCES)["participation"]["rate"] == 0.5
        revenue = {(x["plan_name"], x["month"]): x["amount_minor"] for x in by_cohort["revenue"]}
        assert revenue[("KPI Standard", MONTH)] == 12000 and revenue[("KPI À vie", MONTH)] == 90000

        # Staff only; bad parameters are problems, not 500s.
        alumnus = platform.issue_token("alumnus", subject="kpi-alumnus", member_id=a)
        r = httpx.get(platform.gateway_url + KPIS, headers={"Authorization": f"Bearer {alumnus}"})
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
        assert httpx.get(platform.gateway_url + KPIS).status_code == 401
        base = "/api/v1/membership-kpis?"
        for bad in (f"by=year&from_month={MONTH}&to_month={MONTH}", f"from_month=2026-13&to_month={MONTH}",
                    f"from_month={MONTH}&to_month=2001-01", f"from_month={MONTH}&to_month={MONTH}&cohort_from=12",
                    f"to_month={MONTH}"):
            r = http.get(base + bad)
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", (bad, r.text)

    console = open_console()
    page = console.page
    wait_text(console, "#kpi-cohort", "1971", 20)
    cohort_row = page.locator("#kpi-cohort tr", has_text="1971").first.inner_text()
    assert "66.7 %" in cohort_row and "3" in cohort_row
    assert "100.0 %" in page.locator("#kpi-cohort tr", has_text="1972").first.inner_text()
    wait_text(console, "#kpi-program", LETTRES)  # shown as the characters typed, not as markup
    assert page.locator("#kpi-program b").count() == 0
    assert "50.0 %" in page.locator("#kpi-program tr", has_text=SCIENCES).first.inner_text()
    bar = page.locator('#kpi-chart svg g[data-cohort="1971"]')
    assert bar.locator("text.value").text_content() == "66.7 %"
    assert float(bar.locator("rect").get_attribute("width") or 0) > 0
    revenue = page.locator("#kpi-revenue").inner_text()
    assert "KPI Standard" in revenue and "120.00 EUR" in revenue and "900.00 EUR" in revenue
    assert "Participation" in page.locator("#kpi-panel").inner_text()  # the bilingual labels
    console.assert_clean()

    phone = open_console(width=390, height=844)
    wait_text(phone, "#kpi-cohort", "1971", 20)
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390
    for selector in ("#kpi-panel", "#kpi-cohort tbody tr", "#kpi-chart svg", "#kpi-period button[type=submit]"):
        boxes = phone.page.locator(selector)
        for i in range(boxes.count()):
            box = boxes.nth(i).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, i, box)
    phone.assert_clean()
