"""Composition root of the fundraising service.

`bootstrap` wires use cases to whatever adapters it is given (fakes in unit tests);
`build` gives it the MongoDB ones.
"""

from __future__ import annotations

from collections.abc import Callable

from fundraising_service.adapters.mongo_repository import DONATIONS, INDEXES, MEMBERS
from fundraising_service.adapters.unit_of_work import MongoFundraisingUnitOfWork
from fundraising_service.entrypoints.subscribers import event_handlers
from fundraising_service.entrypoints.use_cases import USE_CASES
from fundraising_service.service_layer import handlers
from fundraising_service.service_layer.contract_mapping import to_contract
from fundraising_service.service_layer.ports import FundraisingUnitOfWork
from servicekit.bus import MessageBus, fresh, serve
from servicekit.data_export import export_handler
from servicekit.mongo import Document
from servicekit.runtime import Infrastructure, ServiceParts


def export_queries(tenant: str, member_id: str) -> dict[str, Document]:
    return {MEMBERS: {"tenant": tenant, "_id": member_id}, DONATIONS: {"tenant": tenant, "member_id": member_id}}


def bootstrap(uow_factory: Callable[[], FundraisingUnitOfWork]) -> ServiceParts:
    bus = MessageBus.wire([handlers.record_donation], uow=fresh(uow_factory))
    return ServiceParts(requests=serve(USE_CASES, bus), events=event_handlers(uow_factory))


def build(infra: Infrastructure) -> ServiceParts:
    def uow() -> MongoFundraisingUnitOfWork:
        return MongoFundraisingUnitOfWork(infra.mongo, infra.settings.mongo_db, to_contract, infra.wakeup)

    parts = bootstrap(uow)
    parts.requests = [*parts.requests, export_handler("fundraising", infra.db, export_queries)]
    parts.indexes = INDEXES
    return parts
