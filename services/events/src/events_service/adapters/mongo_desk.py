"""MongoDB adapters of the desk slice: the attendance projection (figures), calendar feeds, the
ticket-code lookup on registrations, and read-only views of the events collection (events domain) and the
audience projection (segments)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from events_service.adapters.mongo_repository import EVENTS, REGISTRATIONS, registration_from
from events_service.domain.checkin import fold
from events_service.domain.event_figures import Attendance, AttendanceRecord
from events_service.domain.registrations import Registration
from events_service.service_layer.desk_ports import EventInfo, Person
from servicekit.domain import AggregateRoot
from servicekit.mongo import Document, IndexSpec
from servicekit.personal_data import is_erased
from servicekit.segments import AUDIENCE

ATTENDANCE = "attendance"
CALENDAR_FEEDS = "calendar_feeds"

DESK_INDEXES = [
    IndexSpec(ATTENDANCE, [("tenant", 1), ("event_id", 1)], "attendance_by_event"),
    IndexSpec(ATTENDANCE, [("tenant", 1), ("member_id", 1)], "attendance_by_member"),
    IndexSpec(ATTENDANCE, [("tenant", 1), ("checked_in_at", 1)], "attendance_by_check_in"),
    IndexSpec(CALENDAR_FEEDS, [("tenant", 1), ("member_id", 1)], "calendar_feeds_by_member", unique=True),
]


def _doc(r: AttendanceRecord) -> Document:
    return {"_id": f"{r.event_id}:{r.key}", "tenant": r.tenant, "event_id": r.event_id, "key": r.key,
            "member_id": r.key if r.key != r.registration_id else None, "invited": r.invited,
            "status": r.status.value, "registration_id": r.registration_id, "ticket_code": r.ticket_code,
            "guests": r.guests, "checked_in_at": r.checked_in_at, "changed_at": r.changed_at}


def _record(d: Document) -> AttendanceRecord:
    return AttendanceRecord(tenant=d["tenant"], event_id=d["event_id"], key=d["key"], invited=d.get("invited", False),
                            status=Attendance(d["status"]), registration_id=d.get("registration_id"),
                            ticket_code=d.get("ticket_code"), guests=d.get("guests", 0),
                            checked_in_at=d.get("checked_in_at"), changed_at=d.get("changed_at"))


class MongoAttendances:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._db = db
        self._col = db[ATTENDANCE]
        self._s = session

    async def get(self, tenant: str, event_id: str, key: str) -> AttendanceRecord | None:
        d = await self._col.find_one({"_id": f"{event_id}:{key}", "tenant": tenant}, session=self._s)
        return None if d is None else _record(d)

    async def save(self, record: AttendanceRecord) -> None:
        if record.key != record.registration_id and await is_erased(self._db, record.tenant, record.key, self._s):
            return  # a late event about an erased member must not bring them back
        doc = _doc(record)
        await self._col.replace_one({"_id": doc["_id"], "tenant": record.tenant}, doc, upsert=True, session=self._s)

    async def for_event(self, tenant: str, event_id: str) -> list[AttendanceRecord]:
        return [_record(d) async for d in self._col.find({"tenant": tenant, "event_id": event_id}, session=self._s)]

    async def attended_since(self, tenant: str, since: datetime) -> list[tuple[str, datetime]]:
        cursor = self._col.find({"tenant": tenant, "checked_in_at": {"$gte": since}},
                                {"member_id": 1, "checked_in_at": 1}, session=self._s)
        return [(d["member_id"], d["checked_in_at"]) async for d in cursor if d.get("member_id")]

    async def erase_member(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_many({"tenant": tenant, "member_id": member_id}, session=self._s)
        return result.deleted_count


class MongoTickets:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[REGISTRATIONS]
        self._s = session
        self._track = track

    async def by_code(self, tenant: str, code: str) -> Registration | None:
        # The events domain's (tenant, ticket_code) index serves this point read.
        doc = await self._col.find_one({"tenant": tenant, "ticket_code": code}, session=self._s)
        if doc is None:
            return None
        registration = registration_from(doc)
        self._track(registration)
        return registration


def _texts(doc: Document, field: str) -> dict[str, str]:
    """`title` (today's single text) or `title_fr` / `title_en` / `{field}: {fr:, en:}` (FR/EN)."""
    value = doc.get(field)
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if isinstance(v, str) and v}
    texts = {lang: doc[f"{field}_{lang}"] for lang in ("fr", "en") if doc.get(f"{field}_{lang}")}
    if isinstance(value, str) and value:
        texts.setdefault("fr", value)
    return texts


def _info(d: Document) -> EventInfo:
    status = d.get("status", "published")
    return EventInfo(event_id=d["_id"], titles=_texts(d, "title"), starts_at=d["starts_at"], ends_at=d["ends_at"],
                     timezone=d.get("timezone", "Europe/Paris"), venue=d.get("venue") or "",
                     online_url=d.get("online_url") or "", descriptions=_texts(d, "description"),
                     cancelled=status == "cancelled", sequence=int(d.get("version", 1)) - 1,
                     draft=status == "draft", invited_only=d.get("visibility") == "invited")


class MongoEventCatalogue:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[EVENTS]
        self._s = session

    async def get(self, tenant: str, event_id: str) -> EventInfo | None:
        d = await self._col.find_one({"_id": event_id, "tenant": tenant}, session=self._s)
        return None if d is None else _info(d)

    async def many(self, tenant: str, event_ids: list[str]) -> dict[str, EventInfo]:
        if not event_ids:
            return {}
        cursor = self._col.find({"tenant": tenant, "_id": {"$in": sorted(set(event_ids))}}, session=self._s)
        return {d["_id"]: _info(d) async for d in cursor}


class MongoPeople:
    """Names and cohorts from the service's audience projection (`servicekit.segments`, the one
    invitations target): no second copy of members for the desk and the figures."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[AUDIENCE]
        self._s = session

    async def of(self, tenant: str, member_ids: list[str]) -> dict[str, Person]:
        if not member_ids:
            return {}
        out: dict[str, Person] = {}
        cursor = self._col.find({"tenant": tenant, "_id": {"$in": sorted(set(member_ids))}},
                                {"first_name": 1, "last_name": 1, "cohorts": 1}, session=self._s)
        async for d in cursor:
            first, last = d.get("first_name") or "", d.get("last_name") or ""
            cohorts = d.get("cohorts") or []
            main = (cohorts[0].get("program", ""), int(cohorts[0].get("graduation_year", 0))) if cohorts else None
            out[d["_id"]] = Person(f"{first} {last}".strip(), fold(f"{first} {last}"), fold(f"{last} {first}"), main)
        return out

    async def alumni_by_year(self, tenant: str) -> dict[int, int]:
        # One aggregation over the tenant's audience; the main cohort (first) counts.
        pipeline: list[Document] = [
            {"$match": {"tenant": tenant, "known": True, "deceased": {"$ne": True}}},
            {"$project": {"year": {"$arrayElemAt": ["$cohorts.graduation_year", 0]}}},
            {"$group": {"_id": "$year", "n": {"$sum": 1}}}]
        cursor = await self._col.aggregate(pipeline, session=self._s)
        return {int(d["_id"]): d["n"] async for d in cursor if isinstance(d.get("_id"), int)}


class MongoCalendarFeeds:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[CALENDAR_FEEDS]
        self._s = session

    async def replace(self, tenant: str, member_id: str, token_hash: str, now: datetime) -> None:
        await self._col.delete_many({"tenant": tenant, "member_id": member_id}, session=self._s)
        await self._col.insert_one({"_id": token_hash, "tenant": tenant, "member_id": member_id, "issued_at": now},
                                   session=self._s)

    async def revoke(self, tenant: str, member_id: str) -> bool:
        result = await self._col.delete_many({"tenant": tenant, "member_id": member_id}, session=self._s)
        return result.deleted_count > 0

    async def member_of(self, tenant: str, token_hash: str) -> str | None:
        d = await self._col.find_one({"_id": token_hash, "tenant": tenant}, {"member_id": 1}, session=self._s)
        return None if d is None else str(d["member_id"])


def desk_repositories(db: AsyncDatabase[Document], session: AsyncClientSession,
                      track: Callable[[AggregateRoot], None]
                      ) -> tuple[MongoAttendances, MongoTickets, MongoEventCatalogue, MongoPeople, MongoCalendarFeeds]:
    return (MongoAttendances(db, session), MongoTickets(db, session, track), MongoEventCatalogue(db, session),
            MongoPeople(db, session), MongoCalendarFeeds(db, session))

