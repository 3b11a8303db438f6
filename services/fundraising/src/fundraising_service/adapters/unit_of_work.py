from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from fundraising_service.adapters.mongo_repository import MongoDonationRepository, MongoDonorProjection
from servicekit.mongo import Document
from servicekit.uow import MongoUnitOfWork


class MongoFundraisingUnitOfWork(MongoUnitOfWork):
    donations: MongoDonationRepository
    members: MongoDonorProjection

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.donations = MongoDonationRepository(db, session, self.track)
        self.members = MongoDonorProjection(db, session)
