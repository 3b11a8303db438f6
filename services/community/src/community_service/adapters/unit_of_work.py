from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from community_service.adapters.mongo_repository import (
    MongoHelperRepository,
    MongoHelpRequestRepository,
    MongoMemberProjection,
)
from servicekit.mongo import Document
from servicekit.uow import MongoUnitOfWork


class MongoCommunityUnitOfWork(MongoUnitOfWork):
    members: MongoMemberProjection
    helpers: MongoHelperRepository
    help_requests: MongoHelpRequestRepository

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.members = MongoMemberProjection(db, session)
        self.helpers = MongoHelperRepository(db, session)
        self.help_requests = MongoHelpRequestRepository(db, session, self.track)
