"""The console's fundraising panels: a manager launches a campaign for the foundation, records
a cheque, and sees the class leaderboard update live (pushed by Server-Sent Events) when a gift arrives from
elsewhere; an alumnus gives online on the local provider's page and finds the gift in "Mes
dons · My donations". Hostile names are shown as text."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
HOSTILE = "<img src=x onerror=alert(1)>"


def known_to_fundraising(http: Any, campaign_id: str, member_id: str, amount: int, key: str) -> Any:
    """Record a gift once the member (registered a moment ago) reached fundraising's projection."""
    body = {"campaign_id": campaign_id, "member_id": member_id, "amount_minor": amount, "currency": "EUR",
            "method": "transfer", "received_on": datetime.now(UTC).date().isoformat(), "name_publicly": True}
    deadline = time.monotonic() + 30
    while True:
        r = http.post("/api/v1/gifts", json=body, headers={"Idempotency-Key": key})
        if r.status_code != 422 or time.monotonic() > deadline:
            return r
        time.sleep(0.25)


def test_manager_launches_records_and_watches_the_live_leaderboard(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        first = register(http, HOSTILE, "Donatrice", "hostile.donor@example.org", program="MSc Giving", year=2011)
        second = register(http, "Bruno", "Bienfaiteur", "bruno.giving@example.org", program="MSc Giving", year=2011)
    console = open_console()
    page = console.page
    page.click("#campaigns-panel summary")
    form = "#campaign-create"
    for name, value in {"name_fr": "Journée du don <b>2026</b>", "name_en": "Giving day 2026", "goal": "100",
                        "entity_id": "fondation-navigateur", "entity_name": "Fondation de l'École",
                        "entity_line1": "1 rue de l'École", "entity_postal_code": "75005", "entity_city": "Paris",
                        "entity_purpose": "Bourses", "entity_status": "FRUP"}.items():
        page.fill(f"{form} [name={name}]", value)
    page.check(f"{form} [name=giving_day]")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/campaigns") and r.request.method == "POST") as posted:
        page.click(f"{form} button[type=submit]")
    assert posted.value.status == 201, posted.value.text()
    campaign_id = posted.value.json()["campaign_id"]
    wait_text(console, "#campaigns", "Journée du don <b>2026</b>")  # markup shown as text
    page.locator("#campaign-detail").wait_for()

    with manager(platform) as http:  # the member reaches fundraising by an event: wait for it
        assert known_to_fundraising(http, campaign_id, first, 100, "browser-warmup").status_code == 201
    gift = "#gift-record"
    page.fill(f"{gift} [name=member_id]", first)
    page.fill(f"{gift} [name=amount]", "40")
    page.select_option(f"{gift} [name=method]", "cheque")
    page.fill(f"{gift} [name=reference]", "CHQ 77")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/gifts") and r.request.method == "POST") as recorded:
        page.click(f"{gift} button[type=submit]")
    assert recorded.value.status == 201, recorded.value.text()
    wait_text(console, "#gifts", HOSTILE)  # the hostile first name, as text
    wait_text(console, "#gifts", "40.00 EUR")
    wait_text(console, "#leaderboard", "MSc Giving 2011")

    # A gift from elsewhere (another desk, the webhook): the leaderboard follows without a click.
    with manager(platform) as http:
        assert known_to_fundraising(http, campaign_id, second, 2500, "browser-second").status_code == 201
    wait_text(console, "#leaderboard", "66.00 EUR", timeout=20)  # 1 + 40 + 25
    wait_text(console, "#leaderboard-updated", "en direct · live")  # pushed by the stream, not polled
    # A monthly gift whose charge failed is shown as such (never a silent stop).
    with manager(platform) as http:
        r = http.post("/api/v1/recurring-gifts", json={"campaign_id": campaign_id, "member_id": second,
                                                       "amount_minor": 1000, "currency": "EUR", "frequency": "monthly"})
        assert r.status_code == 201, r.text
        r = http.post(f"/api/v1/recurring-gifts/{r.json()['recurring_gift_id']}/charges", json={
            "outcome": "failed", "charged_on": datetime.now(UTC).date().isoformat(), "reason": "card_declined"})
        assert r.status_code == 200 and r.json()["status"] == "failed", r.text
    page.click("#campaigns button.campaign-open")
    wait_text(console, "#recurring-gifts", "échec de prélèvement · charge failed (card_declined)")
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    console.assert_clean()


def test_an_alumnus_gives_online_and_sees_the_gift(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        member_id = register(http, "Zoé", "Donatrice", "zoe.online@example.org")
        r = http.post("/api/v1/campaigns", json={
            "name_fr": "Bourses navigateur", "name_en": "Browser scholarships", "goal_minor": 100_000,
            "currency": "EUR", "legal_entity": {
                "entity_id": "fondation-navigateur", "name": "Fondation", "purpose": "Bourses",
                "may_issue_receipts": True, "status": "FRUP",
                "address": {"line1": "1 rue", "postal_code": "75005", "city": "Paris"}}})
        assert r.status_code == 201, r.text
        known_to_fundraising(http, r.json()["campaign_id"], member_id, 100, "browser-zoe-warmup")
    console = open_console("alumnus", member_id=member_id)
    page = console.page
    page.locator("#give-campaign option", has_text="Bourses navigateur").first.wait_for(state="attached")
    page.select_option("#give-campaign", label="Bourses navigateur · Browser scholarships")
    page.fill("#give-online [name=amount]", "30")
    page.click("#give-online button[type=submit]")
    pay = page.locator("#give-pay")
    pay.wait_for()
    assert pay.get_attribute("href").startswith(f"{platform.checkout_url}/checkout/cs_local_")
    pay.click()
    page.wait_for_url(f"{platform.checkout_url}/checkout/**")
    assert "30,00 EUR" in page.content()
    page.click("button.pay")
    page.wait_for_url(f"{platform.gateway_url}/console**")
    deadline = time.monotonic() + 30
    while "30.00 EUR" not in page.locator("#my-gifts").inner_text():
        assert time.monotonic() < deadline, page.locator("#my-gifts").inner_text()
        page.click("#refresh-my-donations")
        page.wait_for_timeout(500)
    assert "reçu · received" in page.locator("#my-gifts").inner_text()
    # Staff routes refused to the alumnus' token (403) and the console's own membership look-up
    # on return from a checkout (404: no membership) are the only errors.
    assert all("403" in e or "404" in e for e in console.console_errors), console.console_errors
