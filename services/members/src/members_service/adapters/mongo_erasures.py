"""MongoDB persistence of the erasure slice: erasure requests (`erasures`) and their deadlines.
The erasure use case asks each slice's repository to erase its own records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from members_service.domain.erasure import Erasure
from servicekit.domain import AggregateRoot, ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec

ERASURES = "erasures"
INDEXES = [
    IndexSpec(ERASURES, [("state", 1), ("deadline", 1)], "erasures_by_deadline"),  # the cross-tenant watch
    IndexSpec(ERASURES, [("tenant", 1), ("_id", 1), ("version", 1)], "erasures_versioned"),
]


class MongoErasureRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[ERASURES]
        self._session = session
        self._track = track

    @staticmethod
    def _doc(e: Erasure) -> Document:
        return {"_id": e.id, "tenant": e.tenant, "version": e.version, "member_id": e.member_id,
                "member_ref": e.member_ref, "requested_at": e.requested_at, "deadline": e.deadline,
                "requested_by_role": e.requested_by_role, "confirmations": e.confirmations,
                "completed_at": e.completed_at, "state": e.state.value}

    async def add(self, erasure: Erasure) -> None:
        await self._col.insert_one(self._doc(erasure), session=self._session)
        self._track(erasure)

    async def save(self, erasure: Erasure) -> None:
        result = await self._col.replace_one(
            {"_id": erasure.id, "tenant": erasure.tenant, "version": erasure.persisted_version},
            self._doc(erasure), session=self._session)
        if result.matched_count == 0:
            raise ConcurrencyConflict(f"erasure {erasure.id} changed since version {erasure.persisted_version}")
        self._track(erasure)

    async def get(self, tenant: str, erasure_id: str) -> Erasure | None:
        doc = await self._col.find_one({"_id": erasure_id, "tenant": tenant}, session=self._session)
        if doc is None:
            return None
        erasure = Erasure(id=doc["_id"], tenant=doc["tenant"], version=doc["version"], member_id=doc["member_id"],
                          member_ref=doc["member_ref"], requested_at=doc["requested_at"], deadline=doc["deadline"],
                          requested_by_role=doc["requested_by_role"], confirmations=doc["confirmations"],
                          completed_at=doc["completed_at"])
        self._track(erasure)
        return erasure

    async def overdue(self, now: datetime) -> list[tuple[str, str]]:
        cursor = self._col.find({"state": "in-progress", "deadline": {"$lt": now}}, {"tenant": 1},
                                session=self._session)
        return [(d["tenant"], d["_id"]) async for d in cursor]
