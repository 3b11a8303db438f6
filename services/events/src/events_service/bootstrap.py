"""Composition root of the events service.

`bootstrap` wires use cases to whatever adapters it is given (fakes in unit tests);
`build` gives it the MongoDB ones.
"""

from __future__ import annotations

from collections.abc import Callable

from events_service.adapters.mongo_repository import INDEXES, MEMBERS
from events_service.adapters.unit_of_work import MongoEventsUnitOfWork
from events_service.entrypoints.subscribers import event_handlers
from events_service.entrypoints.use_cases import USE_CASES
from events_service.service_layer import handlers
from events_service.service_layer.contract_mapping import to_contract
from events_service.service_layer.ports import EventsUnitOfWork
from servicekit.bus import MessageBus, fresh, serve
from servicekit.data_export import export_handler
from servicekit.mongo import Document
from servicekit.runtime import Infrastructure, ServiceParts
from servicekit.segments import AUDIENCE, AUDIENCE_INDEXES, MongoAudienceUnitOfWork, audience_handlers


def export_queries(tenant: str, member_id: str) -> dict[str, Document]:
    return {MEMBERS: {"tenant": tenant, "_id": member_id}, AUDIENCE: {"tenant": tenant, "_id": member_id}}


def bootstrap(uow_factory: Callable[[], EventsUnitOfWork]) -> ServiceParts:
    bus = MessageBus.wire([handlers.schedule_event], uow=fresh(uow_factory))
    return ServiceParts(requests=serve(USE_CASES, bus), events=event_handlers(uow_factory))


def build(infra: Infrastructure) -> ServiceParts:
    def uow() -> MongoEventsUnitOfWork:
        return MongoEventsUnitOfWork(infra.mongo, infra.settings.mongo_db, to_contract, infra.wakeup)

    def audience_uow() -> MongoAudienceUnitOfWork:  # segments: invitations target this projection
        return MongoAudienceUnitOfWork(infra.mongo, infra.settings.mongo_db, lambda _: None)

    parts = bootstrap(uow)
    parts.events = [*parts.events, *audience_handlers("events", audience_uow)]
    parts.requests = [*parts.requests, export_handler("events", infra.db, export_queries)]
    parts.indexes = [*INDEXES, *AUDIENCE_INDEXES]
    return parts
