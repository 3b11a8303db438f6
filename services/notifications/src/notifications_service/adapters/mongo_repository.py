"""Notifications are stored as a leased delivery queue (collection `notifications`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from notifications_service.domain.model import Notification, OutgoingEmail, Status
from servicekit.domain import AggregateRoot
from servicekit.leases import LeasedQueue, queue_fields, queue_indexes
from servicekit.mongo import Document, IndexSpec
from servicekit.personal_data import is_erased
from servicekit.projections import apply_versioned

NOTIFICATIONS = "notifications"
CONTACTS = "contacts"

INDEXES = [
    *queue_indexes(NOTIFICATIONS),
    IndexSpec(NOTIFICATIONS, [("tenant", 1), ("member_id", 1)], "notifications_by_member"),
    IndexSpec(NOTIFICATIONS, [("tenant", 1), ("_id", 1)], "notifications_by_tenant_id"),
]


def to_document(n: Notification) -> Document:
    assert n.email is not None
    return {
        "_id": n.id, "tenant": n.tenant, "version": n.version, "member_id": n.member_id, "template": n.template,
        "email": {"to": n.email.to, "subject": n.email.subject, "body_text": n.email.body_text,
                  "locale": n.email.locale, "message_id": n.email.message_id},
        "notification_status": n.status.value, "sent_at": n.sent_at, "failure": n.failure,
        "cause_event_id": n.cause_event_id, "correlation_id": n.correlation_id,
        **queue_fields(datetime.now(UTC)),
    }


def from_document(doc: Document) -> Notification:
    return Notification(
        id=doc["_id"], tenant=doc["tenant"], version=doc["version"], member_id=doc["member_id"],
        template=doc["template"], email=OutgoingEmail(**doc["email"]),
        status=Status(doc["notification_status"]), sent_at=doc.get("sent_at"), failure=doc.get("failure"),
        attempts=doc.get("attempts", 0), cause_event_id=doc.get("cause_event_id"),
        correlation_id=doc.get("correlation_id"))


class MongoNotificationRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession, lease_seconds: float,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[NOTIFICATIONS]
        self._queue = LeasedQueue(self._col, lease_seconds)
        self._session = session
        self._track = track

    async def add_if_absent(self, notification: Notification) -> bool:
        if await self._col.find_one({"tenant": notification.tenant, "_id": notification.id}, {"_id": 1},
                                    session=self._session):
            return False
        await self._col.insert_one(to_document(notification), session=self._session)
        self._track(notification)
        return True

    async def erase_for(self, tenant: str, member_id: str) -> int:
        """Every message to the member, sent or not (a pending one is never sent then)."""
        result = await self._col.delete_many({"tenant": tenant, "member_id": member_id}, session=self._session)
        return result.deleted_count

    async def finish(self, notification: Notification, lease_token: str) -> None:
        """Settle a claimed notification, only if this worker still holds its lease."""
        done = await self._queue.complete([notification.id], lease_token, {
            "notification_status": notification.status.value, "sent_at": notification.sent_at,
            "failure": notification.failure, "version": notification.version}, session=self._session)
        if done:
            self._track(notification)


class MongoContactProjection:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[CONTACTS]
        self._session = session

    async def apply(self, tenant: str, member_id: str, version: int, fields: dict[str, Any],
                    version_field: str) -> bool:
        return await apply_versioned(self._col, tenant, member_id, version, fields, self._session, version_field)

    async def get(self, tenant: str, member_id: str) -> dict[str, Any] | None:
        return await self._col.find_one({"_id": member_id, "tenant": tenant}, session=self._session)

    async def erased(self, tenant: str, member_id: str) -> bool:
        return await is_erased(self._col.database, tenant, member_id, self._session)

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_one({"_id": member_id, "tenant": tenant}, session=self._session)
        return result.deleted_count


class MongoDeliveryQueue:
    def __init__(self, db: AsyncDatabase[Document], lease_seconds: float) -> None:
        self._queue = LeasedQueue(db[NOTIFICATIONS], lease_seconds)

    async def claim(self, limit: int) -> tuple[str, list[Notification]]:
        token, docs = await self._queue.claim(limit)
        return token, [from_document(d) for d in docs]

    async def release(self, notification_ids: list[str], token: str) -> None:
        await self._queue.release(notification_ids, token)

    async def retry_later(self, notification_id: str, token: str, attempts: int, delay: float, error: str) -> None:
        await self._queue.retry_later(notification_id, token, attempts, delay, error)
