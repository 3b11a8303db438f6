"""The members unit of work with the dues KPIs read model bound to the same transaction."""

from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from members_service.adapters.mongo_dues_kpis import MongoDuesKpiRepository
from members_service.adapters.unit_of_work import MongoMembersUnitOfWork
from servicekit.mongo import Document


class MongoKpiUnitOfWork(MongoMembersUnitOfWork):
    dues_kpis: MongoDuesKpiRepository

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        super()._open(db, session)
        self.dues_kpis = MongoDuesKpiRepository(db, session)
