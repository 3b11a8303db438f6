"""Composition root of the events service.

`bootstrap` wires use cases to whatever adapters it is given (fakes in unit tests);
`build` gives it the MongoDB ones.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import cast

from alumni_contracts.subscriptions import Subscription
from events_service.adapters.desk_unit_of_work import MongoDeskUnitOfWork
from events_service.adapters.mongo_desk import DESK_INDEXES
from events_service.adapters.mongo_repository import (
    INDEXES,
    INVITATION_BATCHES,
    MEMBERS,
    MEMBERSHIPS,
    REGISTRATIONS,
)
from events_service.config import EventsSettings
from events_service.entrypoints.desk_subscribers import figures_event_handlers
from events_service.entrypoints.desk_use_cases import DESK_HANDLERS, DESK_USE_CASES
from events_service.entrypoints.subscribers import event_handlers
from events_service.entrypoints.use_cases import USE_CASES
from events_service.service_layer import handlers, invitations, registrations
from events_service.service_layer.commands import ReleaseExpiredHolds, SettleClaims
from events_service.service_layer.contract_mapping import TICKET_SEAL_PURPOSE, to_contract
from events_service.service_layer.desk_contract_mapping import with_desk
from events_service.service_layer.desk_ports import DeskUnitOfWork
from events_service.service_layer.ports import EventsUnitOfWork
from events_service.service_layer.seat_gate import SeatGate
from servicekit.bus import MessageBus, fresh, serve
from servicekit.data_export import export_handler
from servicekit.messaging import EventHandler
from servicekit.mongo import Document
from servicekit.periodic import Sweep
from servicekit.runtime import Infrastructure, ServiceParts
from servicekit.sealed import Sealer
from servicekit.segments import AUDIENCE, AUDIENCE_INDEXES, MongoAudienceUnitOfWork, audience_handlers


def export_queries(tenant: str, member_id: str) -> dict[str, Document]:
    return {MEMBERS: {"tenant": tenant, "_id": member_id}, MEMBERSHIPS: {"tenant": tenant, "_id": member_id},
            REGISTRATIONS: {"tenant": tenant, "member_id": member_id}, AUDIENCE: {"tenant": tenant, "_id": member_id},
            INVITATION_BATCHES: {"tenant": tenant, "member_ids": member_id}}


def _figures(uow_factory: Callable[[], EventsUnitOfWork]) -> list[tuple[Subscription, EventHandler]]:
    """The attendance figures' subscribers (lane `events.figures`): the desk unit of work."""
    return figures_event_handlers(cast(Callable[[], DeskUnitOfWork], uow_factory))


def wire(uow_factory: Callable[[], EventsUnitOfWork], gate: SeatGate) -> MessageBus:
    return MessageBus.wire(
        [handlers.schedule_event, invitations.issue_invitations, invitations.preview_invitations,
         invitations.send_pending_invitations, handlers.update_event, handlers.set_ticket_types,
         handlers.publish_event,
         handlers.cancel_event, handlers.complete_event, handlers.get_event, handlers.list_events,
         registrations.register, registrations.cancel_registration, registrations.change_guests,
         registrations.accept_offer, registrations.answer_invitation, registrations.get_registration,
         registrations.my_registrations, registrations.event_registrations, registrations.settle_ticket_payment,
         registrations.release_expired_holds, registrations.settle_claims, registrations.promote_waiting,
         # the desk slice (check-in, tickets, calendars, figures): its Mongo unit of work extends
         # the events one with the desk repositories (adapters/desk_unit_of_work.py)
         *DESK_HANDLERS],
        uow=fresh(uow_factory), uow_factory=uow_factory, gate=gate)


def bootstrap(uow_factory: Callable[[], EventsUnitOfWork], gate: SeatGate | None = None) -> ServiceParts:
    gate = gate or SeatGate()
    bus = wire(uow_factory, gate)
    parts = ServiceParts(requests=serve([*USE_CASES, *DESK_USE_CASES], bus),
                         events=[*event_handlers(uow_factory, gate), *_figures(uow_factory)])
    parts.bus = bus  # type: ignore[attr-defined]
    return parts


def build(infra: Infrastructure) -> ServiceParts:
    assert isinstance(infra.settings, EventsSettings)
    sealer = Sealer.from_setting(infra.settings.ticket_seal_secrets.get_secret_value(), TICKET_SEAL_PURPOSE)
    mapper = with_desk(partial(to_contract, sealer=sealer))

    def uow() -> MongoDeskUnitOfWork:
        return MongoDeskUnitOfWork(infra.mongo, infra.settings.mongo_db, mapper, infra.wakeup)

    def audience_uow() -> MongoAudienceUnitOfWork:  # segments: invitations target this projection
        return MongoAudienceUnitOfWork(infra.mongo, infra.settings.mongo_db, lambda _: None)

    settings = infra.settings
    assert isinstance(settings, EventsSettings)
    gate = SeatGate()
    bus = wire(uow, gate)
    parts = ServiceParts(requests=[*serve([*USE_CASES, *DESK_USE_CASES], bus),
                                   export_handler("events", infra.db, export_queries)],
                         events=[*event_handlers(uow, gate), *_figures(uow), *audience_handlers("events", audience_uow)],
                         indexes=[*INDEXES, *AUDIENCE_INDEXES, *DESK_INDEXES])

    async def release_holds() -> None:
        await bus.handle(ReleaseExpiredHolds())

    # Lapsed seat offers and unpaid holds: released, and the waitlist moves (one replica at a time).
    holds = Sweep("events", "seat-holds", release_holds, settings.hold_sweep_seconds, db=infra.db)

    async def settle_claims() -> None:
        await bus.handle(SettleClaims(grace_seconds=settings.claim_grace_seconds))

    # Seat claims of registration attempts: settled, or released after a crash (DESIGN notes in the README).
    claims = Sweep("events", "seat-claims", settle_claims, settings.claim_sweep_seconds, db=infra.db,
                   lease_seconds=15.0)
    async def send_invitations() -> None:
        await bus.handle(invitations.SendPendingInvitations(grace_seconds=settings.invitation_grace_seconds))

    # Invitations after their first batch: one transaction per batch, resumed after a crash (README).
    invites = Sweep("events", "invitations", send_invitations, settings.invitation_sweep_seconds, db=infra.db,
                    lease_seconds=30.0)
    parts.workers = [holds.run, claims.run, invites.run]
    parts.stoppers = [holds.stop, claims.stop, invites.stop]
    return parts
