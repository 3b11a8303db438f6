"""MongoDB side of the gatherings' messages: the `gatherings` and `gathering_registrants`
projections (versioned: an older or repeated event never overwrites a newer state) and the unit
of work that adds them to the service's own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from notifications_service.adapters.unit_of_work import MongoNotificationsUnitOfWork
from notifications_service.domain.gatherings import ACTIVE, Gathering, Registrant, split_status
from servicekit.mongo import Document, IndexSpec
from servicekit.projections import apply_versioned

GATHERINGS = "gatherings"
REGISTRANTS = "gathering_registrants"
GATHERING_INDEXES = [
    IndexSpec(REGISTRANTS, [("tenant", 1), ("event_id", 1), ("status", 1), ("_id", 1)], "registrants_by_event"),
    IndexSpec(REGISTRANTS, [("tenant", 1), ("member_id", 1)], "registrants_by_member"),
]


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class MongoGatherings:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col, self._session = db[GATHERINGS], session

    async def apply(self, tenant: str, event_id: str, version: int, fields: dict[str, Any]) -> bool:
        """The status (published, cancelled and its reason) and the details (title, times, place)
        each follow their own version: `event_published` overtaking `event_scheduled` (another
        consumer) must not make the details look newer than the scheduled ones."""
        applied = False
        for group, part in split_status(fields):
            applied |= await apply_versioned(self._col, tenant, event_id, version, part, self._session, group)
        return applied

    async def get(self, tenant: str, event_id: str) -> Gathering | None:
        d = await self._col.find_one({"_id": event_id, "tenant": tenant}, session=self._session)
        if d is None or "timezone" not in d:
            return None  # only its status was seen so far
        return Gathering(tenant=tenant, event_id=event_id, title=d.get("title") or "", title_en=d.get("title_en"),
                         starts_at=_aware(d["starts_at"]), ends_at=_aware(d["ends_at"]), timezone=d["timezone"],
                         venue=d.get("venue") or "", online_url=d.get("online_url"),
                         status=d.get("status") or "published", cancellation_policy=d.get("cancellation_policy") or "",
                         cancel_reason=d.get("cancel_reason") or "",
                         version=max(int(d.get("details_version", 0)), int(d.get("status_version", 0))))


class MongoRegistrants:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col, self._session = db[REGISTRANTS], session

    async def apply(self, tenant: str, registration_id: str, version: int, fields: dict[str, Any]) -> bool:
        return await apply_versioned(self._col, tenant, registration_id, version, fields, self._session)

    async def get(self, tenant: str, registration_id: str) -> Registrant | None:
        d = await self._col.find_one({"_id": registration_id, "tenant": tenant}, session=self._session)
        return None if d is None else _registrant(d)

    async def active_of_event(self, tenant: str, event_id: str) -> list[Registrant]:
        cursor = self._col.find({"tenant": tenant, "event_id": event_id, "status": {"$in": sorted(ACTIVE)}},
                                session=self._session).sort("_id", 1)
        return [_registrant(d) async for d in cursor]

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_many({"tenant": tenant, "member_id": member_id}, session=self._session)
        return result.deleted_count


def _registrant(d: Document) -> Registrant:
    return Registrant(tenant=d["tenant"], registration_id=d["_id"], event_id=d["event_id"], member_id=d["member_id"],
                      status=d["status"], price_minor=int(d.get("price_minor") or 0), currency=d.get("currency") or "")


class MongoGatheringsUnitOfWork(MongoNotificationsUnitOfWork):
    gatherings: MongoGatherings
    registrants: MongoRegistrants

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        super()._open(db, session)
        self.gatherings = MongoGatherings(db, session)
        self.registrants = MongoRegistrants(db, session)
