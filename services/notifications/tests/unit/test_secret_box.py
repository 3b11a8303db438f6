"""Signing secrets at rest: sealed with a per-secret data key wrapped by a configured key,
bound to their row, rotated by key id; rows written in clear before still read."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from notifications_service.adapters.http_delivery import sign
from notifications_service.adapters.partner_webhooks_repository import from_document, to_document
from notifications_service.adapters.secret_box import SecretBox, SecretBoxError, generate_key, parse_keys
from notifications_service.domain.partner_webhooks import Mode, PartnerWebhook, Secret

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def box(*kids: str, current: str | None = None, keys: dict[str, str] | None = None) -> SecretBox:
    keys = keys or {kid: generate_key() for kid in kids}
    return SecretBox.from_config(json.dumps(keys), current)


def webhook(secret: str = SECRET) -> PartnerWebhook:
    return PartnerWebhook(id="w1", tenant="demo", version=1, url="https://hooks.example.org/a", event_types=["x"],
                          mode=Mode.STRUCTURED, description="", owner="crm", created_at=NOW,
                          secrets=[Secret("s1", secret, NOW)])


def test_a_sealed_secret_opens_only_on_its_own_row_and_never_shows_in_the_stored_form() -> None:
    b = box("k1")
    sealed = b.seal(SECRET, "demo/w1/s1")
    assert SECRET not in json.dumps(sealed) and SECRET.removeprefix("whsec_") not in json.dumps(sealed)
    assert sealed["kid"] == "k1" and b.open(sealed, "demo/w1/s1") == SECRET
    with pytest.raises(SecretBoxError):
        b.open(sealed, "other/w1/s1")  # copied onto another tenant's row
    tampered = {**sealed, "ct": base64.b64encode(b"\0" * 40).decode()}
    with pytest.raises(SecretBoxError):
        b.open(tampered, "demo/w1/s1")
    assert b.seal(SECRET, "demo/w1/s1")["ct"] != sealed["ct"], "a fresh data key and nonce each time"


def test_the_stored_document_holds_no_secret_and_deliveries_still_verify_with_the_reference_code() -> None:
    b = box("k1")
    doc = to_document(webhook(), b)
    assert SECRET not in json.dumps(doc, default=str)
    back = from_document(doc, b)
    assert back.secrets[0].value == SECRET
    body = '{"id":"e1"}'
    headers = {"webhook-id": "e1", "webhook-timestamp": str(int(datetime.now(UTC).timestamp())),
               "webhook-signature": sign([back.secrets[0].value], "e1", datetime.now(UTC), body)}
    Webhook(SECRET).verify(body, headers)


def test_key_rotation_reads_old_rows_and_rewraps_on_the_next_write() -> None:
    keys = {"k1": generate_key(), "k2": generate_key()}
    old, new = box(keys={"k1": keys["k1"]}), box(keys=keys, current="k2")
    doc = to_document(webhook(), old)
    assert doc["secrets"][0]["sealed"]["kid"] == "k1"
    assert new.needs_rewrap(doc["secrets"][0]["sealed"])
    again = to_document(from_document(doc, new), new)
    assert again["secrets"][0]["sealed"]["kid"] == "k2" and from_document(again, new).secrets[0].value == SECRET
    with pytest.raises(SecretBoxError, match="no key 'k2'"):
        from_document(again, old)


def test_a_secret_stored_in_clear_before_encryption_is_still_read_and_sealed_when_written() -> None:
    b = box("k1")
    legacy = {**to_document(webhook(), b)}
    legacy["secrets"] = [{"id": "s1", "value": SECRET, "created_at": NOW, "expires_at": None}]
    read = from_document(legacy, b)
    assert read.secrets[0].value == SECRET
    assert "value" not in to_document(read, b)["secrets"][0]


@pytest.mark.parametrize("raw", ['["k"]', '{"bad id!": "AAAA"}', '{"k1": "c2hvcnQ="}', '{"k1": "not base64!"}', "{"])
def test_malformed_key_configuration_is_refused(raw: str) -> None:
    with pytest.raises(SecretBoxError):
        parse_keys(raw)


def test_the_current_key_must_be_configured_and_the_development_key_is_flagged() -> None:
    with pytest.raises(SecretBoxError):
        box("k1", current="k9")
    assert SecretBox.from_config("", None).uses_dev_key
    assert not box("k1").uses_dev_key
