from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from members_service.adapters.group_store import MongoGroups, MongoMemberships
from members_service.adapters.import_store import MongoImportJobs, MongoImportRows
from members_service.adapters.membership_store import MongoDuesMemberships, MongoPlans
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
    groups: MongoGroups
    memberships: MongoMemberships
    import_rows: MongoImportRows
    membership_plans: MongoPlans
    dues_memberships: MongoDuesMemberships

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.members = MongoMemberRepository(db, session, self.track)
        self.settings = MongoTenantSettings(db, session)
        self.erasures = MongoErasureRepository(db, session, self.track)
        self.import_jobs = MongoImportJobs(db, session)
        self.import_rows = MongoImportRows(db, session)
        self.groups = MongoGroups(db, session, self.track)
        self.memberships = MongoMemberships(db, session, self.track)
        self.membership_plans = MongoPlans(db, session, self.track)
        self.dues_memberships = MongoDuesMemberships(db, session, self.track)
