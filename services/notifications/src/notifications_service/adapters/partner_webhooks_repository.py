"""MongoDB storage of partner webhook subscriptions and of their delivery log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from notifications_service.adapters.mongo_repository import NOTIFICATIONS
from notifications_service.adapters.mongo_repository import to_document as notification_document
from notifications_service.adapters.secret_box import SecretBox
from notifications_service.domain.model import Notification
from notifications_service.domain.partner_webhooks import Mode, PartnerWebhook, Replay, Secret, Status
from notifications_service.service_layer.staff_alerts import StaffAlert
from servicekit.domain import AggregateRoot, ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec
from servicekit.outbox import OutboxWakeup
from servicekit.uow import ContractMapper, MongoUnitOfWork

WEBHOOKS = "partner_webhooks"
STAFF_ALERTS = "staff_alerts"
DELIVERIES = "partner_webhook_deliveries"
CONTACTS = "contacts"
DELIVERY_LOG_DAYS = 30
STAFF_ALERT_DAYS = 90

INDEXES = [
    IndexSpec(WEBHOOKS, [("tenant", 1), ("created_at", -1)], "partner_webhooks_by_tenant"),
    IndexSpec(WEBHOOKS, [("status", 1)], "partner_webhooks_by_status"),
    IndexSpec(DELIVERIES, [("tenant", 1), ("webhook_id", 1), ("_id", -1)], "partner_deliveries_by_webhook"),
    IndexSpec(STAFF_ALERTS, [("tenant", 1), ("created_at", -1), ("_id", -1)], "staff_alerts_by_tenant"),
    IndexSpec(STAFF_ALERTS, [("created_at", 1)], "staff_alerts_ttl",
              options={"expireAfterSeconds": STAFF_ALERT_DAYS * 86400}),
    IndexSpec(DELIVERIES, [("at", 1)], "partner_deliveries_ttl",
              options={"expireAfterSeconds": DELIVERY_LOG_DAYS * 86400}),
]


def _aware(at: datetime | None) -> datetime | None:
    return None if at is None else at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def default_box() -> SecretBox:
    """The development key (tests and benches that build a repository by hand)."""
    return SecretBox.from_config("", None)


def secret_context(tenant: str, webhook_id: str, secret_id: str) -> str:
    """The associated data of a sealed secret: its ciphertext only opens on its own row."""
    return f"partner-webhook-secret/{tenant}/{webhook_id}/{secret_id}"


def to_document(w: PartnerWebhook, box: SecretBox) -> Document:
    """The stored form: each signing secret sealed (never in clear)."""
    return {"_id": w.id, "tenant": w.tenant, "version": w.version, "url": w.url, "event_types": w.event_types,
            "mode": w.mode.value, "description": w.description, "owner": w.owner, "created_at": w.created_at,
            "status": w.status.value, "disabled_reason": w.disabled_reason,
            "secrets": [{"id": s.id, "sealed": box.seal(s.value, secret_context(w.tenant, w.id, s.id)),
                         "created_at": s.created_at, "expires_at": s.expires_at} for s in w.secrets],
            "replays": [{"service": r.service, "durable": r.durable, "until_sequence": r.until_sequence,
                         "from_sequence": r.from_sequence, "from_time": r.from_time} for r in w.replays]}


def _secret_value(d: Document, s: Document, box: SecretBox) -> str:
    if "sealed" in s:
        return box.open(s["sealed"], secret_context(d["tenant"], d["_id"], s["id"]))
    return str(s["value"])  # stored in clear before encryption at rest: sealed on the next write


def from_document(d: Document, box: SecretBox) -> PartnerWebhook:
    created = _aware(d["created_at"])
    assert created is not None
    return PartnerWebhook(
        id=d["_id"], tenant=d["tenant"], version=d["version"], url=d["url"], event_types=list(d["event_types"]),
        mode=Mode(d["mode"]), description=d.get("description", ""), owner=d["owner"], created_at=created,
        status=Status(d["status"]), disabled_reason=d.get("disabled_reason"),
        secrets=[Secret(s["id"], _secret_value(d, s, box), _aware(s["created_at"]) or created, _aware(s.get("expires_at")))
                 for s in d.get("secrets", [])],
        replays=[Replay(r["service"], r["durable"], r["until_sequence"], r.get("from_sequence"),
                        _aware(r.get("from_time"))) for r in d.get("replays", [])])


class ConcurrentChange(ConcurrencyConflict):
    """The subscription changed since it was read: the caller retries."""


class MongoPartnerWebhooks:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None,
                 track: Callable[[AggregateRoot], None] | None = None, box: SecretBox | None = None) -> None:
        self._col = db[WEBHOOKS]
        self._session = session
        self._track = track
        self._box = box or default_box()

    async def get(self, tenant: str, webhook_id: str) -> PartnerWebhook | None:
        doc = await self._col.find_one({"_id": webhook_id, "tenant": tenant}, session=self._session)
        return None if doc is None else from_document(doc, self._box)

    async def list(self, tenant: str) -> list[PartnerWebhook]:
        cursor = self._col.find({"tenant": tenant}, session=self._session).sort("created_at", -1).limit(500)
        return [from_document(d, self._box) async for d in cursor]

    async def save(self, w: PartnerWebhook) -> None:
        if w.persisted_version == 0:
            await self._col.insert_one(to_document(w, self._box), session=self._session)
        else:
            result = await self._col.replace_one({"_id": w.id, "tenant": w.tenant, "version": w.persisted_version},
                                                 to_document(w, self._box), session=self._session)
            if result.matched_count != 1:
                raise ConcurrentChange(w.id)
        if self._track is not None:
            self._track(w)

    async def delete(self, tenant: str, webhook_id: str) -> bool:
        result = await self._col.delete_one({"_id": webhook_id, "tenant": tenant}, session=self._session)
        return result.deleted_count == 1


class MongoStaffAlerts:
    """The managers' emails (into the mailer's queue) and the staff's in-app alerts."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None) -> None:
        self._notifications, self._col, self._session = db[NOTIFICATIONS], db[STAFF_ALERTS], session

    async def add_email(self, notification: Notification) -> bool:
        if await self._notifications.find_one({"tenant": notification.tenant, "_id": notification.id}, {"_id": 1},
                                              session=self._session):
            return False
        await self._notifications.insert_one(notification_document(notification), session=self._session)
        return True

    async def add_alert(self, alert: StaffAlert) -> bool:
        if await self._col.find_one({"tenant": alert.tenant, "_id": alert.id}, {"_id": 1}, session=self._session):
            return False
        await self._col.insert_one({"_id": alert.id, "tenant": alert.tenant, "kind": alert.kind, "about": alert.about,
                                    "created_at": alert.created_at, "title": alert.title, "body": alert.body,
                                    "read_by": list(alert.read_by)}, session=self._session)
        return True

    async def page(self, tenant: str, limit: int) -> list[StaffAlert]:
        cursor = self._col.find({"tenant": tenant}, session=self._session).sort(
            [("created_at", -1), ("_id", -1)]).limit(limit)
        return [StaffAlert(id=d["_id"], tenant=d["tenant"], kind=d["kind"], about=d.get("about", ""),
                           created_at=_aware(d["created_at"]) or datetime.now(UTC), title=dict(d["title"]),
                           body=dict(d["body"]), read_by=list(d.get("read_by", []))) async for d in cursor]

    async def mark_read(self, tenant: str, subject: str, ids: list[str] | None) -> int:
        query: dict[str, Any] = {"tenant": tenant, "read_by": {"$ne": subject}}
        if ids is not None:
            query["_id"] = {"$in": ids}
        result = await self._col.update_many(query, {"$addToSet": {"read_by": subject}}, session=self._session)
        return result.modified_count


class MongoPartnerWebhooksUnitOfWork(MongoUnitOfWork):
    webhooks: MongoPartnerWebhooks
    alerts: MongoStaffAlerts

    def __init__(self, client: AsyncMongoClient[Document], db_name: str, to_contract: ContractMapper,
                 wakeup: OutboxWakeup | None, box: SecretBox | None = None) -> None:
        super().__init__(client, db_name, to_contract, wakeup)
        self._box = box

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.webhooks = MongoPartnerWebhooks(db, session, self.track, self._box)
        self.alerts = MongoStaffAlerts(db, session)


class MongoDeliveryLog:
    """One document per attempt (and per withheld event); kept `DELIVERY_LOG_DAYS` days. It
    names events by id, type and stream sequence only, never a member."""

    def __init__(self, db: AsyncDatabase[Document], box: SecretBox | None = None) -> None:
        self._box = box or default_box()
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
        return [from_document(d, self._box) async for d in self._webhooks.find({"status": Status.ACTIVE.value})]

    async def replay_done(self, tenant: str, webhook_id: str, durable: str) -> None:
        await self._webhooks.update_one({"_id": webhook_id, "tenant": tenant},
                                        {"$pull": {"replays": {"durable": durable}}, "$inc": {"version": 1}})


async def reseal_all(db: AsyncDatabase[Document], box: SecretBox) -> int:
    """Re-encrypt every subscription whose secrets are in clear or under an older key (the
    re-key command; a subscription's next write does the same). Conditional on the version: a
    subscription changed meanwhile is left to its own write. Returns how many were rewritten."""
    count = 0
    async for doc in db[WEBHOOKS].find({}):
        if not any("sealed" not in s or box.needs_rewrap(s["sealed"]) for s in doc.get("secrets", [])):
            continue
        webhook = from_document(doc, box)
        fresh = to_document(webhook, box)
        result = await db[WEBHOOKS].update_one({"_id": doc["_id"], "tenant": doc["tenant"], "version": doc["version"]},
                                               {"$set": {"secrets": fresh["secrets"]}})
        count += result.modified_count
    return count
