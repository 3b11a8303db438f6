from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from members_service.adapters.import_store import MongoImportJobs, MongoImportRows
from members_service.adapters.mongo_repository import (
    MongoErasureRepository,
    MongoMemberRepository,
    MongoTenantSettings,
)
from servicekit.mongo import Document
from servicekit.uow import MongoUnitOfWork


class MongoMembersUnitOfWork(MongoUnitOfWork):
    members: MongoMemberRepository
    settings: MongoTenantSettings
    erasures: MongoErasureRepository
    import_jobs: MongoImportJobs
    import_rows: MongoImportRows

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.members = MongoMemberRepository(db, session, self.track)
        self.settings = MongoTenantSettings(db, session)
        self.erasures = MongoErasureRepository(db, session, self.track)
        self.import_jobs = MongoImportJobs(db, session)
        self.import_rows = MongoImportRows(db, session)
