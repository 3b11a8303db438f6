from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from events_service.adapters.mongo_repository import MongoEventRepository, MongoMemberProjection
from servicekit.mongo import Document
from servicekit.uow import MongoUnitOfWork


class MongoEventsUnitOfWork(MongoUnitOfWork):
    events: MongoEventRepository
    members: MongoMemberProjection

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.events = MongoEventRepository(db, session, self.track)
        self.members = MongoMemberProjection(db, session)
