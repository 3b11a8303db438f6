"""MongoDB side of newsletters: the `newsletters` collection (optimistic locking on `version`),
the audience projection read through the segment filter, the per-newsletter figures, and the
unit of work that adds both to the service's own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from alumni_contracts.segments import Segment
from notifications_service.adapters.mongo_repository import CONTACTS, NEWSLETTER_FIGURES
from notifications_service.adapters.unit_of_work import MongoNotificationsUnitOfWork
from notifications_service.domain.newsletters import Content, Newsletter, NewsletterStatus
from notifications_service.service_layer.newsletters import Figures, FiguresReader
from servicekit.domain import AggregateRoot, ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec
from servicekit.outbox import OutboxWakeup
from servicekit.segments import AUDIENCE, AudienceMember, segment_filter
from servicekit.uow import ContractMapper

NEWSLETTERS = "newsletters"
NEWSLETTER_INDEXES = [
    IndexSpec(NEWSLETTERS, [("tenant", 1), ("created_at", -1)], "newsletters_by_tenant_created"),
    IndexSpec(NEWSLETTERS, [("status", 1), ("send_at", 1)], "newsletters_due"),
    IndexSpec(AUDIENCE, [("tenant", 1), ("contactable", 1), ("_id", 1)], "audience_contactable"),
]


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def to_document(n: Newsletter) -> Document:
    return {"_id": n.id, "tenant": n.tenant, "version": n.version, "status": n.status.value,
            "subject": n.content.subject, "body": n.content.body, "segment": n.segment, "created_by": n.created_by,
            "created_at": n.created_at, "send_at": n.send_at, "cursor": n.cursor, "queued": n.queued,
            "completed_at": n.completed_at}


def from_document(d: Document) -> Newsletter:
    return Newsletter(id=d["_id"], tenant=d["tenant"], version=d["version"],
                      content=Content(dict(d["subject"]), dict(d["body"])), segment=dict(d["segment"]),
                      status=NewsletterStatus(d["status"]), created_by=d.get("created_by", ""),
                      created_at=_aware(d.get("created_at")), send_at=_aware(d.get("send_at")),
                      cursor=d.get("cursor"), queued=int(d.get("queued", 0)),
                      completed_at=_aware(d.get("completed_at")))


class MongoNewsletterRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[NEWSLETTERS]
        self._session = session
        self._track = track

    async def add(self, newsletter: Newsletter) -> None:
        await self._col.insert_one(to_document(newsletter), session=self._session)
        self._track(newsletter)

    async def get(self, tenant: str, newsletter_id: str) -> Newsletter | None:
        doc = await self._col.find_one({"tenant": tenant, "_id": newsletter_id}, session=self._session)
        return from_document(doc) if doc else None

    async def save(self, newsletter: Newsletter) -> None:
        result = await self._col.replace_one(
            {"tenant": newsletter.tenant, "_id": newsletter.id, "version": newsletter.persisted_version},
            to_document(newsletter), session=self._session)
        if result.matched_count != 1:
            raise ConcurrencyConflict(f"newsletter {newsletter.id} changed meanwhile")
        self._track(newsletter)

    async def list(self, tenant: str, limit: int) -> list[Newsletter]:
        cursor = self._col.find({"tenant": tenant}, session=self._session).sort("created_at", -1).limit(limit)
        return [from_document(d) async for d in cursor]


class MongoAudienceReader:
    """The segment's members in this service's audience projection (`servicekit.segments`)."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None) -> None:
        self._db = db
        self._col = db[AUDIENCE]
        self._session = session

    async def page(self, tenant: str, segment: Segment, after: str | None, limit: int) -> list[AudienceMember]:
        query = {**segment_filter(segment, tenant), "contactable": True}
        if after is not None:
            query["_id"] = {"$gt": after}
        cursor = self._col.find(query, session=self._session).sort("_id", 1).limit(limit)
        return [AudienceMember.of(d) async for d in cursor]

    async def contacts(self, tenant: str, member_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The contact projection's documents of a batch of members, in one read."""
        found: dict[str, dict[str, Any]] = {}
        async for d in self._db[CONTACTS].find({"tenant": tenant, "_id": {"$in": member_ids}}, session=self._session):
            found[d["_id"]] = d
        return found

    async def count(self, tenant: str, segment: Segment, contactable_only: bool) -> int:
        query = segment_filter(segment, tenant)
        if contactable_only:
            query["contactable"] = True
        return await self._col.count_documents(query, session=self._session)


class MongoNewslettersUnitOfWork(MongoNotificationsUnitOfWork):
    newsletters: MongoNewsletterRepository
    audience_reader: MongoAudienceReader

    def __init__(self, client: AsyncMongoClient[Document], db_name: str, to_contract: ContractMapper,
                 wakeup: OutboxWakeup | None, lease_seconds: float) -> None:
        super().__init__(client, db_name, to_contract, wakeup, lease_seconds)

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        super()._open(db, session)
        self.newsletters = MongoNewsletterRepository(db, session, self.track)
        self.audience_reader = MongoAudienceReader(db, session)


async def due_newsletters(db: AsyncDatabase[Document], now: datetime) -> list[tuple[str, str]]:
    """(tenant, id) of every newsletter to fan out now: scheduled and due, or interrupted."""
    cursor = db[NEWSLETTERS].find(
        {"status": {"$in": [NewsletterStatus.SCHEDULED.value, NewsletterStatus.SENDING.value]},
         "send_at": {"$lte": now}}, {"tenant": 1}).sort("send_at", 1)
    due: list[tuple[str, str]] = []
    async for d in cursor:
        due.append((d["tenant"], d["_id"]))
    return due


def figures_reader(db: AsyncDatabase[Document]) -> FiguresReader:
    """A newsletter's figures: `queued` is its own counter (the fan-out's batches add to it), the
    others the counters the mailer keeps in `newsletter_figures` as it settles (sent, bounced,
    withdrawn) and the consent withdrawals attributed to it (unsubscribed) — one point read."""
    async def figures(newsletter: Newsletter) -> Figures:
        doc = await db[NEWSLETTER_FIGURES].find_one({"tenant": newsletter.tenant, "_id": newsletter.id}) or {}
        sent, bounced, withdrawn = (int(doc.get(k, 0)) for k in ("sent", "bounced", "withdrawn"))
        return Figures(recipients=newsletter.queued, sent=sent, bounced=bounced,
                       pending=max(0, newsletter.queued - sent - bounced - withdrawn),
                       unsubscribed=int(doc.get("unsubscribed", 0)))

    return figures
