"""The events unit of work with the desk slice's repositories bound to the same transaction."""

from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from events_service.adapters.mongo_desk import (
    MongoAttendances,
    MongoCalendarFeeds,
    MongoCheckIns,
    MongoEventCatalogue,
    MongoPeople,
    desk_repositories,
)
from events_service.adapters.unit_of_work import MongoEventsUnitOfWork
from servicekit.mongo import Document


class MongoDeskUnitOfWork(MongoEventsUnitOfWork):
    attendance: MongoAttendances
    check_ins: MongoCheckIns
    catalogue: MongoEventCatalogue
    people: MongoPeople
    feeds: MongoCalendarFeeds

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        super()._open(db, session)
        self.attendance, self.check_ins, self.catalogue, self.people, self.feeds = desk_repositories(
            db, session, self.track)
