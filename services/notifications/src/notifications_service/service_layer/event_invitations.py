"""Invitation emails to gatherings (issue 11 item 3): one per invitee, with a one-click RSVP link.

The events service computes the invitees once and emits one `member_invited` per invitee; this
use case writes each of them one email and one feed item through the mailer API
(`mailer.queue_message`: template pair `event_invitation` in the member's language, category
`events`, a marketing message — consent and preferences respected, `List-Unsubscribe`). The
delivery key names the gathering and the member, so a redelivered or re-emitted invitation
queues nothing new. The link carries a signed token (`domain.rsvp_links`) that the gateway's
public RSVP page verifies here (`check_rsvp_link`) before answering as that member.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from notifications_service.domain.preferences import Category
from notifications_service.domain.rsvp_links import RsvpGrant, RsvpLinks
from notifications_service.service_layer.mailer import Composer, Message, queue_message
from notifications_service.service_layer.ports import NotificationsUnitOfWork
from servicekit.domain import utcnow

EVENT_INVITATION = "event_invitation"
RSVP_PATH = "/api/v1/public/rsvp"  # served by the gateway, no login
Clock = Callable[[], datetime]

_MONTHS = {"fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                  "novembre", "décembre"],
           "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December"]}


def when(starts_at: datetime, timezone: str, locale: str) -> str:
    """The start in the gathering's own timezone: `1 juin 2030 à 19:00 (Europe/Paris)`."""
    try:
        local = starts_at.astimezone(ZoneInfo(timezone))
    except (KeyError, ValueError):
        local, timezone = starts_at, "UTC"
    month = _MONTHS["en" if locale == "en" else "fr"][local.month - 1]
    at = "," if locale == "en" else " à"
    return f"{local.day} {month} {local.year}{at} {local:%H:%M} ({timezone})"


@dataclass(frozen=True)
class SendEventInvitation:
    tenant: str
    cause_event_id: str
    event_id: str
    member_id: str
    title: str
    title_en: str | None
    starts_at: datetime
    timezone: str
    venue: str
    online_url: str | None


class RsvpUrls:
    def __init__(self, links: RsvpLinks, public_url: str) -> None:
        self.links, self._public_url = links, public_url.rstrip("/")

    def url(self, tenant: str, member_id: str, event_id: str, locale: str, expires_at: datetime) -> str:
        token = self.links.issue(tenant, member_id, event_id, locale, expires_at)
        return f"{self._public_url}{RSVP_PATH}?tenant={quote(tenant)}&token={quote(token)}"


def delivery_key(event_id: str, member_id: str) -> str:
    """One invitation email per member and gathering, whatever re-emits it."""
    return f"{EVENT_INVITATION}-{event_id}-{member_id}"


async def queue_event_invitation(cmd: SendEventInvitation, uow: NotificationsUnitOfWork, composer: Composer,
                                 urls: RsvpUrls, clock: Clock = utcnow) -> bool:
    """True when an email was queued (False: none allowed, or queued before)."""
    if cmd.starts_at <= clock():
        return False  # the gathering has started: an invitation now would only confuse
    async with uow:
        contact = await uow.contacts.get(cmd.tenant, cmd.member_id)
        locale = str((contact or {}).get("locale") or "fr")
        title = cmd.title_en if locale == "en" and cmd.title_en else cmd.title
        queued = await queue_message(Message(
            tenant=cmd.tenant, member_id=cmd.member_id, kind=EVENT_INVITATION, category=Category.EVENTS,
            marketing=True, cause=cmd.cause_event_id, key=delivery_key(cmd.event_id, cmd.member_id),
            values={"title": title, "when": when(cmd.starts_at, cmd.timezone, locale), "venue": cmd.venue,
                    "online_url": cmd.online_url or "", "brand_name": composer.brand(cmd.tenant).name,
                    "rsvp_url": urls.url(cmd.tenant, cmd.member_id, cmd.event_id, locale, cmd.starts_at)}),
            uow, composer, contact)
        await uow.commit()
    return queued.email


@dataclass(frozen=True)
class CheckRsvpLink:
    tenant: str
    token: str


async def check_rsvp_link(query: CheckRsvpLink, urls: RsvpUrls, clock: Clock = utcnow) -> RsvpGrant:
    """Who may answer which gathering with this link (400 forged/malformed/other tenant, 410 expired)."""
    return urls.links.verify(query.token, query.tenant, clock())
