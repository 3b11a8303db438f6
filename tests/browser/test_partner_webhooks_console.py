"""The partner webhooks panel: a partner subscribes its endpoint from the console, sees the
secret once, the delivery log fill, disables, enables, rotates and replays; a hostile
description and URL stay text; another partner sees none of it."""

from __future__ import annotations

import time
from typing import Any

import pytest

from alumni_local.runner import Platform

from ..e2e.test_partner_webhooks import GROUP, Receiver, create_group
from ..e2e.test_partner_webhooks import receiver as receiver
from .test_main_flows import wait_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
HOSTILE = '<img src=x onerror="window.__pwned=1">'


def test_a_partner_manages_its_webhook_from_the_console(platform: Platform, open_console: Any,
                                                        receiver: Receiver) -> None:
    console = open_console("partner")
    page = console.page
    page.locator("#webhook-types option").first.wait_for(state="attached")
    form = "#webhook-form"
    page.fill(f"{form} [name=url]", receiver.url + "?from=<b>bold</b>")
    page.select_option("#webhook-types", [GROUP])
    page.select_option(f"{form} [name=mode]", "binary")
    page.fill(f"{form} [name=description]", HOSTILE)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/partner/webhooks") and r.request.method == "POST"
                              ) as created:
        page.click(f"{form} button[type=submit]")
    assert created.value.status == 201, created.value.text()
    secret = created.value.json()["secret"]
    receiver.secret = secret
    wait_text(console, "#webhook-secret", secret)
    wait_text(console, "#webhooks", "binaire · binary")
    row = page.locator("#webhooks tr", has_text="members.group_created.v1")
    assert "?from=<b>bold</b>" in row.inner_text() and page.evaluate("window.__pwned") is None
    assert HOSTILE in row.locator("td").first.get_attribute("title")
    assert "actif · active" in row.inner_text()
    time.sleep(1.5)  # the dispatcher starts the subscription's consumer
    create_group(platform, "Club console")
    receiver.wait_for(1)
    assert receiver.received[0]["headers"]["ce-type"] == GROUP  # binary mode: attributes in headers
    row.locator("button", has_text="Journal · Log").click()
    wait_text(console, "#deliveries", "livré · delivered")
    # Disable, then enable.
    row.locator("button", has_text="Désactiver · Disable").click()
    wait_text(console, "#webhooks", "désactivé · disabled")
    page.locator("#webhooks tr", has_text="members.group_created.v1").locator("button", has_text="Activer").click()
    wait_text(console, "#webhooks", "actif · active")
    # Rotate: a new secret is shown once, the old one is listed with the end of its overlap.
    row = page.locator("#webhooks tr", has_text="members.group_created.v1")
    row.locator("button", has_text="Nouveau secret").click()
    deadline = time.monotonic() + 15
    while secret in page.locator("#webhook-secret").inner_text():
        assert time.monotonic() < deadline, "no new secret shown"
        page.wait_for_timeout(100)
    new_secret = page.locator("#webhook-secret code").inner_text()
    assert new_secret.startswith("whsec_") and new_secret != secret
    wait_text(console, "#webhooks", "→")
    # Replay from a sequence of the members stream: the delivery comes again.
    receiver.secret = new_secret
    page.locator("#webhooks tr", has_text="members.group_created.v1").locator("button", has_text="Rejouer").click()
    page.select_option("#replay-form [name=stream]", "EVT_MEMBERS")
    page.fill("#replay-form [name=from_sequence]", "1")
    with page.expect_response(lambda r: r.url.endswith("/replay")) as replayed:
        page.click("#replay-form button[type=submit]")
    assert replayed.value.status == 202, replayed.value.text()
    first = receiver.ids()[0]
    deadline = time.monotonic() + 20
    while receiver.ids().count(first) < 2:  # the stream's earlier group events come again too
        assert time.monotonic() < deadline, "the replay did not deliver the event again"
        time.sleep(0.1)
    assert page.locator("#replay-form").is_hidden()
    console.assert_clean()
    # Another partner of the tenant sees no subscription.
    page.fill("#token", platform.issue_token("partner", subject="another-partner-system"))
    page.click("#save")
    wait_text(console, "#webhooks", "Aucun abonnement · No subscription", timeout=10)
    assert page.locator("#members-panel").is_hidden()  # a partner sees the webhooks panel only
