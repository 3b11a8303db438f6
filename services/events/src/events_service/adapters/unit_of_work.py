from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from events_service.adapters.mongo_repository import (
    MongoAudienceReader,
    MongoEventRepository,
    MongoInvitationBatches,
    MongoMemberProjection,
    MongoMembershipProjection,
    MongoRegistrationRepository,
    MongoSeatLedger,
)
from servicekit.mongo import Document
from servicekit.uow import MongoUnitOfWork


class MongoEventsUnitOfWork(MongoUnitOfWork):
    events: MongoEventRepository
    seats: MongoSeatLedger
    registrations: MongoRegistrationRepository
    members: MongoMemberProjection
    memberships: MongoMembershipProjection
    audience: MongoAudienceReader
    invitations: MongoInvitationBatches

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.events = MongoEventRepository(db, session, self.track)
        self.seats = MongoSeatLedger(db, session)
        self.registrations = MongoRegistrationRepository(db, session, self.track)
        self.members = MongoMemberProjection(db, session)
        self.memberships = MongoMembershipProjection(db, session)
        self.audience = MongoAudienceReader(db)
        self.invitations = MongoInvitationBatches(db, session)
