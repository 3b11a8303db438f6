"""Editing a dues plan from the console: a new revision that keeps every term the form does not
show (legal entity, tax-deductible share, eligibility, grace), a refusal shown in the panel, and
retiring only after a confirming second click."""

from __future__ import annotations

from typing import Any

import pytest

from alumni_local.runner import Platform

from .conftest import manager
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TERMS = {"name": "Promo 2012 — Couple", "kind": "annual", "price_minor": 9000, "currency": "EUR",
         "legal_entity": "Association des Diplômés de l'École", "tax_deductible_minor": 6000, "grace_days": 45,
         "max_years_since_graduation": 20}  # no description: the plan answers "" for it


def test_a_manager_edits_a_plan_into_a_new_revision_keeping_its_other_terms(
        platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        r = http.post("/api/v1/membership-plans", json=TERMS)
        assert r.status_code == 201, r.text
        plan_id = r.json()["plan_id"]
    console = open_console()
    page = console.page
    wait_text(console, "#plans", "Promo 2012 — Couple")
    row = page.locator("#plans tr", has_text="Promo 2012 — Couple")
    row.locator("button.plan-edit").click()
    form = "#plan-create"
    assert page.input_value(f"{form} [name=name]") == "Promo 2012 — Couple"
    assert page.input_value(f"{form} [name=price]") == "90.00"
    assert "version 2" in page.locator(f"{form} button[type=submit]").inner_text()
    # A price under the tax-deductible share is refused by the API, and said so.
    page.fill(f"{form} [name=price]", "50")
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/membership-plans/{plan_id}")
                              and r.request.method == "PUT") as refused:
        page.click(f"{form} button[type=submit]")
    assert refused.value.status == 422
    wait_text(console, "#plans-error", "tax-deductible share cannot exceed the price")
    console.console_errors.clear()  # the browser logs the 422 it was told to expect
    page.fill(f"{form} [name=name]", "Promo 2012 — Duo (couple)")
    page.fill(f"{form} [name=price]", "95.50")
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/membership-plans/{plan_id}")
                              and r.request.method == "PUT") as saved:
        page.click(f"{form} button[type=submit]")
    assert saved.value.status == 200, saved.value.text()
    wait_text(console, "#plans", "Promo 2012 — Duo (couple)")
    assert page.input_value(f"{form} [name=name]") == ""  # back to creating
    assert page.locator(f"{form} button[type=submit]").inner_text() == "Créer · Create"
    assert page.inner_text("#plans-error") == ""
    with manager(platform) as http:
        plan = http.get(f"/api/v1/membership-plans/{plan_id}").json()
    assert plan["revision"] == 2 and plan["price_minor"] == 9550 and plan["name"] == "Promo 2012 — Duo (couple)"
    kept = ("legal_entity", "tax_deductible_minor", "grace_days", "max_years_since_graduation", "currency", "kind")
    assert {k: plan[k] for k in kept} == {k: TERMS[k] for k in kept} and plan["description"] == ""
    edited = page.locator("#plans tr", has_text="Promo 2012 — Duo (couple)")
    assert "95.50 EUR" in edited.inner_text() and edited.locator("td").nth(4).inner_text() == "2"
    # Retiring takes two clicks: one alone retires nothing.
    edited.locator("button.plan-retire").click()
    page.wait_for_timeout(500)
    with manager(platform) as http:
        assert http.get(f"/api/v1/membership-plans/{plan_id}").json()["retired"] is False
    edited.locator("button.plan-retire").click()
    wait_text(console, "#plans", "Promo 2012 — Duo (couple) (retirée · retired)")
    console.assert_clean()
