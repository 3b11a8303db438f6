"""Signed links without a login: claims round-trip, a tampered, foreign or expired token is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from servicekit.signed_tokens import BadToken, TokenSigner

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)


def test_claims_round_trip_until_expiry() -> None:
    signer = TokenSigner("a-secret-of-16-chars+", timedelta(days=2))
    token = signer.issue({"t": "demo", "m": "m1"}, NOW)
    claims, expires = signer.verify(token, NOW + timedelta(days=1))
    assert claims == {"t": "demo", "m": "m1"} and expires == NOW + timedelta(days=2)
    with pytest.raises(BadToken) as caught:
        signer.verify(token, NOW + timedelta(days=2))
    assert caught.value.reason == "expired"


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
    lambda t: "eyJ0IjoiZXZpbCJ9" + t[t.index("."):],  # payload swapped, signature kept
    lambda t: t.replace(".", ""),  # no signature at all
])
def test_a_tampered_token_is_forged(mangle: object) -> None:
    signer = TokenSigner("a-secret-of-16-chars+", timedelta(days=2))
    token = signer.issue({"t": "demo"}, NOW)
    with pytest.raises(BadToken) as caught:
        signer.verify(mangle(token), NOW)  # type: ignore[operator]
    assert caught.value.reason == "forged"


def test_another_secret_does_not_verify_and_short_secrets_are_refused() -> None:
    token = TokenSigner("a-secret-of-16-chars+", timedelta(days=2)).issue({"t": "demo"}, NOW)
    with pytest.raises(BadToken):
        TokenSigner("another-secret-16-chars", timedelta(days=2)).verify(token, NOW)
    with pytest.raises(ValueError, match="16 characters"):
        TokenSigner("short", timedelta(days=1), "survey link")
