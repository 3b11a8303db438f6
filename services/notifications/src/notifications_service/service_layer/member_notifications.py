"""Use cases a member or the office calls: the in-app feed, preferences, one-click
unsubscribe, the email provider's bounce webhook, contactability per cohort."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from notifications_service.domain.bounces import BounceKind, BouncePolicy
from notifications_service.domain.feed import FeedItem
from notifications_service.domain.preferences import (
    CONSENT_PURPOSE,
    Category,
    Channel,
    MemberPreferences,
    Preferences,
)
from notifications_service.domain.unsubscribe import InvalidUnsubscribeToken, UnsubscribeGrant, UnsubscribeSigner
from notifications_service.service_layer.handlers import _apply_bounce
from notifications_service.service_layer.ports import NotificationsUnitOfWork
from servicekit.domain import DomainError, utcnow

Clock = Callable[[], datetime]
SIGNATURE_TOLERANCE_SECONDS = 300


class InvalidCursor(DomainError):
    code = "invalid-cursor"
    title = "Invalid cursor"
    status = 400


class BadWebhook(DomainError):
    code = "bad-webhook"
    title = "Webhook refused"
    status = 400


# -- the feed ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ListFeed:
    tenant: str
    member_id: str
    limit: int
    after: str | None = None


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    unread: int
    next_cursor: str | None


@dataclass(frozen=True)
class MarkRead:
    tenant: str
    member_id: str
    ids: list[str] | None  # None: all


@dataclass(frozen=True)
class MarkedRead:
    marked: int
    unread: int


def encode_cursor(item: FeedItem) -> str:
    raw = f"{item.created_at.isoformat()}\x1f{item.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("\x1f")
        parsed = datetime.fromisoformat(at)
    except ValueError:
        raise InvalidCursor("the cursor was not produced by this feed") from None
    if parsed.tzinfo is None:
        raise InvalidCursor("the cursor was not produced by this feed")
    return parsed, key


async def list_feed(query: ListFeed, uow: NotificationsUnitOfWork) -> FeedPage:
    before = decode_cursor(query.after) if query.after else None
    async with uow:
        items = await uow.feed.page(query.tenant, query.member_id, before, query.limit + 1)
        unread = await uow.feed.unread(query.tenant, query.member_id)
    more = len(items) > query.limit
    items = items[:query.limit]
    return FeedPage(items, unread, encode_cursor(items[-1]) if more and items else None)


async def mark_read(cmd: MarkRead, uow: NotificationsUnitOfWork, clock: Clock = utcnow) -> MarkedRead:
    """Only the caller's own items: another member's id matches nothing."""
    async with uow:
        marked = await uow.feed.mark_read(cmd.tenant, cmd.member_id, cmd.ids, clock())
        unread = await uow.feed.unread(cmd.tenant, cmd.member_id)
        await uow.commit()
    return MarkedRead(marked, unread)


# -- preferences -------------------------------------------------------------------------

@dataclass(frozen=True)
class GetPreferences:
    tenant: str
    member_id: str


@dataclass(frozen=True)
class SetPreferences:
    tenant: str
    member_id: str
    choices: dict[tuple[Category, Channel], bool]


@dataclass(frozen=True)
class PreferencesView:
    table: dict[str, dict[str, bool]]
    consents: dict[str, bool]


async def _view(uow: NotificationsUnitOfWork, tenant: str, member_id: str) -> PreferencesView:
    prefs = await uow.preferences.get(tenant, member_id)
    contact = await uow.contacts.get(tenant, member_id) or {}
    granted = contact.get("consents") or {}
    return PreferencesView((prefs.preferences if prefs else Preferences()).table(),
                           {p: granted.get(p) is True for p in sorted(set(CONSENT_PURPOSE.values()))})


async def get_preferences(query: GetPreferences, uow: NotificationsUnitOfWork) -> PreferencesView:
    async with uow:
        return await _view(uow, query.tenant, query.member_id)


async def set_preferences(cmd: SetPreferences, uow: NotificationsUnitOfWork, clock: Clock = utcnow
                          ) -> PreferencesView:
    async with uow:
        prefs = await uow.preferences.get(cmd.tenant, cmd.member_id) or MemberPreferences(
            id=cmd.member_id, tenant=cmd.tenant, member_id=cmd.member_id)
        prefs.choose(cmd.choices, clock())
        await uow.preferences.save(prefs)
        await uow.commit()
        return await _view(uow, cmd.tenant, cmd.member_id)


# -- one-click unsubscribe ---------------------------------------------------------------

@dataclass(frozen=True)
class CheckUnsubscribe:
    tenant: str
    token: str


@dataclass(frozen=True)
class ApplyUnsubscribe:
    tenant: str
    token: str


@dataclass(frozen=True)
class UnsubscribeOutcome:
    category: str
    locale: str
    already: bool


def _grant(signer: UnsubscribeSigner, tenant: str, token: str, now: datetime) -> UnsubscribeGrant:
    grant = signer.verify(token, now)
    if grant.tenant != tenant:  # a link of another organisation, replayed at this one
        raise InvalidUnsubscribeToken("this unsubscribe link belongs to another organisation")
    try:
        Category(grant.category)
    except ValueError:
        raise InvalidUnsubscribeToken("this unsubscribe link names no known category") from None
    return grant


def _locale(grant: UnsubscribeGrant) -> str:
    return grant.locale if grant.locale in ("fr", "en") else "fr"


async def check_unsubscribe(query: CheckUnsubscribe, uow: NotificationsUnitOfWork, signer: UnsubscribeSigner,
                            clock: Clock = utcnow) -> UnsubscribeOutcome:
    """What the confirmation page shows (GET never unsubscribes: link scanners follow links)."""
    grant = _grant(signer, query.tenant, query.token, clock())
    async with uow:
        prefs = await uow.preferences.get(grant.tenant, grant.member_id)
    already = prefs is not None and not prefs.preferences.allows(Category(grant.category), Channel.EMAIL)
    return UnsubscribeOutcome(grant.category, _locale(grant), already)


async def apply_unsubscribe(cmd: ApplyUnsubscribe, uow: NotificationsUnitOfWork, signer: UnsubscribeSigner,
                            clock: Clock = utcnow) -> UnsubscribeOutcome:
    """Turn the category's marketing email off now (the next send already respects it) and
    record `unsubscribe_requested`, which members turns into a consent withdrawal in its ledger."""
    now = clock()
    grant = _grant(signer, cmd.tenant, cmd.token, now)
    async with uow:
        if await uow.contacts.erased(grant.tenant, grant.member_id):
            return UnsubscribeOutcome(grant.category, _locale(grant), True)
        prefs = await uow.preferences.get(grant.tenant, grant.member_id) or MemberPreferences(
            id=grant.member_id, tenant=grant.tenant, member_id=grant.member_id)
        already = not prefs.preferences.allows(Category(grant.category), Channel.EMAIL)
        prefs.unsubscribe(Category(grant.category), "one-click", _locale(grant), now)
        await uow.preferences.save(prefs)
        if not already and grant.category == Category.NEWSLETTERS.value:
            # The newsletter's figures: attributed to the last one sent to them, once per message
            # (the consent withdrawal members sends back finds it already counted).
            await uow.notifications.count_unsubscribe(grant.tenant, grant.member_id)
        await uow.commit()
    return UnsubscribeOutcome(grant.category, _locale(grant), already)


# -- bounces -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceiveBounce:
    tenant: str
    payload: str
    signature: str


def verify_signature(secret: str, payload: str, header: str, now: float) -> None:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<payload>">`, at most 300 s old; several
    `v1` values are accepted (a rotating secret signs with both)."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k.strip() == "t"]
    signatures = [v.strip() for k, v in parts if k.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not signatures:
        raise BadWebhook("the signature header is malformed")
    stamp = int(stamps[0].strip())
    if abs(now - stamp) > SIGNATURE_TOLERANCE_SECONDS:
        raise BadWebhook("the signature is too old (or from the future)")
    expected = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise BadWebhook("the signature does not match")


def sign(secret: str, payload: str, now: float | None = None) -> str:
    """The header a provider (or a test) sends."""
    stamp = int(time.time() if now is None else now)
    return f"t={stamp},v1={hmac.new(secret.encode(), f'{stamp}.{payload}'.encode(), hashlib.sha256).hexdigest()}"


async def receive_bounce(cmd: ReceiveBounce, uow: NotificationsUnitOfWork, bounce_secret: str,
                         bounce_policy: BouncePolicy, clock: Clock = utcnow) -> str:
    """`processed`, `duplicate` (the provider retried) or `ignored` (a message not sent here)."""
    now = clock()
    if not bounce_secret:
        raise BadWebhook("no bounce webhook secret is configured")
    verify_signature(bounce_secret, cmd.payload, cmd.signature, now.timestamp())
    try:
        report = json.loads(cmd.payload)
        report_id, kind_name, message_id = str(report["id"]), str(report["type"]), str(report["message_id"])
        bounce_type = str(report.get("bounce_type", "hard"))
    except (ValueError, KeyError, TypeError):
        raise BadWebhook("the body is not a bounce report: id, type, message_id") from None
    if kind_name == "complaint":
        kind = BounceKind.COMPLAINT
    elif kind_name == "bounce" and bounce_type in ("hard", "soft"):
        kind = BounceKind(bounce_type)
    else:
        raise BadWebhook("type is bounce (bounce_type hard or soft) or complaint")
    async with uow:
        notification = await uow.notifications.by_message_id(cmd.tenant, message_id)
        if notification is None or notification.email is None:
            return "ignored"
        applied = await _apply_bounce(uow, cmd.tenant, notification.member_id, notification.email.to, kind, now,
                                      bounce_policy, f"provider:{report_id}")
        await uow.commit()
    return "processed" if applied else "duplicate"


# -- contactability ----------------------------------------------------------------------

@dataclass(frozen=True)
class GetContactability:
    tenant: str


async def get_contactability(query: GetContactability, uow: NotificationsUnitOfWork) -> list[dict[str, object]]:
    async with uow:
        rows = await uow.contacts.contactability(query.tenant)
    return sorted(rows, key=lambda r: (-int(str(r["graduation_year"] or 0)), str(r["program"])))


HANDLERS = (list_feed, mark_read, get_preferences, set_preferences, check_unsubscribe, apply_unsubscribe,
            receive_bounce, get_contactability)
