"""End to end: a gift through the gateway becomes exactly one tax receipt even when the
fundraising service is killed (SIGKILL) right after the gift committed — the receipt is issued
from `donation_received` once the restarted service delivers it; the donor downloads the PDF,
a manager voids and reissues it under the next number and exports a gapless register."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform

from .test_platform import member, wait_until

pytestmark = pytest.mark.e2e
ENTITY = {"legal_entity_id": "fondation-recus-e2e", "name": "Fondation e2e de l'École", "address": "1 rue de l'École, Paris",
          "object": "Bourses", "status": "Fondation reconnue d'utilité publique", "may_issue_receipts": True,
          "signatory_name": "Claire Martin", "signatory_title": "Présidente", "campaign_ids": ["receipts-e2e"]}


def test_a_gift_gets_one_receipt_across_a_crash_then_void_reissue_and_register(platform: Platform) -> None:
    gw = platform.gateway_url
    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    r = httpx.put(f"{gw}/api/v1/legal-entities/fondation-recus-e2e", json=ENTITY, headers=staff, timeout=30)
    assert r.status_code == 200, r.text
    bad = httpx.put(f"{gw}/api/v1/legal-entities/x", json={**ENTITY, "may_issue_receipts": "perhaps"}, headers=staff)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    member_id = httpx.post(f"{gw}/api/v1/members", json=member("receipts"), headers=staff).json()["member_id"]
    alumnus = {"Authorization": f"Bearer {platform.issue_token('alumnus', member_id=member_id)}"}
    r = httpx.put(f"{gw}/api/v1/me/receipt-profile", json={"postal_address": "3 avenue Foch, 69006 Lyon"},
                  headers=alumnus, timeout=30)
    assert r.status_code == 200, r.text
    gift = {"member_id": member_id, "amount": {"minor_units": 12345, "currency": "EUR"}, "campaign_id": "receipts-e2e"}

    def given() -> bool:  # 422 until fundraising has projected the new member
        r = httpx.post(f"{gw}/api/v1/donations", json=gift, headers={**staff, "Idempotency-Key": "e2e-receipt-gift"},
                       timeout=30)
        return r.status_code == 201

    wait_until(given, 30, "fundraising to record the gift")
    platform.kill("fundraising")  # the gift committed; its receipt is (most likely) not written yet
    platform.restart("fundraising")
    # The same request retried: the first result, no second gift, no second receipt.
    again = httpx.post(f"{gw}/api/v1/donations", json=gift, headers={**staff, "Idempotency-Key": "e2e-receipt-gift"},
                       timeout=30)
    assert again.status_code == 201

    def receipts() -> list[dict[str, Any]]:
        r = httpx.get(f"{gw}/api/v1/me/receipts", headers=alumnus, timeout=30)
        return list(r.json()["items"]) if r.status_code == 200 else []

    # A delivery cut by the kill waits for its transaction to be reaped (~60 s) before it runs again.
    wait_until(lambda: len(receipts()) >= 1, 240, "the receipt to be issued")
    time.sleep(2)
    [receipt] = receipts()
    year = receipt["year"]
    assert receipt["number"] == f"{year}-000001" and receipt["amount_minor"] == 12345
    assert (receipt["legal_entity_id"], receipt["cerfa"], receipt["status"]) == ("fondation-recus-e2e", "11580", "issued")

    pdf = httpx.get(f"{gw}/api/v1/me/receipts/{receipt['receipt_id']}/pdf", headers=alumnus, timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    stranger = {"Authorization": f"Bearer {platform.issue_token('alumnus', member_id='someone-else')}"}
    other = httpx.get(f"{gw}/api/v1/me/receipts/{receipt['receipt_id']}/pdf", headers=stranger, timeout=30)
    assert other.status_code == 404 and other.headers["content-type"] == "application/problem+json"
    foreign = {"Authorization": f"Bearer {platform.issue_token('manager', tenant='other')}"}
    assert httpx.get(f"{gw}/api/v1/receipts/{receipt['receipt_id']}/pdf", headers=foreign).status_code == 404

    r = httpx.post(f"{gw}/api/v1/receipts/{receipt['receipt_id']}/void", headers={**staff, "Idempotency-Key": "e2e-v"},
                   json={"reason": "adresse erronée", "postal_address": "5 rue Neuve, 75002 Paris"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["reissued"]["number"] == f"{year}-000002" and r.json()["voided"]["status"] == "voided"
    twice = httpx.post(f"{gw}/api/v1/receipts/{receipt['receipt_id']}/void", headers=staff,
                       json={"reason": "again"}, timeout=30)
    assert twice.status_code == 409
    register = httpx.get(f"{gw}/api/v1/legal-entities/fondation-recus-e2e/receipt-register?year={year}", headers=staff,
                         timeout=30)
    assert register.status_code == 200 and register.headers["x-register-gapless"] == "true"
    rows = register.content.decode("utf-8-sig").strip().split("\r\n")
    assert [row.split(";")[2] for row in rows[1:]] == ["voided", "issued"]
    assert httpx.get(f"{gw}/api/v1/legal-entities/fondation-recus-e2e/receipt-register?year={year}",
                     headers=alumnus).status_code == 403
