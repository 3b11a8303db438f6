"""The console's recurring gifts and the dues plan's legal entity: an alumna sets up a monthly
gift on the local provider's page (the card saved), sees its charge fail and updates her card in
one click; a manager picks the entity receiving a plan's dues from fundraising's registry (a
hostile name rendered as text), and the registry then knows the plan and its deductible share."""

from __future__ import annotations

import time
from typing import Any

import pytest

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_fundraising_console import known_to_fundraising
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
HOSTILE = 'Association <img src=x onerror="alert(1)"> des Diplômés'
ENTITY = {"legal_entity_id": "asso-plan-navigateur", "name": HOSTILE, "address": "2 rue de l'École, Paris",
          "object": "Réseau des diplômés", "status": "Association reconnue d'utilité publique",
          "may_issue_receipts": True, "signatory_name": "Paul Martin", "signatory_title": "Trésorier"}


def test_a_manager_picks_the_plan_s_legal_entity_from_the_registry(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        r = http.put(f"/api/v1/legal-entities/{ENTITY['legal_entity_id']}", json=ENTITY)
        assert r.status_code == 200, r.text
    console = open_console()
    page = console.page
    option = page.locator("#plan-entity option", has_text="des Diplômés")
    option.first.wait_for(state="attached")
    assert option.first.inner_text() == HOSTILE, "the entity's name is text, never markup"
    form = "#plan-create"
    page.fill(f"{form} [name=name]", "Formule registre navigateur")
    page.fill(f"{form} [name=price]", "80")
    page.select_option("#plan-entity", value=ENTITY["legal_entity_id"])
    page.fill(f"{form} [name=deductible]", "50")
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/legal-entities/{ENTITY['legal_entity_id']}")
                              and r.request.method == "PUT") as synced:
        page.click(f"{form} button[type=submit]")
    assert synced.value.status == 200, synced.value.text()
    wait_text(console, "#plans", "Formule registre navigateur")
    with manager(platform) as http:
        plan = next(p for p in http.get("/api/v1/membership-plans").json()["items"]
                    if p["name"] == "Formule registre navigateur")
        entity = next(e for e in http.get("/api/v1/legal-entities").json()["items"]
                      if e["legal_entity_id"] == ENTITY["legal_entity_id"])
    assert (plan["legal_entity"], plan["tax_deductible_minor"]) == (HOSTILE, 5000)
    assert entity["dues_plans"] == {plan["plan_id"]: 5000}
    # Editing shows the entity chosen; choosing none takes the plan out of the registry's entity.
    page.locator("#plans tr", has_text="Formule registre navigateur").locator("button.plan-edit").click()
    assert page.input_value("#plan-entity") == ENTITY["legal_entity_id"]
    assert page.input_value(f"{form} [name=deductible]") == "50.00"
    page.select_option("#plan-entity", value="")
    page.fill(f"{form} [name=deductible]", "")
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/legal-entities/{ENTITY['legal_entity_id']}")
                              and r.request.method == "PUT") as removed:
        page.click(f"{form} button[type=submit]")
    assert removed.value.status == 200
    with manager(platform) as http:
        entity = next(e for e in http.get("/api/v1/legal-entities").json()["items"]
                      if e["legal_entity_id"] == ENTITY["legal_entity_id"])
        plan = http.get(f"/api/v1/membership-plans/{plan['plan_id']}").json()
    assert entity["dues_plans"] == {} and plan["legal_entity"] in ("", None)
    console.assert_clean()


def test_an_alumna_gives_monthly_sees_a_failed_charge_and_updates_her_card(
        platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        member_id = register(http, "Mona", "Mensuelle", "mona.monthly@example.org")
        r = http.post("/api/v1/campaigns", json={
            "name_fr": "Dons mensuels navigateur", "name_en": "Browser monthly giving", "goal_minor": 100_000,
            "currency": "EUR", "legal_entity": {
                "entity_id": "fondation-mensuelle", "name": "Fondation", "purpose": "Bourses",
                "may_issue_receipts": True, "status": "FRUP",
                "address": {"line1": "1 rue", "postal_code": "75005", "city": "Paris"}}})
        assert r.status_code == 201, r.text
        known_to_fundraising(http, r.json()["campaign_id"], member_id, 100, "browser-mona-warmup")
    console = open_console("alumnus", member_id=member_id)
    page = console.page
    page.locator("#give-campaign option", has_text="Dons mensuels navigateur").first.wait_for(state="attached")
    page.select_option("#give-campaign", label="Dons mensuels navigateur · Browser monthly giving")
    page.fill("#give-online [name=amount]", "12")
    page.select_option("#give-online [name=frequency]", value="monthly")
    page.click("#give-online button[type=submit]")
    page.locator("#give-pay").click()
    page.wait_for_url(f"{platform.checkout_url}/checkout/**")
    assert "Carte enregistrée" in page.content()
    page.click("button[value=pay_declined]")  # later periods are declined (a card that will expire)
    page.wait_for_url(f"{platform.gateway_url}/console**")

    def my_recurring(text: str) -> str:
        deadline = time.monotonic() + 30
        while text not in (found := page.locator("#my-recurring").inner_text()):
            assert time.monotonic() < deadline, found
            page.click("#refresh-my-donations")
            page.wait_for_timeout(500)
        return found

    row = my_recurring("automatique · automatic")
    assert "actif · active" in row and "12.00 EUR" in row
    with manager(platform) as http:
        mine = [g for g in http.get(f"/api/v1/recurring-gifts?member_id={member_id}").json()["items"]]
        assert len(mine) == 1 and mine[0]["status"] == "active"
        r = http.post("/api/v1/recurring-gifts/charge-due", json={"as_of": mine[0]["next_charge_on"]})
        assert r.status_code == 200 and r.json()["failed"] >= 1, r.text
    row = my_recurring("échec de prélèvement · charge failed")
    assert "card_declined" in row and "nouvel essai prévu · retry scheduled" in row
    page.locator("#my-recurring button.recurring-update").click()
    pay = page.locator("#give-pay")
    pay.wait_for()
    assert pay.get_attribute("href").startswith(f"{platform.checkout_url}/checkout/cs_local_")
    # Staff routes refused to the alumna's token (403) and the membership look-up on return (404).
    assert all("403" in e or "404" in e for e in console.console_errors), console.console_errors
