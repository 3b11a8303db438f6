"""`member_invited` (events) → one invitation email and feed item per invitee."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alumni_contracts import naming
from alumni_contracts.envelope import CloudEvent
from alumni_contracts.events.v1 import MemberInvited
from alumni_contracts.notifications import commands as c
from alumni_contracts.rpc import Role
from alumni_contracts.subscriptions import Subscription, subscription
from notifications_service.service_layer import event_invitations as ei
from notifications_service.service_layer.mailer import Composer
from notifications_service.service_layer.ports import NotificationsUnitOfWork
from servicekit.bus import UseCase
from servicekit.messaging import EventHandler


def invitation_handlers(uow_factory: Callable[[], NotificationsUnitOfWork], composer: Composer, urls: ei.RsvpUrls,
                        queued: Callable[[], None]) -> list[tuple[Subscription, EventHandler]]:
    async def on_member_invited(event: CloudEvent[Any]) -> None:
        data: MemberInvited = event.data
        if await ei.queue_event_invitation(ei.SendEventInvitation(
                tenant=event.tenant, cause_event_id=event.id, event_id=data.event_id, member_id=data.member_id,
                title=data.title, title_en=data.title_en, starts_at=data.starts_at, timezone=data.timezone,
                venue=data.venue, online_url=data.online_url), uow_factory(), composer, urls):
            queued()

    return [(subscription("notifications", MemberInvited), on_member_invited)]


INVITATION_USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=naming.query_subject("notifications", c.CHECK_RSVP_LINK), request=c.CheckRsvpLink,
            roles=frozenset({Role.PUBLIC}),
            message=lambda req, who: ei.CheckRsvpLink(who.tenant, req.token),
            reply=lambda g: c.RsvpLinkInfo(event_id=g.event_id, member_id=g.member_id, locale=g.locale,
                                           expires_at=g.expires_at),
            description="Who an invitation email's RSVP link answers for, and which gathering (the public page)."),
]
