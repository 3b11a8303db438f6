"""One-click unsubscribe tokens: signed (HMAC-SHA256), expiring, naming what they stop.

`<payload>.<signature>`, both base64url without padding; the payload is compact JSON:
tenant `t`, member `m`, category `c`, language `l`, expiry `e` (Unix seconds). No login is
needed to use one, so it authorises exactly one thing: withdrawing that member's marketing
email for that category (and the consent purpose behind it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from servicekit.domain import DomainError
from servicekit.signed_tokens import BadToken, SignedTokens


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


class UnsubscribeSigner:
    def __init__(self, secret: str, ttl: timedelta = timedelta(days=60)) -> None:
        if len(secret) < 16:
            raise ValueError("the unsubscribe secret must be at least 16 characters")
        self._tokens = SignedTokens(secret)  # no purpose: links already sent keep working
        self._ttl = ttl

    def issue(self, tenant: str, member_id: str, category: str, locale: str, now: datetime) -> str:
        return self._tokens.issue({"t": tenant, "m": member_id, "c": category, "l": locale}, now + self._ttl)

    def verify(self, token: str, now: datetime) -> UnsubscribeGrant:
        try:
            data, expires_at = self._tokens.verify(token, now)
            return UnsubscribeGrant(tenant=str(data["t"]), member_id=str(data["m"]), category=str(data["c"]),
                                    locale=str(data["l"]), expires_at=expires_at)
        except BadToken as refused:
            raise InvalidUnsubscribeToken(_WHY[refused.reason]) from None
        except (KeyError, TypeError):
            raise InvalidUnsubscribeToken(_WHY["malformed"]) from None


_WHY = {"forged": "this unsubscribe link was not issued by this platform",
        "malformed": "this unsubscribe link is malformed",
        "expired": "this unsubscribe link has expired: use the preferences page"}
