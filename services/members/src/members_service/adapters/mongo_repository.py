"""MongoDB persistence of members (collection `members`)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from members_service.domain.model import Cohort, EmailAlreadyRegistered, Member, search_key
from servicekit.domain import ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec

MEMBERS = "members"

INDEXES = [
    IndexSpec(MEMBERS, [("tenant", 1), ("email", 1)], "members_email_unique", unique=True),
    IndexSpec(MEMBERS, [("tenant", 1), ("_id", 1)], "members_by_tenant"),
    IndexSpec(MEMBERS, [("tenant", 1), ("last_name_key", 1), ("first_name_key", 1)], "members_by_name"),
    IndexSpec(MEMBERS, [("tenant", 1), ("cohort.program", 1), ("cohort.graduation_year", 1)], "members_by_cohort"),
]


def to_document(member: Member) -> Document:
    return {
        "_id": member.id, "tenant": member.tenant, "version": member.version,
        "first_name": member.first_name, "last_name": member.last_name,
        "first_name_key": search_key(member.first_name), "last_name_key": search_key(member.last_name),
        "email": member.email, "locale": member.locale,
        "cohort": {"program": member.cohort.program, "graduation_year": member.cohort.graduation_year},
        "registered_at": member.registered_at,
    }


def from_document(doc: Document) -> Member:
    return Member(
        id=doc["_id"], tenant=doc["tenant"], version=doc["version"], first_name=doc["first_name"],
        last_name=doc["last_name"], email=doc["email"], locale=doc["locale"],
        cohort=Cohort(doc["cohort"]["program"], doc["cohort"]["graduation_year"]),
        registered_at=doc["registered_at"],
    )


class MongoMemberRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None, track: Any) -> None:
        self._col = db[MEMBERS]
        self._session = session
        self._track = track

    async def add(self, member: Member) -> None:
        try:
            await self._col.insert_one(to_document(member), session=self._session)
        except DuplicateKeyError:
            # Two concurrent registrations of one email: the index decides, the loser learns who won.
            existing = await self._col.find_one({"tenant": member.tenant, "email": member.email})
            raise EmailAlreadyRegistered(member.email, existing["_id"] if existing else "?") from None
        self._track(member)

    async def save(self, member: Member) -> None:
        """Optimistic locking: the update applies only to the version that was read."""
        result = await self._col.replace_one(
            {"_id": member.id, "tenant": member.tenant, "version": member.persisted_version},
            to_document(member), session=self._session)
        if result.matched_count == 0:
            raise ConcurrencyConflict(f"member {member.id} changed since version {member.persisted_version}")
        self._track(member)

    async def get(self, tenant: str, member_id: str) -> Member | None:
        doc = await self._col.find_one({"tenant": tenant, "_id": member_id}, session=self._session)
        if doc is None:
            return None
        member = from_document(doc)
        self._track(member)
        return member

    async def by_email(self, tenant: str, email: str) -> Member | None:
        doc = await self._col.find_one({"tenant": tenant, "email": email}, session=self._session)
        return from_document(doc) if doc else None

    async def page(self, tenant: str, limit: int, after: str | None) -> list[Member]:
        query: Document = {"tenant": tenant}
        if after:
            query["_id"] = {"$gt": after}
        cursor = self._col.find(query, session=self._session).sort([("tenant", 1), ("_id", 1)]).limit(limit)
        return [from_document(d) async for d in cursor]
