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
    SeatSnapshots,
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
        seen: SeatSnapshots = {}  # the event documents this transaction read, shared (one read per registration)
        self.events = MongoEventRepository(db, session, self.track, seen)
        self.seats = MongoSeatLedger(db, session, seen)
        self.registrations = MongoRegistrationRepository(db, session, self.track)
        self.members = MongoMemberProjection(db, session)
        self.memberships = MongoMembershipProjection(db, session)
        self.audience = MongoAudienceReader(db)
        self.invitations = MongoInvitationBatches(db, session)
