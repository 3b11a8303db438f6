"""The newsletters panel: a manager composes a bilingual newsletter to a cohort (with a hostile
subject, shown as text), previews the recipient count and the rendered sample, a malformed
segment is refused in the panel, and sending it shows the figures; the email reaches the
consenting member of the cohort only."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform

from .conftest import manager, register
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

HOSTILE = '<img src=x onerror="window.__pwned=1">'
CONSENT = {"granted": True, "text_version": "nl-1", "language": "fr"}


def wait_count(platform: Platform, newsletter_id: str, want: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    with manager(platform) as http:
        while True:
            p = http.get(f"/api/v1/newsletters/{newsletter_id}/preview").json()
            if p.get("recipients") == want:
                return dict(p)
            assert time.monotonic() < deadline, p
            time.sleep(0.5)


def test_a_manager_composes_previews_and_sends_a_newsletter(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        reader = register(http, "Lina", "Lectrice", "lina.nl@example.org", program="MSc Newsletter", year=2031)
        register(http, "Noé", "Sansconsentement", "noe.nl@example.org", program="MSc Newsletter", year=2031)
        register(http, "Ugo", "Autrepromo", "ugo.nl@example.org", program="MSc Newsletter", year=2030)
        r = http.put(f"/api/v1/members/{reader}/consents/newsletter", json=CONSENT)
        assert r.status_code == 200, r.text
    console = open_console()
    page = console.page
    form = "#newsletter-form"
    # A malformed segment (a country that is not an ISO code) is refused, and said so.
    page.fill(f"{form} [name=subject_fr]", "Refusée")
    page.fill(f"{form} [name=body_fr]", "Texte")
    page.fill(f"{form} [name=countries]", "France")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/newsletters") and r.request.method == "POST") as bad:
        page.click(f"{form} button[type=submit]")
    assert bad.value.status == 422
    page.locator("#newsletters-error").wait_for(state="visible")
    assert page.inner_text("#newsletters-error") != ""
    console.console_errors.clear()  # the browser logs the 422 it was told to expect

    page.fill(f"{form} [name=countries]", "")
    page.fill(f"{form} [name=subject_fr]", f"Promo 2031 {HOSTILE}")
    page.fill(f"{form} [name=body_fr]", "## Bonjour\n\nLe gala a lieu le **12 juin**. <script>window.__pwned=2</script>")
    page.fill(f"{form} [name=subject_en]", "Class of 2031")
    page.fill(f"{form} [name=body_en]", "## Hello\n\nThe gala is on **12 June**.")
    page.fill(f"{form} [name=cohort_years]", "2031")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/newsletters") and r.request.method == "POST") as ok:
        page.click(f"{form} button[type=submit]")
    assert ok.value.status == 201, ok.value.text()
    newsletter_id = ok.value.json()["newsletter_id"]
    wait_text(console, "#newsletters", f"Promo 2031 {HOSTILE}")  # the markup, as text
    wait_text(console, "#newsletters", "brouillon · draft")
    wait_count(platform, newsletter_id, 1)  # the projection has heard of the consent
    row = page.locator("#newsletters tr", has_text="Class of 2031")
    row.get_by_role("button", name="Aperçu FR").click()
    wait_text(console, "#newsletter-preview", "1 destinataires · recipients")
    wait_text(console, "#newsletter-preview", "(1 dans le segment · in the segment)")
    assert "<strong>12 juin</strong>" in (page.text_content("#newsletter-preview .nl-html") or "")
    assert "&lt;script&gt;" in (page.text_content("#newsletter-preview .nl-html") or "")
    page.on("dialog", lambda d: d.accept())
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/newsletters/{newsletter_id}/send")) as sent:
        row.locator("button.nl-send").click()
    assert sent.value.status == 202, sent.value.text()
    wait_text(console, "#newsletters", "envoyée · sent", timeout=60)
    deadline = time.monotonic() + 120
    while page.locator(f"#newsletters tr[data-newsletter='{newsletter_id}'] td[data-label='Envoyés · Sent']"
                       ).inner_text() != "1":
        assert time.monotonic() < deadline, (page.inner_text("#newsletters"),
                                             (platform.logs / "notifications.log").read_text()[-4000:])
        page.click("#refresh-newsletters")
        page.wait_for_timeout(1000)
    assert page.evaluate("window.__pwned") is None
    console.assert_clean()
    box = httpx.get(platform.mailbox_url, params={"limit": 200}, timeout=5).json()["messages"]
    mine = [m for m in box if m["message_id"].startswith(f"<nl-{newsletter_id}-")]
    assert [m["to"] for m in mine] == [["lina.nl@example.org"]]
    assert mine[0]["subject"] == f"Promo 2031 {HOSTILE}"  # her language: French
