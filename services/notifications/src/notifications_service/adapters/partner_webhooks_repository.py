"""MongoDB storage of partner webhook subscriptions and of their delivery log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from notifications_service.domain.partner_webhooks import Mode, PartnerWebhook, Replay, Secret, Status
from servicekit.domain import AggregateRoot, ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec
from servicekit.outbox import OutboxWakeup
from servicekit.uow import ContractMapper, MongoUnitOfWork

WEBHOOKS = "partner_webhooks"
DELIVERIES = "partner_webhook_deliveries"
CONTACTS = "contacts"
DELIVERY_LOG_DAYS = 30

INDEXES = [
    IndexSpec(WEBHOOKS, [("tenant", 1), ("created_at", -1)], "partner_webhooks_by_tenant"),
    IndexSpec(WEBHOOKS, [("status", 1)], "partner_webhooks_by_status"),
    IndexSpec(DELIVERIES, [("tenant", 1), ("webhook_id", 1), ("_id", -1)], "partner_deliveries_by_webhook"),
    IndexSpec(DELIVERIES, [("at", 1)], "partner_deliveries_ttl",
              options={"expireAfterSeconds": DELIVERY_LOG_DAYS * 86400}),
]


def _aware(at: datetime | None) -> datetime | None:
    return None if at is None else at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def to_document(w: PartnerWebhook) -> Document:
    return {"_id": w.id, "tenant": w.tenant, "version": w.version, "url": w.url, "event_types": w.event_types,
            "mode": w.mode.value, "description": w.description, "owner": w.owner, "created_at": w.created_at,
            "status": w.status.value, "disabled_reason": w.disabled_reason,
            "secrets": [{"id": s.id, "value": s.value, "created_at": s.created_at, "expires_at": s.expires_at}
                        for s in w.secrets],
            "replays": [{"service": r.service, "durable": r.durable, "until_sequence": r.until_sequence,
                         "from_sequence": r.from_sequence, "from_time": r.from_time} for r in w.replays]}


def from_document(d: Document) -> PartnerWebhook:
    created = _aware(d["created_at"])
    assert created is not None
    return PartnerWebhook(
        id=d["_id"], tenant=d["tenant"], version=d["version"], url=d["url"], event_types=list(d["event_types"]),
        mode=Mode(d["mode"]), description=d.get("description", ""), owner=d["owner"], created_at=created,
        status=Status(d["status"]), disabled_reason=d.get("disabled_reason"),
        secrets=[Secret(s["id"], s["value"], _aware(s["created_at"]) or created, _aware(s.get("expires_at")))
                 for s in d.get("secrets", [])],
        replays=[Replay(r["service"], r["durable"], r["until_sequence"], r.get("from_sequence"),
                        _aware(r.get("from_time"))) for r in d.get("replays", [])])


class ConcurrentChange(ConcurrencyConflict):
    """The subscription changed since it was read: the caller retries."""


class MongoPartnerWebhooks:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None,
                 track: Callable[[AggregateRoot], None] | None = None) -> None:
        self._col = db[WEBHOOKS]
        self._session = session
        self._track = track

    async def get(self, tenant: str, webhook_id: str) -> PartnerWebhook | None:
        doc = await self._col.find_one({"_id": webhook_id, "tenant": tenant}, session=self._session)
        return None if doc is None else from_document(doc)

    async def list(self, tenant: str) -> list[PartnerWebhook]:
        cursor = self._col.find({"tenant": tenant}, session=self._session).sort("created_at", -1).limit(500)
        return [from_document(d) async for d in cursor]

    async def save(self, w: PartnerWebhook) -> None:
        if w.persisted_version == 0:
            await self._col.insert_one(to_document(w), session=self._session)
        else:
            result = await self._col.replace_one({"_id": w.id, "tenant": w.tenant, "version": w.persisted_version},
                                                 to_document(w), session=self._session)
            if result.matched_count != 1:
                raise ConcurrentChange(w.id)
        if self._track is not None:
            self._track(w)

    async def delete(self, tenant: str, webhook_id: str) -> bool:
        result = await self._col.delete_one({"_id": webhook_id, "tenant": tenant}, session=self._session)
        return result.deleted_count == 1


class MongoPartnerWebhooksUnitOfWork(MongoUnitOfWork):
    webhooks: MongoPartnerWebhooks

    def __init__(self, client: AsyncMongoClient[Document], db_name: str, to_contract: ContractMapper,
                 wakeup: OutboxWakeup | None) -> None:
        super().__init__(client, db_name, to_contract, wakeup)

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.webhooks = MongoPartnerWebhooks(db, session, self.track)


class MongoDeliveryLog:
    """One document per attempt (and per withheld event); kept `DELIVERY_LOG_DAYS` days. It
    names events by id, type and stream sequence only, never a member."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._col = db[DELIVERIES]
        self._contacts = db[CONTACTS]
        self._webhooks = db[WEBHOOKS]

    async def record(self, entry: Document) -> None:
        await self._col.insert_one(entry)

    async def page(self, tenant: str, webhook_id: str, limit: int, before: str | None) -> list[Document]:
        query: dict[str, Any] = {"tenant": tenant, "webhook_id": webhook_id}
        if before:
            query["_id"] = {"$lt": before}
        cursor = self._col.find(query).sort("_id", -1).limit(limit)
        return [d async for d in cursor]

    async def erase_webhook(self, tenant: str, webhook_id: str) -> int:
        result = await self._col.delete_many({"tenant": tenant, "webhook_id": webhook_id})
        return result.deleted_count

    async def consents(self, tenant: str, member_id: str) -> dict[str, Any] | None:
        doc = await self._contacts.find_one({"_id": member_id, "tenant": tenant}, {"consents": 1})
        return None if doc is None else dict(doc.get("consents") or {})

    async def active(self) -> list[PartnerWebhook]:
        """Every tenant's active subscriptions (the dispatcher runs one consumer per each)."""
        return [from_document(d) async for d in self._webhooks.find({"status": Status.ACTIVE.value})]

    async def replay_done(self, tenant: str, webhook_id: str, durable: str) -> None:
        await self._webhooks.update_one({"_id": webhook_id, "tenant": tenant},
                                        {"$pull": {"replays": {"durable": durable}}, "$inc": {"version": 1}})
