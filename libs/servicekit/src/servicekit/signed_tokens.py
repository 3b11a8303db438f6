"""Signed, expiring tokens for links that work without a login (one-click unsubscribe, an
outcomes-survey answer link): `<payload>.<signature>`, both base64url without padding; the payload
is compact JSON of the caller's claims plus the expiry `e` (Unix seconds), the signature an
HMAC-SHA256 of the payload under a per-purpose secret. Such a token authorises exactly what its
claims name; a service checks them (tenant, subject) against its own data before acting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any


class BadToken(ValueError):
    """Not issued by this signer, malformed or expired (`reason`: forged / malformed / expired)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SignedTokens:
    """Issues and verifies tokens with an explicit expiry. Each use may derive its own key from
    the configured secret (`purpose`), so a token made for one use never verifies as another's,
    even with the same secret and claims that look alike; without a purpose the secret itself is
    the key (the unsubscribe links issued before other uses existed keep working)."""

    def __init__(self, secret: str, purpose: str | None = None, what: str = "link-signing") -> None:
        if len(secret) < 16:
            raise ValueError(f"the {what} secret must be at least 16 characters")
        key = secret.encode()
        self._key = key if purpose is None else hmac.new(key, purpose.encode(), hashlib.sha256).digest()

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def issue(self, claims: Mapping[str, Any], expires_at: datetime) -> str:
        body = json.dumps({**claims, "e": int(expires_at.timestamp())}, separators=(",", ":"))
        payload = _b64(body.encode())
        return f"{payload}.{self._sign(payload)}"

    def verify(self, token: str, now: datetime) -> tuple[dict[str, Any], datetime]:
        """The claims and the expiry; raises `BadToken`."""
        payload, _, signature = token.partition(".")
        if not payload or not signature or not hmac.compare_digest(self._sign(payload), signature):
            raise BadToken("forged")
        try:
            data = json.loads(_unb64(payload))
            if not isinstance(data, dict):
                raise TypeError("not an object")
            expires_at = datetime.fromtimestamp(int(data.pop("e")), UTC)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise BadToken("malformed") from None
        if expires_at <= now:
            raise BadToken("expired")
        return data, expires_at


class TokenSigner:
    """`SignedTokens` whose tokens all live `ttl` from their issue."""

    def __init__(self, secret: str, ttl: timedelta, what: str = "token", purpose: str | None = None) -> None:
        self._tokens = SignedTokens(secret, purpose, what)
        self._ttl = ttl

    def issue(self, claims: Mapping[str, Any], now: datetime) -> str:
        return self._tokens.issue(claims, now + self._ttl)

    def verify(self, token: str, now: datetime) -> tuple[dict[str, Any], datetime]:
        """The claims and the expiry; raises `BadToken`."""
        return self._tokens.verify(token, now)
