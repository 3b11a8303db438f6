from __future__ import annotations

from collections.abc import Callable

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from events_service.domain.model import Event
from events_service.service_layer.commands import ProjectMember
from servicekit.domain import AggregateRoot
from servicekit.mongo import Document, IndexSpec
from servicekit.projections import apply_versioned

EVENTS = "events"
MEMBERS = "members"

INDEXES = [
    IndexSpec(EVENTS, [("tenant", 1), ("starts_at", 1)], "events_by_start"),
    IndexSpec(MEMBERS, [("tenant", 1), ("cohorts.program", 1), ("cohorts.graduation_year", 1)], "members_by_cohort"),
]


class MongoEventRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[EVENTS]
        self._session = session
        self._track = track

    async def add(self, event: Event) -> None:
        await self._col.insert_one({
            "_id": event.id, "tenant": event.tenant, "version": event.version, "title": event.title,
            "starts_at": event.starts_at, "ends_at": event.ends_at, "timezone": event.timezone,
            "venue": event.venue, "capacity": event.capacity}, session=self._session)
        self._track(event)


class MongoMemberProjection:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[MEMBERS]
        self._session = session

    async def apply(self, member: ProjectMember) -> bool:
        fields = {"first_name": member.first_name, "last_name": member.last_name, "email": member.email,
                  "locale": member.locale, "deceased": member.deceased,
                  "cohorts": [{"program": p, "graduation_year": y} for p, y in member.cohorts]}
        return await apply_versioned(self._col, member.tenant, member.member_id, member.version, fields,
                                     self._session)

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_one({"_id": member_id, "tenant": tenant}, session=self._session)
        return result.deleted_count
