"""MongoDB reads of the showcase slice: the published entries and the ones due to expire. The
showcase is part of the member aggregate (written by `MongoMemberRepository`); these read the
derived fields of the member documents."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from members_service.adapters.mongo_member_documents import public_from_document
from members_service.domain.showcase import PublicShowcase
from servicekit.mongo import Document, IndexSpec

MEMBERS = "members"
INDEXES = [
    IndexSpec(MEMBERS, [("tenant", 1), ("showcase_live", 1)], "showcase_published"),
    IndexSpec(MEMBERS, [("showcase_expires_at", 1)], "showcase_expiry"),
]


class MongoShowcaseRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._col = db[MEMBERS]
        self._session = session

    async def published(self, tenant: str) -> list[PublicShowcase]:
        cursor = self._col.find({"tenant": tenant, "showcase_live": True}, {"showcase_public": 1},
                                session=self._session)
        entries = [public_from_document(d["showcase_public"]) async for d in cursor]
        return sorted(entries, key=lambda e: e.entry_id)

    async def expiring(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        cursor = self._col.find({"showcase_expires_at": {"$lte": now}}, {"tenant": 1}, session=self._session)
        return [(d["tenant"], d["_id"]) async for d in cursor.limit(limit)]
