"""The events unit of work with the desk slice's repositories bound to the same transaction."""

from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from events_service.adapters.mongo_desk import (
    MongoAttendances,
    MongoCalendarFeeds,
    MongoEventCatalogue,
    MongoPeople,
    MongoTickets,
    desk_repositories,
)
from events_service.adapters.unit_of_work import MongoEventsUnitOfWork
from servicekit.mongo import Document


class MongoDeskUnitOfWork(MongoEventsUnitOfWork):
    attendance: MongoAttendances
    tickets: MongoTickets
    catalogue: MongoEventCatalogue
    people: MongoPeople
    feeds: MongoCalendarFeeds

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        super()._open(db, session)
        self.attendance, self.tickets, self.catalogue, self.people, self.feeds = desk_repositories(
            db, session, self.track)
