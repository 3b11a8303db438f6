"""Tax receipts in the console: an alumnus sees and downloads their own receipts; the office
finds a donor's receipts, voids one and reissues it under the next number, and downloads the
yearly register, and issues the yearly summary receipts as a background job whose progress it
follows — in French and English, a hostile donor name shown as text, no CSP violation."""

from __future__ import annotations

import time
from typing import Any

import pytest

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
HOSTILE = "<img src=x onerror=alert(1)>"
ENTITY = {"legal_entity_id": "fondation-browser", "name": "Fondation « navigateur »",
          "address": "1 rue de l'École, Paris", "object": "Bourses", "status": "Fondation reconnue d'utilité publique",
          "may_issue_receipts": True, "signatory_name": "Claire Martin", "signatory_title": "Présidente",
          "campaign_ids": ["receipts-browser"]}


def test_alumnus_downloads_a_receipt_and_the_office_voids_reissues_and_exports(
        platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        assert http.put("/api/v1/legal-entities/fondation-browser", json=ENTITY).status_code == 200
        member_id = register(http, HOSTILE, "Donatrice", "receipts.browser@example.org")
        gift = {"member_id": member_id, "amount": {"minor_units": 7500, "currency": "EUR"},
                "campaign_id": "receipts-browser"}
        deadline = time.monotonic() + 30
        while http.post("/api/v1/donations", json=gift, headers={"Idempotency-Key": "browser-gift"}).status_code != 201:
            assert time.monotonic() < deadline, "fundraising never knew the member"
            time.sleep(0.3)
        while not http.get(f"/api/v1/receipts?member_id={member_id}").json().get("items"):
            assert time.monotonic() < deadline + 30, "no receipt issued"
            time.sleep(0.3)

    alumnus = open_console("alumnus", member_id=member_id, width=390, height=844)
    page = alumnus.page
    refused: list[str] = []
    page.on("response", lambda r: refused.append(r.url) if r.status >= 400 and "receipt" in r.url else None)
    page.reload()
    wait_text(alumnus, "#my-receipts", "Fondation « navigateur »")
    assert "75.00 EUR" in page.locator("#my-receipts").inner_text()
    with page.expect_download() as download:
        page.locator("#my-receipts button[data-lang=fr]").first.click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert page.locator("#receipts-panel").is_hidden()  # the office's panel is not an alumnus's
    page.fill("#my-receipt-address", "3 avenue Foch\n69006 Lyon")
    page.check("#my-receipt-yearly")
    page.click("#my-receipt-profile button[type=submit]")
    wait_text(alumnus, "#my-receipt-profile-result", "Enregistré · Saved — reçu annuel · yearly receipt")
    # (the staff panels an alumnus's console still loads answer 403: not the receipts' calls)
    assert refused == [] and alumnus.page_errors == [] and alumnus.csp_violations() == []

    office = open_console("manager")
    page = office.page
    assert page.locator("#my-receipts-panel").is_hidden()
    page.fill("#receipts-member", member_id)
    page.click("#receipts-donor button[type=submit]")
    wait_text(office, "#receipts", "émis · issued")
    wait_text(office, "#receipts-summary", "Fondation « navigateur » 75.00 EUR (1)")
    assert HOSTILE in page.locator("#receipts").inner_text()  # text, not markup
    assert page.locator("#receipts img").count() == 0
    page.click("#receipts button.void")  # no reason yet: refused in the page
    wait_text(office, "#receipts-error", "Motif requis · A reason is required")
    page.fill("#receipts-void-reason", "Adresse erronée")
    page.click("#receipts button.void")
    wait_text(office, "#receipts-register-result", "annulé · voided →")
    wait_text(office, "#receipts", "annulé · voided")
    numbers = page.locator("#receipts tr td:first-child").all_inner_texts()
    assert len(numbers) == 2 and numbers[0] != numbers[1]
    year = numbers[0][:4]

    page.select_option("#receipts-entity", "fondation-browser")
    page.fill("#receipts-year", year)
    with page.expect_download() as download:
        page.click("#receipts-register button[type=submit]")
    assert download.value.suggested_filename == f"registre-recus-fondation-browser-{year}.csv"
    wait_text(office, "#receipts-register-result", "numérotation continue · no gap")
    assert "2 reçus · receipts" in page.locator("#receipts-register-result").inner_text()

    # The alumnus chose a yearly summary: a second gift is held, then issued by the background job.
    with manager(platform) as http:
        gift = {"member_id": member_id, "amount": {"minor_units": 1200, "currency": "EUR"},
                "campaign_id": "receipts-browser"}
        assert http.post("/api/v1/donations", json=gift, headers={"Idempotency-Key": "browser-gift-2"}).status_code == 201
    deadline = time.monotonic() + 60
    while "1 / 1" not in page.locator("#yearly-job-status").inner_text():
        assert time.monotonic() < deadline, page.locator("#yearly-job-status").inner_text()
        page.evaluate("document.getElementById('yearly-job-status').textContent = ''")
        page.click("#yearly-job-start")  # nothing held yet (the gift's event is on its way): 0 / 0, done
        wait_text(office, "#yearly-job-status", "terminé · done")
        time.sleep(0.5)
    assert page.locator("#yearly-job-progress").get_attribute("value") == "1"
    page.click("#receipts-donor button[type=submit]")
    wait_text(office, "#receipts-summary", "87.00 EUR (2)")  # 75 (voided and reissued) + 12
    office.assert_clean()
