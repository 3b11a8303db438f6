"""The members unit of work: one transaction, and each slice's repository bound to it."""

from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from members_service.adapters.mongo_directory_search import MongoDirectoryUpkeep
from members_service.adapters.mongo_dues_memberships import MongoDuesMembershipRepository, MongoPlanRepository
from members_service.adapters.mongo_erasures import MongoErasureRepository
from members_service.adapters.mongo_groups import MongoGroupRepository, MongoMembershipRepository
from members_service.adapters.mongo_imports import MongoImportJobRepository, MongoImportRowRepository
from members_service.adapters.mongo_members import MongoMemberRepository
from members_service.adapters.mongo_sectors import MongoSectorRepository
from servicekit.mongo import Document
from servicekit.uow import MongoUnitOfWork


class MongoMembersUnitOfWork(MongoUnitOfWork):
    members: MongoMemberRepository
    settings: MongoSectorRepository
    erasures: MongoErasureRepository
    import_jobs: MongoImportJobRepository
    groups: MongoGroupRepository
    memberships: MongoMembershipRepository
    import_rows: MongoImportRowRepository
    directory: MongoDirectoryUpkeep
    membership_plans: MongoPlanRepository
    dues_memberships: MongoDuesMembershipRepository

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.members = MongoMemberRepository(db, session, self.track)
        self.settings = MongoSectorRepository(db, session)
        self.erasures = MongoErasureRepository(db, session, self.track)
        self.import_jobs = MongoImportJobRepository(db, session)
        self.import_rows = MongoImportRowRepository(db, session)
        self.groups = MongoGroupRepository(db, session, self.track)
        self.memberships = MongoMembershipRepository(db, session, self.track)
        self.directory = MongoDirectoryUpkeep(db, session)
        self.membership_plans = MongoPlanRepository(db, session, self.track)
        self.dues_memberships = MongoDuesMembershipRepository(db, session, self.track)
