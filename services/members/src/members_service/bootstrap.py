"""Composition root of the members service."""

from __future__ import annotations

from members_service.adapters.mongo_repository import INDEXES, MongoMemberRepository
from members_service.adapters.unit_of_work import MongoMembersUnitOfWork
from members_service.entrypoints.requests import request_handlers
from members_service.service_layer.contract_mapping import to_contract
from servicekit.runtime import Infrastructure, ServiceParts


def build(infra: Infrastructure) -> ServiceParts:
    def uow() -> MongoMembersUnitOfWork:
        return MongoMembersUnitOfWork(infra.mongo, infra.settings.mongo_db, to_contract, infra.wakeup)

    reader = MongoMemberRepository(infra.db, None, lambda _m: None)
    return ServiceParts(requests=request_handlers(uow, reader), indexes=INDEXES)
