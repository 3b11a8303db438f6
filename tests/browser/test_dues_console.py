"""The console's dues panel: a manager creates a lifetime plan in three instalments, retires a
plan, and sees a member's membership in the member record."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_manager_creates_and_retires_plans_and_sees_a_membership(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        r = http.post("/api/v1/membership-plans", json={"name": "Cotisation <b>test</b>", "kind": "annual",
                                                         "price_minor": 6000, "currency": "EUR"})
        assert r.status_code == 201, r.text
        plan_id = r.json()["plan_id"]
        member_id = register(http, "Cotisante", "Console", "cotisante.console@example.org")
        assert http.post(f"/api/v1/members/{member_id}/membership", json={"plan_id": plan_id}).status_code == 201
    console = open_console()
    page = console.page
    wait_text(console, "#plans", "Cotisation <b>test</b>", 15)  # a hostile name shown as text
    form = "#plan-create"
    page.fill(f"{form} [name=name]", "À vie en 3 fois")
    page.select_option(f"{form} [name=kind]", "lifetime")
    page.fill(f"{form} [name=price]", "900")
    page.fill(f"{form} [name=instalments]", "3")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/membership-plans") and r.request.method == "POST") \
            as posted:
        page.click(f"{form} button[type=submit]")
    assert posted.value.status == 201, posted.value.text()
    assert posted.value.json()["instalments"] == 3 and posted.value.json()["price_minor"] == 90000
    wait_text(console, "#plans", "À vie en 3 fois")
    lifetime_row = page.locator("#plans tr", has_text="À vie en 3 fois").inner_text()
    assert "900.00 EUR" in lifetime_row and "3" in lifetime_row
    retire = page.locator("#plans tr", has_text="Cotisation <b>test</b>").locator("button.plan-retire")
    retire.click()  # a first click asks for confirmation
    assert retire.inner_text() == "Confirmer le retrait · Confirm retire"
    retire.click()
    wait_text(console, "#plans", "(retirée · retired)")
    # The member record shows the membership waiting for payment.
    page.locator("#members[aria-busy=false]").wait_for(state="attached")
    page.locator("#members button", has_text="Cotisante Console").first.click()
    page.locator("#record-membership button", has_text="Cotisation · Dues").click()  # loaded on demand
    wait_text(console, "#record", "en attente de paiement · pending payment")
    console.assert_clean()


def test_an_alumnus_joins_pays_on_the_local_page_and_downloads_the_certificate(platform: Platform,
                                                                              open_console: Any) -> None:
    """The demo's first path: "Ma cotisation / My membership" → join the standard plan → pay on
    the local provider's hosted page → back in the console, active → certificate (PDF)."""
    with manager(platform) as http:
        r = http.post("/api/v1/membership-plans", json={"name": "Standard navigateur", "kind": "annual",
                                                         "price_minor": 6000, "currency": "EUR",
                                                         "legal_entity": "Association des diplômés"})
        assert r.status_code == 201, r.text
        member_id = register(http, "Łukasz", "Żółć", "lukasz.zolc@example.org")
    console = open_console("alumnus", member_id=member_id)
    page = console.page
    wait_text(console, "#my-membership", "afficher ma cotisation · show my membership", 15)
    # The staff panels' refusals (403) only: no membership request, hence no 404, until asked.
    assert all("403" in e for e in console.console_errors), console.console_errors
    page.click("#refresh-my-membership")
    wait_text(console, "#my-membership", "Pas encore adhérent · Not a member yet", 15)
    page.select_option("#my-membership-plan", label="Standard navigateur — 60.00 EUR")
    page.click("#my-membership-join button[type=submit]")
    pay = page.locator("#my-membership-pay")
    pay.wait_for()
    assert pay.get_attribute("href", timeout=5000).startswith(f"{platform.checkout_url}/checkout/cs_local_")
    wait_text(console, "#my-membership", "en attente de paiement · awaiting payment")
    pay.click()
    page.wait_for_url(f"{platform.checkout_url}/checkout/**")
    assert "60,00 EUR" in page.content() and "Valable jusqu'au" in page.content()
    page.click("button.pay")
    page.wait_for_url(f"{platform.gateway_url}/console**")  # the provider sends the payer back
    deadline = time.monotonic() + 60
    while "active · active" not in page.locator("#my-membership").inner_text():
        assert time.monotonic() < deadline, page.locator("#my-membership").inner_text()
        page.wait_for_timeout(500)
        page.click("#refresh-my-membership")
    assert "Standard navigateur" in page.locator("#my-membership").inner_text()
    with page.expect_download() as downloading:
        page.click("#my-certificate-en")
    download = downloading.value
    assert download.suggested_filename.endswith("-en.pdf")
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Łukasz Żółć" in text and "Standard navigateur" in text
