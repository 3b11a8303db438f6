"""The events service's events → the gatherings' messages (lane `gatherings`, durables
`notifications-ev-*` / `notifications-reg-*`, declared in `alumni_contracts.subscriptions`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.events import v1
from alumni_contracts.subscriptions import Subscription, subscription
from notifications_service.domain.gatherings import is_material
from notifications_service.service_layer import gatherings as g
from notifications_service.service_layer.mailer import Composer
from servicekit.messaging import EventHandler
from servicekit.sealed import Sealer

LANE = "gatherings"
EVENTS = (v1.EventScheduled, v1.EventPublished, v1.EventUpdated, v1.EventCancelled, v1.RegistrationConfirmed,
          v1.RegistrationPaymentRequested, v1.RegistrationWaitlisted, v1.RegistrationPromoted,
          v1.RegistrationCancelled)


def gathering_fields(data: Any) -> dict[str, Any]:
    """What each of the events service's gathering events says of the gathering."""
    match data:
        case v1.EventScheduled():
            return {"title": data.title, "title_en": data.title_en, "starts_at": data.starts_at,
                    "ends_at": data.ends_at, "timezone": data.timezone, "venue": data.venue,
                    "online_url": data.online_url, "cancellation_policy": data.cancellation_policy or "",
                    "status": "draft"}  # status_version 1: a later publication wins
        case v1.EventPublished():
            return {"status": "published"}
        case v1.EventUpdated():
            return {"starts_at": data.starts_at, "ends_at": data.ends_at, "timezone": data.timezone,
                    "venue": data.venue, "online_url": data.online_url, "status": data.status,
                    **({"title": data.title, "title_en": data.title_en} if data.title else {}),
                    **({"cancellation_policy": data.cancellation_policy}
                       if data.cancellation_policy is not None else {})}
        case v1.EventCancelled():
            return {"status": "cancelled", "cancel_reason": data.reason}
    raise TypeError(type(data).__name__)


def gathering_handlers(uow_factory: Callable[[], g.GatheringsUnitOfWork], composer: Composer, files: g.TicketFiles,
                       sealer: Sealer | None, queued: Callable[[], None]) -> list[tuple[Subscription, EventHandler]]:
    async def on_gathering(event: CloudEvent[Any]) -> None:
        data = event.data
        version = event.aggregateversion or 0
        if isinstance(data, v1.EventUpdated) and data.status == "published" and is_material(data.changed,
                                                                                             data.material):
            if await g.announce_change(g.AnnounceChange(event.tenant, event.id, data.event_id, version,
                                                        gathering_fields(data)), uow_factory(), composer, files):
                queued()
            return
        await g.project_gathering(g.ProjectGathering(event.tenant, data.event_id, version, gathering_fields(data)),
                                  uow_factory())

    async def on_registration(event: CloudEvent[Any]) -> None:
        data = event.data
        version = event.aggregateversion or 0
        sent = False
        match data:
            case v1.RegistrationConfirmed():
                sent = await g.confirm_seat(g.ConfirmSeat(
                    event.tenant, event.id, data.registration_id, data.event_id, data.member_id, version, data.guests,
                    data.price_minor, data.currency, data.ticket_sealed), uow_factory(), composer, files, sealer)
            case v1.RegistrationPromoted():
                sent = await g.offer_seat(g.OfferSeat(event.tenant, event.id, data.registration_id, data.event_id,
                                                      data.member_id, version, data.accept_by), uow_factory(), composer)
            case v1.RegistrationCancelled():
                sent = await g.registration_ended(g.RegistrationEnded(
                    event.tenant, event.id, data.registration_id, data.event_id, data.member_id, version, data.reason,
                    data.paid_minor, data.currency), uow_factory(), composer, files)
            case v1.RegistrationPaymentRequested():
                await g.project_registrant(g.ProjectRegistrant(
                    event.tenant, data.registration_id, data.event_id, data.member_id, version, "pending_payment",
                    data.price_minor, data.currency), uow_factory())
            case v1.RegistrationWaitlisted():
                await g.project_registrant(g.ProjectRegistrant(
                    event.tenant, data.registration_id, data.event_id, data.member_id, version, "waitlisted"),
                    uow_factory())
        if sent:
            queued()

    gathering_events = (v1.EventScheduled, v1.EventPublished, v1.EventUpdated, v1.EventCancelled)
    return [(subscription("notifications", e, lane=LANE), on_gathering if e in gathering_events else on_registration)
            for e in EVENTS]
