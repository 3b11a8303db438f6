"""The mailer API: how any use case (welcome, reminders, invitations, newsletters) turns a
member-facing message into an email and an in-app feed item, once per (kind, member, cause).

    composer = Composer(renderer, brands, signer, public_url, message_id_domain)
    async with uow:
        outcome = await queue_message(Message(tenant=..., member_id=..., kind="newsletter",
                                              category=Category.NEWSLETTERS, marketing=True,
                                              cause=newsletter_id, per_member=True,
                                              values={"title": ..., "body_html": ...}), uow, composer)
        await uow.commit()

`queue_message` reads the member's contact projection (address, language, contactability,
consents) and preferences, decides the channels (`domain.preferences.channels_for`), renders
the template pair in the member's language with the tenant's brand, and for a marketing
message adds `List-Unsubscribe` (an https one-click link with a signed, expiring token) and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058). The notification's id is the
delivery key, so a redelivered cause queues nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from notifications_service.domain.branding import Brand
from notifications_service.domain.feed import FeedItem
from notifications_service.domain.model import Attachment, Notification, OutgoingEmail
from notifications_service.domain.preferences import (
    Category,
    Channel,
    MemberPreferences,
    MessageClass,
    Preferences,
    channels_for,
)
from notifications_service.domain.unsubscribe import UnsubscribeSigner
from notifications_service.service_layer.ports import NotificationsUnitOfWork, Renderer
from servicekit import context
from servicekit.domain import utcnow

UNSUBSCRIBE_PATH = "/api/v1/public/unsubscribe"  # served by the gateway, no login
PREFERENCES_PATH = "/console#notifications"  # the console: My notifications and preferences


@dataclass(frozen=True)
class Message:
    """One member-facing message to queue."""

    tenant: str
    member_id: str
    kind: str  # the template pair's name
    category: Category
    marketing: bool
    cause: str  # the causing event's id (or a newsletter's id)
    values: dict[str, Any] = field(default_factory=dict)
    per_member: bool = False  # the cause concerns many members: the key names the member
    about: str | None = None  # what a later change may withdraw it for (a membership)
    key: str | None = None  # an explicit delivery key (dues reminders: member, period, stage)
    email: str | None = None  # the address to use instead of the projection's (the welcome)
    locale: str | None = None
    # Files sent with the email (not the feed): `locale → attachments`, or one tuple for every language.
    attachments: tuple[Attachment, ...] | Callable[[str], tuple[Attachment, ...]] = ()


@dataclass(frozen=True)
class Queued:
    key: str
    email: bool
    in_app: bool

    def __bool__(self) -> bool:
        return self.email or self.in_app


class Composer:
    def __init__(self, renderer: Renderer, brands: Callable[[str], Brand], signer: UnsubscribeSigner,
                 public_url: str, message_id_domain: str, clock: Callable[[], datetime] = utcnow) -> None:
        self.renderer, self._brands, self.signer = renderer, brands, signer
        self._public_url, self.message_id_domain, self._clock = public_url.rstrip("/"), message_id_domain, clock

    def link(self, path: str) -> str:
        """An absolute link to the platform's public address (the console, a page)."""
        return f"{self._public_url}{path}"

    def brand(self, tenant: str) -> Brand:
        return self._brands(tenant)

    def unsubscribe_url(self, tenant: str, member_id: str, category: Category, locale: str) -> str:
        token = self.signer.issue(tenant, member_id, category.value, locale, self._clock())
        return f"{self._public_url}{UNSUBSCRIBE_PATH}?tenant={quote(tenant)}&token={quote(token)}"

    def email(self, message: Message, to: str, locale: str, key: str, values: dict[str, Any]) -> OutgoingEmail:
        headers: tuple[tuple[str, str], ...] = ()
        extra: dict[str, Any] = {"preferences_url": f"{self._public_url}{PREFERENCES_PATH}"}
        if message.marketing:
            url = self.unsubscribe_url(message.tenant, message.member_id, message.category, locale)
            extra["unsubscribe_url"] = url
            headers = (("List-Unsubscribe", f"<{url}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
        rendered = self.renderer.render_email(message.kind, locale, {**values, **extra}, self.brand(message.tenant))
        attachments = message.attachments(locale) if callable(message.attachments) else message.attachments
        return OutgoingEmail(to=to, subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
                             locale=locale, message_id=f"<{key}@{self.message_id_domain}>", headers=headers,
                             category=message.category.value, marketing=message.marketing, attachments=attachments)


def delivery_key(message: Message) -> str:
    return message.key or Notification.delivery_key(message.kind, message.cause,
                                                    message.member_id if message.per_member else None)


def _compose(message: Message, contact: dict[str, Any] | None, prefs: MemberPreferences | None,
             composer: Composer) -> tuple[str, Notification | None, FeedItem | None]:
    """What to write for `message` (the rules of `queue_message`): its key, the notification
    (email) and the feed item (in-app), each None when that channel is not to be used."""
    key = delivery_key(message)
    if message.email is not None:  # the event carries the address (a registration, projected in this transaction)
        contact = {**(contact or {}), "email": message.email,
                   "contactable": bool((contact or {}).get("contactable", True))}
    channels = channels_for(MessageClass(message.kind, message.category, message.marketing), contact,
                            prefs.preferences if prefs else Preferences())
    if not channels:
        return key, None, None
    assert contact is not None
    locale = message.locale or str(contact.get("locale") or "fr")
    values = {"first_name": contact.get("first_name", ""), "last_name": contact.get("last_name", ""),
              **message.values}
    email = composer.email(message, str(contact.get("email") or ""), locale, key, values)
    notification = item = None
    if Channel.EMAIL in channels:
        notification = Notification(
            id=key, tenant=message.tenant, member_id=message.member_id, template=message.kind, email=email,
            cause_event_id=message.cause or None, correlation_id=context.current().correlation_id, about=message.about)
    if Channel.IN_APP in channels:
        item = FeedItem(id=key, tenant=message.tenant, member_id=message.member_id, kind=message.kind,
                        category=message.category.value, title=email.subject, body=email.body_text, locale=locale,
                        created_at=utcnow())
    return key, notification, item


async def queue_message(message: Message, uow: NotificationsUnitOfWork, composer: Composer,
                        contact: dict[str, Any] | None = None) -> Queued:
    """Queue `message` on the channels it may use, in the caller's open unit of work (the caller
    commits). `contact`: the projection's document if the caller read it already."""
    if contact is None:
        contact = await uow.contacts.get(message.tenant, message.member_id)
    prefs = await uow.preferences.get(message.tenant, message.member_id)
    key, notification, item = _compose(message, contact, prefs, composer)
    sent_email = notification is not None and await uow.notifications.add_if_absent(notification)
    sent_feed = item is not None and await uow.feed.add_if_absent(item)
    return Queued(key, sent_email, sent_feed)


async def queue_messages(messages: list[Message], uow: NotificationsUnitOfWork, composer: Composer,
                         contacts: dict[str, dict[str, Any]]) -> list[Queued]:
    """Queue many messages of one tenant at once (a newsletter batch), by the same rules as
    `queue_message`: the members' preferences in one read, the notifications and the feed items
    each checked in one read and inserted with one bulk insert (keys already present are skipped,
    so a resumed batch queues nothing twice). `contacts`: the projection's documents by member."""
    if not messages:
        return []
    tenant = messages[0].tenant
    assert all(m.tenant == tenant for m in messages), "one tenant per call"
    prefs = await uow.preferences.get_many(tenant, sorted({m.member_id for m in messages}))
    planned = [_compose(m, contacts.get(m.member_id), prefs.get(m.member_id), composer) for m in messages]
    emails = await uow.notifications.add_many_if_absent([n for _, n, _ in planned if n is not None])
    items = await uow.feed.add_many_if_absent([i for _, _, i in planned if i is not None])
    return [Queued(key, n is not None and key in emails, i is not None and key in items) for key, n, i in planned]
