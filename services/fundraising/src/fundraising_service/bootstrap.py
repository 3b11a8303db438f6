"""Composition root of the fundraising service."""

from __future__ import annotations

from fundraising_service.adapters.mongo_repository import INDEXES
from fundraising_service.adapters.unit_of_work import MongoFundraisingUnitOfWork
from fundraising_service.entrypoints.requests import request_handlers
from fundraising_service.entrypoints.subscribers import event_handlers
from fundraising_service.service_layer.contract_mapping import to_contract
from servicekit.runtime import Infrastructure, ServiceParts


def build(infra: Infrastructure) -> ServiceParts:
    def uow() -> MongoFundraisingUnitOfWork:
        return MongoFundraisingUnitOfWork(infra.mongo, infra.settings.mongo_db, to_contract, infra.wakeup)

    return ServiceParts(requests=request_handlers(uow), events=event_handlers(uow), indexes=INDEXES)
