"""One-click RSVP links of invitation emails: a signed, expiring token naming the tenant, the
invitee, the gathering and the language (`signed_tokens`, with a key of its own). It expires when
the gathering starts. Whoever holds it may answer that one invitation for that one member —
register (or join the waitlist), decline or say interested — and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from servicekit.domain import DomainError
from servicekit.signed_tokens import BadToken, SignedTokens

PURPOSE = "rsvp-link"


class InvalidRsvpLink(DomainError):
    code = "invalid-rsvp-link"
    title = "Invalid RSVP link"
    status = 400


class ExpiredRsvpLink(DomainError):
    code = "expired-rsvp-link"
    title = "Expired RSVP link"
    status = 410


@dataclass(frozen=True)
class RsvpGrant:
    tenant: str
    member_id: str
    event_id: str
    locale: str
    expires_at: datetime


class RsvpLinks:
    def __init__(self, secret: str) -> None:
        self._tokens = SignedTokens(secret, PURPOSE)

    def issue(self, tenant: str, member_id: str, event_id: str, locale: str, expires_at: datetime) -> str:
        return self._tokens.issue({"t": tenant, "m": member_id, "v": event_id, "l": locale}, expires_at)

    def verify(self, token: str, tenant: str, now: datetime) -> RsvpGrant:
        """The grant, for `tenant` only (a link replayed at another organisation is refused)."""
        try:
            data, expires_at = self._tokens.verify(token, now)
            grant = RsvpGrant(tenant=str(data["t"]), member_id=str(data["m"]), event_id=str(data["v"]),
                              locale="en" if data.get("l") == "en" else "fr", expires_at=expires_at)
        except BadToken as refused:
            if refused.reason == "expired":
                raise ExpiredRsvpLink("this invitation link has expired: the gathering has started") from None
            raise InvalidRsvpLink("this invitation link is not valid (altered or not issued by this platform)") \
                from None
        except KeyError:
            raise InvalidRsvpLink("this invitation link is malformed") from None
        if grant.tenant != tenant:
            raise InvalidRsvpLink("this invitation link belongs to another organisation")
        return grant
