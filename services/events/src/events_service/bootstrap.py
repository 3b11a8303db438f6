"""Composition root of the events service."""

from __future__ import annotations

from events_service.adapters.mongo_repository import INDEXES
from events_service.adapters.unit_of_work import MongoEventsUnitOfWork
from events_service.entrypoints.requests import request_handlers
from events_service.entrypoints.subscribers import event_handlers
from events_service.service_layer.contract_mapping import to_contract
from servicekit.runtime import Infrastructure, ServiceParts


def build(infra: Infrastructure) -> ServiceParts:
    def uow() -> MongoEventsUnitOfWork:
        return MongoEventsUnitOfWork(infra.mongo, infra.settings.mongo_db, to_contract, infra.wakeup)

    return ServiceParts(requests=request_handlers(uow), events=event_handlers(uow), indexes=INDEXES)
