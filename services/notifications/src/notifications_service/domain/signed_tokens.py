"""Signed, expiring tokens for links that work without logging in (one-click unsubscribe,
one-click RSVP): `<payload>.<signature>`, both base64url without padding; the payload is compact
JSON with an expiry `e` (Unix seconds); the signature is HMAC-SHA256 of the encoded payload.

Each use derives its own key from the configured secret (`purpose`), so a token made for one
use never verifies as another's, even with the same secret and a payload that looks alike.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any


class TokenRefused(ValueError):
    """Why a token does not verify: `reason` is `forged`, `malformed` or `expired`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SignedTokens:
    def __init__(self, secret: str, purpose: str | None = None) -> None:
        if len(secret) < 16:
            raise ValueError("a link-signing secret must be at least 16 characters")
        key = secret.encode()
        # No purpose: the key itself (the unsubscribe links issued before other uses existed).
        self._key = key if purpose is None else hmac.new(key, purpose.encode(), hashlib.sha256).digest()

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def issue(self, claims: dict[str, Any], expires_at: datetime) -> str:
        body = json.dumps({**claims, "e": int(expires_at.timestamp())}, separators=(",", ":"))
        payload = _b64(body.encode())
        return f"{payload}.{self._sign(payload)}"

    def verify(self, token: str, now: datetime) -> tuple[dict[str, Any], datetime]:
        """The claims and the expiry; `TokenRefused` when forged, malformed or expired."""
        payload, _, signature = token.partition(".")
        if not payload or not signature or not hmac.compare_digest(self._sign(payload), signature):
            raise TokenRefused("forged")
        try:
            data = json.loads(_unb64(payload))
            if not isinstance(data, dict):
                raise TypeError("not an object")
            expires_at = datetime.fromtimestamp(int(data.pop("e")), UTC)
        except (ValueError, KeyError, TypeError):
            raise TokenRefused("malformed") from None
        if expires_at <= now:
            raise TokenRefused("expired")
        return data, expires_at
