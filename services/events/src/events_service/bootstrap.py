"""Composition root of the events service.

`bootstrap` wires use cases to whatever adapters it is given (fakes in unit tests);
`build` gives it the MongoDB ones.
"""

from __future__ import annotations

from collections.abc import Callable

from events_service.adapters.desk_unit_of_work import MongoDeskUnitOfWork
from events_service.adapters.mongo_desk import DESK_INDEXES
from events_service.adapters.mongo_repository import INDEXES, MEMBERS
from events_service.entrypoints.desk_use_cases import DESK_HANDLERS, DESK_USE_CASES
from events_service.entrypoints.subscribers import event_handlers
from events_service.entrypoints.use_cases import USE_CASES
from events_service.service_layer import handlers
from events_service.service_layer.contract_mapping import to_contract
from events_service.service_layer.desk_contract_mapping import with_desk
from events_service.service_layer.ports import EventsUnitOfWork
from servicekit.bus import MessageBus, fresh, serve
from servicekit.data_export import export_handler
from servicekit.mongo import Document
from servicekit.runtime import Infrastructure, ServiceParts


def export_queries(tenant: str, member_id: str) -> dict[str, Document]:
    return {MEMBERS: {"tenant": tenant, "_id": member_id}}


def bootstrap(uow_factory: Callable[[], EventsUnitOfWork]) -> ServiceParts:
    # The desk slice (check-in, tickets, calendars, figures) shares the unit of work: its Mongo
    # one extends the events one with the desk repositories (adapters/desk_unit_of_work.py).
    bus = MessageBus.wire([handlers.schedule_event, *DESK_HANDLERS], uow=fresh(uow_factory))
    return ServiceParts(requests=serve([*USE_CASES, *DESK_USE_CASES], bus), events=event_handlers(uow_factory))


def build(infra: Infrastructure) -> ServiceParts:
    def uow() -> MongoDeskUnitOfWork:
        return MongoDeskUnitOfWork(infra.mongo, infra.settings.mongo_db, with_desk(to_contract), infra.wakeup)

    parts = bootstrap(uow)
    parts.requests = [*parts.requests, export_handler("events", infra.db, export_queries)]
    parts.indexes = [*INDEXES, *DESK_INDEXES]
    return parts
