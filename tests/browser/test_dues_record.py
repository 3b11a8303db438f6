"""A member's dues membership in the console's record, as the alumni office reads it: states and
payment methods in French and English, each payment with its date, instalment, cheque reference
and refund, what is due, the certificate to download — and an error shown as an error, not as
"no membership"."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def membership(http: httpx.Client, member_id: str) -> dict[str, Any]:
    r = http.get(f"/api/v1/members/{member_id}/membership")
    return dict(r.json()) if r.status_code == 200 else {}


def open_dues(console: Any, member_id: str) -> Any:
    page = console.page
    page.goto(f"{console.url}&member={member_id}")
    page.reload()  # a new fragment alone does not load the page again
    page.locator("#record-membership button", has_text="Cotisation · Dues").click()
    return page.locator("#record-membership")


def test_a_lifetime_membership_paid_by_card_and_cheque_reads_in_both_languages(
        platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        r = http.post("/api/v1/membership-plans", json={
            "name": "À vie en 2 fois — Promo 2012", "kind": "lifetime", "price_minor": 60000, "currency": "EUR",
            "instalments": 2, "legal_entity": "Association des diplômés"})
        assert r.status_code == 201, r.text
        plan_id = r.json()["plan_id"]
        member_id = register(http, "Hélène", "Lefèvre", "helene.record@example.org", "Grande École", 2012)
        r = http.post(f"/api/v1/members/{member_id}/membership", json={"plan_id": plan_id})
        assert r.status_code == 201, r.text
        ms_id = r.json()["membership"]["membership_id"]
        cheque = {"purpose": "dues", "reference_id": ms_id, "member_id": member_id, "plan_id": plan_id,
                  "amount_minor": 30000, "currency": "EUR", "method": "cheque", "reference": "Chèque n° 0012345",
                  "received_on": date.today().isoformat(), "instalment": 1, "instalments": 2}
        r = http.post("/api/v1/payments/manual", json=cheque)
        assert r.status_code == 201, r.text
        cheque_id = r.json()["payment_id"]
        deadline = time.monotonic() + 30
        while membership(http, member_id).get("status") != "active":
            assert time.monotonic() < deadline, membership(http, member_id)
            time.sleep(0.3)
        # A second cheque for the same instalment is not applied; the office refunds it.
        r = http.post("/api/v1/payments/manual", json={**cheque, "reference": "Chèque n° 0012346"})
        assert r.status_code == 201, r.text
        second = r.json()["payment_id"]
        while len(membership(http, member_id).get("payments", [])) < 2:
            assert time.monotonic() < deadline + 30, membership(http, member_id)
            time.sleep(0.3)
        assert http.post(f"/api/v1/payments/{second}/refund",
                         json={"amount_minor": 30000, "reason": "doublon"}).status_code == 200
        while not any(p["refunded_minor"] for p in membership(http, member_id).get("payments", [])):
            assert time.monotonic() < deadline + 60, membership(http, member_id)
            time.sleep(0.3)
        # The next instalment is asked for: it is due now.
        r = http.post(f"/api/v1/members/{member_id}/membership", json={"plan_id": plan_id})
        assert r.status_code == 201 and r.json()["due"]["instalment"] == 2, r.text
        assert cheque_id

    console = open_console(width=390, height=844)  # the office's phone
    dues = open_dues(console, member_id)
    wait_text(console, "#record-membership", "Paiements · Payments")
    text = dues.inner_text()
    assert "à jour · active" in text  # the state, in both languages
    assert "Échéances payées · Instalments paid : 1/2" in text
    assert "À régler · Due : 300.00 EUR (2/2)" in text
    assert "300.00 EUR (1/2) — chèque · cheque — réf. · ref. Chèque n° 0012345" in text
    assert "réf. · ref. Chèque n° 0012346" in text and "remboursé · refunded 300.00 EUR" in text
    assert "non appliqué · not applied" in text
    assert console.page.evaluate("document.documentElement.scrollWidth") <= 390
    # The certificate, French and English, downloaded with the token.
    for lang in ("fr", "en"):
        with console.page.expect_download() as download:
            dues.locator(f"button[data-lang={lang}]").click()
        assert download.value.suggested_filename == f"attestation-{ms_id}-{lang}.pdf"
        assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    console.assert_clean()


def test_no_membership_reads_none_and_an_error_reads_as_an_error(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        member_id = register(http, "Amélie", "Dubœuf", "amelie.record@example.org", "Grande École", 2012)
    console = open_console()
    dues = open_dues(console, member_id)
    wait_text(console, "#record-membership", "aucune · none")
    console.console_errors.clear()  # the 404 of a member without a membership, logged by the browser
    # The membership service timing out is not "no membership".
    console.page.route(f"**/api/v1/members/{member_id}/membership", lambda route: route.fulfill(
        status=504, content_type="application/problem+json",
        body='{"type":"urn:alumni:problem:timeout","title":"Service timeout","status":504,'
             '"detail":"qry.members.get_membership did not answer in 5.0s"}'))
    dues = open_dues(console, member_id)
    wait_text(console, "#record-membership", "Service timeout")
    assert "aucune · none" not in dues.inner_text()
    assert console.page.locator("#record-membership-error").count() == 1
