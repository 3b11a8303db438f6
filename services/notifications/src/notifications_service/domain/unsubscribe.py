"""One-click unsubscribe tokens: signed (HMAC-SHA256), expiring, naming what they stop.

`<payload>.<signature>`, both base64url without padding; the payload is compact JSON:
tenant `t`, member `m`, category `c`, language `l`, expiry `e` (Unix seconds). No login is
needed to use one, so it authorises exactly one thing: withdrawing that member's marketing
email for that category (and the consent purpose behind it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from servicekit.domain import DomainError


class InvalidUnsubscribeToken(DomainError):
    code = "invalid-unsubscribe-token"
    title = "Invalid or expired unsubscribe link"
    status = 400


@dataclass(frozen=True)
class UnsubscribeGrant:
    tenant: str
    member_id: str
    category: str
    locale: str
    expires_at: datetime

    @property
    def token_id(self) -> str:
        """What identifies this grant's use (a repeated click changes nothing)."""
        return f"{self.member_id}-{self.category}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class UnsubscribeSigner:
    def __init__(self, secret: str, ttl: timedelta = timedelta(days=60)) -> None:
        if len(secret) < 16:
            raise ValueError("the unsubscribe secret must be at least 16 characters")
        self._key = secret.encode()
        self._ttl = ttl

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def issue(self, tenant: str, member_id: str, category: str, locale: str, now: datetime) -> str:
        body = json.dumps({"t": tenant, "m": member_id, "c": category, "l": locale,
                           "e": int((now + self._ttl).timestamp())}, separators=(",", ":"))
        payload = _b64(body.encode())
        return f"{payload}.{self._sign(payload)}"

    def verify(self, token: str, now: datetime) -> UnsubscribeGrant:
        payload, _, signature = token.partition(".")
        if not payload or not signature or not hmac.compare_digest(self._sign(payload), signature):
            raise InvalidUnsubscribeToken("this unsubscribe link was not issued by this platform")
        try:
            data = json.loads(_unb64(payload))
            grant = UnsubscribeGrant(tenant=str(data["t"]), member_id=str(data["m"]), category=str(data["c"]),
                                     locale=str(data["l"]), expires_at=datetime.fromtimestamp(int(data["e"]), UTC))
        except (ValueError, KeyError, TypeError):
            raise InvalidUnsubscribeToken("this unsubscribe link is malformed") from None
        if grant.expires_at <= now:
            raise InvalidUnsubscribeToken("this unsubscribe link has expired: use the preferences page")
        return grant
