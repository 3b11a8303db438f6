"""Groups (`groups`) and explicit memberships (`group_memberships`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from members_service.domain.groups import (
    Group,
    GroupKind,
    GroupRole,
    JoinPolicy,
    Membership,
    MembershipStatus,
    cohort_group_id,
)
from members_service.domain.profile import Cohort
from servicekit.domain import AggregateRoot, ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec

GROUPS = "groups"
MEMBERSHIPS = "group_memberships"
INDEXES = [
    IndexSpec(GROUPS, [("tenant", 1), ("kind", 1), ("name", 1)], "groups_by_kind"),
    # Reads and writes by (tenant, id); the version of conditional writes in the index too (the
    # stand-in scans the collection when a filter names a field outside the chosen index).
    IndexSpec(GROUPS, [("tenant", 1), ("_id", 1)], "groups_by_tenant_id"),
    IndexSpec(MEMBERSHIPS, [("tenant", 1), ("group_id", 1), ("status", 1)], "memberships_by_group"),
    IndexSpec(MEMBERSHIPS, [("tenant", 1), ("member_id", 1)], "memberships_by_member"),
    IndexSpec(MEMBERSHIPS, [("tenant", 1), ("_id", 1), ("version", 1)], "memberships_versioned"),
]


def _group(d: Document) -> Group:
    cohort = Cohort(**d["cohort"]) if d.get("cohort") else None
    return Group(id=d["_id"], tenant=d["tenant"], version=d["version"], kind=GroupKind(d["kind"]), name=d["name"],
                 description=d.get("description", ""), policy=JoinPolicy(d["policy"]), cohort=cohort,
                 created_at=d["created_at"])


def _membership(d: Document) -> Membership:
    return Membership(id=d["_id"], tenant=d["tenant"], version=d["version"], group_id=d["group_id"],
                      member_id=d["member_id"], status=MembershipStatus(d["status"]), role=GroupRole(d["role"]),
                      since=d.get("since"))


class MongoGroupRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[GROUPS]
        self._session = session
        self._track = track

    async def add(self, group: Group) -> None:
        await self._col.insert_one({
            "_id": group.id, "tenant": group.tenant, "version": group.version, "kind": group.kind.value,
            "name": group.name, "description": group.description, "policy": group.policy.value,
            "cohort": {"program": group.cohort.program, "graduation_year": group.cohort.graduation_year}
            if group.cohort else None, "created_at": group.created_at}, session=self._session)
        self._track(group)

    async def ensure_cohort_groups(self, tenant: str, cohorts: set[Cohort], now: datetime) -> None:
        """Create the cohort groups not created yet. One read finds those that exist (an import
        window touches many cohorts); the others are upserted, not inserted: two first
        registrations of a cohort at once conflict (and are retried) rather than fail."""
        wanted = {cohort_group_id(tenant, c): c for c in cohorts}
        existing = {d["_id"] async for d in self._col.find({"tenant": tenant, "_id": {"$in": list(wanted)}},
                                                            {"_id": 1}, session=self._session)}
        for group_id, cohort in wanted.items():
            if group_id in existing:
                continue
            group = Group.for_cohort(tenant, cohort, now)
            # The tenant comes from the filter (an upsert inserts the filter's equalities).
            result = await self._col.update_one({"_id": group.id, "tenant": tenant}, {"$setOnInsert": {
                "version": group.version, "kind": group.kind.value, "name": group.name,
                "description": "", "policy": group.policy.value,
                "cohort": {"program": cohort.program, "graduation_year": cohort.graduation_year},
                "created_at": now}}, upsert=True, session=self._session)
            if result.upserted_id is not None:
                self._track(group)  # publishes group_created once

    async def get(self, tenant: str, group_id: str) -> Group | None:
        d = await self._col.find_one({"_id": group_id, "tenant": tenant}, session=self._session)
        return _group(d) if d else None

    async def cohort_group(self, tenant: str, cohort: Cohort) -> Group | None:
        return await self.get(tenant, cohort_group_id(tenant, cohort))

    async def list(self, tenant: str, kind: GroupKind | None) -> list[Group]:
        query: Document = {"tenant": tenant}
        if kind is not None:
            query["kind"] = kind.value
        cursor = self._col.find(query, session=self._session).sort([("tenant", 1), ("kind", 1), ("name", 1)])
        return [_group(d) async for d in cursor]


class MongoMembershipRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[MEMBERSHIPS]
        self._session = session
        self._track = track

    async def get(self, tenant: str, group_id: str, member_id: str) -> Membership | None:
        d = await self._col.find_one({"_id": f"{group_id}:{member_id}", "tenant": tenant}, session=self._session)
        if d is None:
            return None
        membership = _membership(d)
        self._track(membership)
        return membership

    async def save(self, m: Membership) -> None:
        if m.version == m.persisted_version:
            return
        doc = {"tenant": m.tenant, "version": m.version, "group_id": m.group_id, "member_id": m.member_id,
               "status": m.status.value, "role": m.role.value, "since": m.since}
        if m.persisted_version == 0:
            await self._col.insert_one({"_id": m.id, **doc}, session=self._session)
        else:
            result = await self._col.update_one({"tenant": m.tenant, "_id": m.id, "version": m.persisted_version},
                                                {"$set": doc}, session=self._session)
            if result.matched_count == 0:
                raise ConcurrencyConflict(f"membership {m.id} changed meanwhile")
        self._track(m)

    async def of_group(self, tenant: str, group_id: str) -> list[Membership]:
        cursor = self._col.find({"tenant": tenant, "group_id": group_id}, session=self._session)
        return [_membership(d) async for d in cursor]

    async def erase_member(self, tenant: str, member_id: str) -> None:
        """Erasure: the member's memberships."""
        await self._col.delete_many({"tenant": tenant, "member_id": member_id}, session=self._session)

    async def of_member(self, tenant: str, member_id: str) -> list[Membership]:
        cursor = self._col.find({"tenant": tenant, "member_id": member_id}, session=self._session)
        return [_membership(d) async for d in cursor]
