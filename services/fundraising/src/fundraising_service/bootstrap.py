"""Composition root of the fundraising service.

`bootstrap` wires use cases to whatever adapters it is given (fakes in unit tests);
`build` gives it the MongoDB ones.
"""

from __future__ import annotations

from collections.abc import Callable

from fundraising_service.adapters.mongo_repository import INDEXES
from fundraising_service.adapters.unit_of_work import MongoFundraisingUnitOfWork
from fundraising_service.entrypoints.requests import request_handlers
from fundraising_service.entrypoints.subscribers import event_handlers
from fundraising_service.service_layer.contract_mapping import to_contract
from fundraising_service.service_layer.ports import FundraisingUnitOfWork
from servicekit.runtime import Infrastructure, ServiceParts


def bootstrap(uow_factory: Callable[[], FundraisingUnitOfWork]) -> ServiceParts:
    return ServiceParts(requests=request_handlers(uow_factory), events=event_handlers(uow_factory))


def build(infra: Infrastructure) -> ServiceParts:
    def uow() -> MongoFundraisingUnitOfWork:
        return MongoFundraisingUnitOfWork(infra.mongo, infra.settings.mongo_db, to_contract, infra.wakeup)

    parts = bootstrap(uow)
    parts.indexes = INDEXES
    return parts
