"""Partner webhooks: subscriptions of a partner system to a tenant's events, pure rules.

No I/O here: the address rules (SSRF), the retry schedule, what may be shared with a partner,
the signing secrets and their rotation, the consumer names. The adapters resolve names and
send HTTP; the service layer stores and the dispatcher consumes JetStream.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from servicekit.domain import AggregateRoot, DomainError, DomainEvent

# Events whose data names a member carry personal data; these are always sent all the same:
# a partner holding copies must act on an erasure (DESIGN §6).
ALWAYS_DELIVERED = frozenset({"org.alumni.members.member_erased.v1"})
CONTACT_FIELDS = ("email", "first_name", "last_name", "phone")
PARTNER_CONSENT = "partners"


class Status(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class Mode(StrEnum):
    STRUCTURED = "structured"
    BINARY = "binary"


class UnsafeTarget(DomainError):
    """The endpoint is not a public HTTPS address."""

    code = "unsafe-webhook-target"
    title = "Webhook target refused"


class WebhookNotFound(DomainError):
    status = 404
    code = "webhook-not-found"
    title = "Webhook subscription not found"


class WebhookConflict(DomainError):
    status = 409
    code = "webhook-state"
    title = "Not possible in the subscription's state"


class UnknownEventTypes(DomainError):
    code = "unknown-event-type"
    title = "Unknown event type"


# --- addresses (SSRF) -------------------------------------------------------------------

def address_allowed(address: str, allow_loopback: bool = False) -> bool:
    """Only globally routable unicast addresses: never private (RFC 1918, ULA), loopback,
    link-local (cloud metadata at 169.254.169.254), CGNAT, multicast, reserved, unspecified;
    an IPv4-mapped IPv6 address is judged as its IPv4 address. `allow_loopback`: the test
    setting, which admits loopback addresses only."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_private
                                 or ip.is_unspecified)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query


def parse_target(url: str, allow_loopback: bool = False) -> Target:
    """The URL's parts, or `UnsafeTarget`: HTTPS only (plain HTTP only with the loopback test
    setting), no credentials in the URL, a host name or address, the default or any port."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not allow_loopback):
        raise UnsafeTarget("the endpoint must be an https:// URL")
    if parts.username or parts.password:
        raise UnsafeTarget("credentials in the URL are refused: authenticate the signature instead")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeTarget("the URL has no host")
    if parts.fragment:
        raise UnsafeTarget("the URL has a fragment")
    if (host == "localhost" or host.endswith(".localhost")) and not allow_loopback:
        raise UnsafeTarget("loopback targets are refused")
    literal = _literal(host)
    if literal is not None and not address_allowed(literal, allow_loopback):
        raise UnsafeTarget(f"{host} is not a public address")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def check_resolved(host: str, addresses: list[str], allow_loopback: bool = False) -> None:
    """Every address a name resolves to must be allowed (one private answer among public ones
    is how DNS rebinding and split-horizon tricks reach the inside)."""
    if not addresses:
        raise UnsafeTarget(f"{host} does not resolve")
    refused = [a for a in addresses if not address_allowed(a, allow_loopback)]
    if refused:
        raise UnsafeTarget(f"{host} resolves to a non-public address ({refused[0]})")


# --- retries -----------------------------------------------------------------------------

def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """Delay before attempt `attempt + 1` (attempt ≥ 1): base, 2·base, 4·base… capped."""
    return float(min(cap, base * (2 ** max(0, attempt - 1))))


def retryable_status(status: int) -> bool:
    """Every non-2xx answer is retried (a partner's 4xx is often a deploy in progress); the
    attempts are bounded and end in the dead letter."""
    return not 200 <= status < 300


# --- what a partner may receive ----------------------------------------------------------

def member_of(data: dict[str, Any]) -> str | None:
    """The member an event is about: `member_id`, or a `…_member_id` field (`donor_member_id`)."""
    for name, value in data.items():
        if (name == "member_id" or name.endswith("_member_id")) and isinstance(value, str) and value:
            return value
    return None


def personal(data: dict[str, Any]) -> bool:
    """Whether an event's data identifies a person: it names a member, or carries contact or
    name fields (an invitee who is not a member yet)."""
    return member_of(data) is not None or any(data.get(f) for f in CONTACT_FIELDS)


def shareable(event_type: str, data: dict[str, Any], consents: dict[str, Any] | None) -> bool:
    """An event about a person goes to partners only while that member's `partners` consent is
    granted (the consent projection of notifications); one with personal data but no member to
    ask is withheld (fail closed); `member_erased` always goes."""
    if event_type in ALWAYS_DELIVERED or not personal(data):
        return True
    if member_of(data) is None:
        return False
    return bool(consents and consents.get(PARTNER_CONSENT) is True)


# --- names -------------------------------------------------------------------------------

def short_id(webhook_id: str) -> str:
    return hashlib.sha256(webhook_id.encode()).hexdigest()[:12]


def live_durable(webhook_id: str, service: str) -> str:
    """`pwh-<12 hex>-<service>`: ≤ 32 characters, one per (subscription, stream)."""
    return f"pwh-{short_id(webhook_id)}-{service}"


def replay_durable(webhook_id: str, service: str) -> str:
    return f"pwr-{short_id(webhook_id)}-{service}"


def services_of(event_types: list[str]) -> list[str]:
    """`org.alumni.<service>.<event>.v<n>` → the producing services, in order."""
    return sorted({t.split(".")[2] for t in event_types})


def subject_filter(tenant: str, event_type: str) -> str:
    _, _, service, name, version = event_type.split(".")
    return f"evt.{tenant}.{service}.{name}.{version}"


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


# --- the subscription --------------------------------------------------------------------

@dataclass(frozen=True)
class Secret:
    id: str
    value: str
    created_at: datetime
    expires_at: datetime | None = None

    def valid_at(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class Replay:
    """A replay in progress on one stream: from a sequence or a time, up to the stream's last
    sequence when it was asked for (what arrives later goes through the live consumer)."""

    service: str
    durable: str
    until_sequence: int
    from_sequence: int | None = None
    from_time: datetime | None = None


@dataclass(frozen=True)
class WebhookDisabled(DomainEvent):
    webhook_id: str
    host: str
    automatic: bool
    reason: str
    dead_event_id: str | None
    at: datetime


@dataclass(eq=False, kw_only=True)
class PartnerWebhook(AggregateRoot):
    url: str
    event_types: list[str]
    mode: Mode
    description: str
    owner: str
    created_at: datetime
    secrets: list[Secret]
    status: Status = Status.ACTIVE
    disabled_reason: str | None = None
    replays: list[Replay] = field(default_factory=list)

    def visible_to(self, subject: str, staff: bool) -> bool:
        """Managers see their tenant's subscriptions; a partner sees those it registered."""
        return staff or self.owner == subject

    def signing_secrets(self, now: datetime) -> list[Secret]:
        return [s for s in self.secrets if s.valid_at(now)]

    def rotate(self, new: Secret, overlap: timedelta, now: datetime) -> None:
        """The new secret signs from now on; the previous ones keep signing too (the
        `webhook-signature` header lists one signature per secret) until `now + overlap`."""
        until = now + overlap
        kept = [s if s.expires_at is not None and s.expires_at <= until else Secret(s.id, s.value, s.created_at, until)
                for s in self.secrets if s.valid_at(now)]
        self.secrets = [new, *(s for s in kept if overlap > timedelta(0))]
        self.version += 1

    def disable(self, reason: str, now: datetime, automatic: bool = False, dead_event_id: str | None = None) -> bool:
        if self.status is Status.DISABLED:
            return False
        self.status, self.disabled_reason = Status.DISABLED, reason
        self.record(WebhookDisabled(self.id, host_of(self.url), automatic, reason, dead_event_id, now))
        return True

    def enable(self) -> bool:
        if self.status is Status.ACTIVE:
            return False
        self.status, self.disabled_reason = Status.ACTIVE, None
        self.version += 1
        return True

    def start_replay(self, replays: list[Replay]) -> None:
        if self.status is not Status.ACTIVE:
            raise WebhookConflict("enable the subscription before replaying")
        self.replays = replays
        self.version += 1
