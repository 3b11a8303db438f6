"""Notifications are stored as a leased delivery queue (collection `notifications`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from notifications_service.domain.model import Notification, OutgoingEmail, Status
from notifications_service.domain.reminders import ACTIVE, IN_GRACE, MembershipView, Stage
from servicekit.domain import AggregateRoot
from servicekit.leases import DONE, PENDING, LeasedQueue, queue_fields, queue_indexes
from servicekit.mongo import Document, IndexSpec
from servicekit.personal_data import is_erased
from servicekit.projections import apply_versioned

NOTIFICATIONS = "notifications"
CONTACTS = "contacts"
DUES_MEMBERSHIPS = "dues_memberships"

INDEXES = [
    *queue_indexes(NOTIFICATIONS),
    IndexSpec(NOTIFICATIONS, [("tenant", 1), ("member_id", 1)], "notifications_by_member"),
    IndexSpec(NOTIFICATIONS, [("tenant", 1), ("_id", 1)], "notifications_by_tenant_id"),
    IndexSpec(NOTIFICATIONS, [("tenant", 1), ("about", 1)], "notifications_by_about"),
    # Point reads by (tenant, id): the stand-in scans the collection when a filter names a field
    # outside the `_id` index (measured: ~0.3 s per reminder at 2,000 memberships without these).
    IndexSpec(DUES_MEMBERSHIPS, [("tenant", 1), ("_id", 1)], "dues_memberships_by_tenant_id"),
    IndexSpec(CONTACTS, [("tenant", 1), ("_id", 1)], "contacts_by_tenant_id"),
    IndexSpec(DUES_MEMBERSHIPS, [("tenant", 1), ("member_id", 1)], "dues_memberships_by_member"),
    # The reminder sweep (cross-tenant): active memberships near their end, those in grace.
    IndexSpec(DUES_MEMBERSHIPS, [("status", 1), ("paid_until", 1)], "dues_reminders_active"),
    IndexSpec(DUES_MEMBERSHIPS, [("status", 1), ("grace_until", 1)], "dues_reminders_grace"),
]


def to_document(n: Notification) -> Document:
    assert n.email is not None
    return {
        "_id": n.id, "tenant": n.tenant, "version": n.version, "member_id": n.member_id, "template": n.template,
        "email": {"to": n.email.to, "subject": n.email.subject, "body_text": n.email.body_text,
                  "locale": n.email.locale, "message_id": n.email.message_id},
        "notification_status": n.status.value, "sent_at": n.sent_at, "failure": n.failure,
        "cause_event_id": n.cause_event_id, "correlation_id": n.correlation_id, "about": n.about,
        **queue_fields(datetime.now(UTC)),
    }


def from_document(doc: Document) -> Notification:
    return Notification(
        id=doc["_id"], tenant=doc["tenant"], version=doc["version"], member_id=doc["member_id"],
        template=doc["template"], email=OutgoingEmail(**doc["email"]),
        status=Status(doc["notification_status"]), sent_at=doc.get("sent_at"), failure=doc.get("failure"),
        attempts=doc.get("attempts", 0), cause_event_id=doc.get("cause_event_id"),
        correlation_id=doc.get("correlation_id"), about=doc.get("about"))


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

    async def pending_about(self, tenant: str, about: str) -> list[Notification]:
        """Notifications about `about` still waiting to be sent and not claimed by a mailer."""
        now = datetime.now(UTC)
        return [from_document(d) async for d in self._col.find(
            {"tenant": tenant, "about": about, "status": PENDING, "lease_until": {"$lt": now}}, session=self._session)]

    async def withdraw(self, tenant: str, notification_ids: list[str]) -> int:
        """Never send these (only if no mailer claimed them meanwhile: a claimed one is on its way)."""
        if not notification_ids:
            return 0
        result = await self._col.update_many(
            {"tenant": tenant, "_id": {"$in": notification_ids}, "status": PENDING,
             "lease_until": {"$lt": datetime.now(UTC)}},
            {"$set": {"status": DONE, "notification_status": Status.WITHDRAWN.value}}, session=self._session)
        return result.modified_count

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


def view_to_document(v: MembershipView) -> Document:
    return {"_id": v.membership_id, "tenant": v.tenant, "member_id": v.member_id, "plan_kind": v.plan_kind,
            "status": v.status, "paid_until": v.paid_until, "grace_until": v.grace_until,
            "missed_instalment": v.missed_instalment, "instalments_paid": v.instalments_paid,
            "plan_name": v.plan_name, "amount_due_minor": v.amount_due_minor, "currency": v.currency,
            "version": v.version, "last_event_id": v.last_event_id, "reminded": v.reminded}


def _aware(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def view_from_document(d: Document) -> MembershipView:
    return MembershipView(
        tenant=d["tenant"], membership_id=d["_id"], member_id=d["member_id"], plan_kind=d["plan_kind"],
        status=d["status"], paid_until=_aware(d.get("paid_until")), grace_until=_aware(d.get("grace_until")),
        missed_instalment=d.get("missed_instalment"), instalments_paid=d.get("instalments_paid"),
        plan_name=d.get("plan_name"), amount_due_minor=d.get("amount_due_minor"), currency=d.get("currency"),
        version=d.get("version", 0), last_event_id=d.get("last_event_id", ""), reminded=dict(d.get("reminded") or {}))


class MongoDuesMemberships:
    """Projection of the members service's dues memberships (`dues_memberships`), one per membership."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[DUES_MEMBERSHIPS]
        self._session = session

    async def get(self, tenant: str, membership_id: str) -> MembershipView | None:
        doc = await self._col.find_one({"tenant": tenant, "_id": membership_id}, session=self._session)
        return view_from_document(doc) if doc else None

    async def save(self, view: MembershipView) -> None:
        await self._col.replace_one({"tenant": view.tenant, "_id": view.membership_id}, view_to_document(view),
                                    upsert=True, session=self._session)

    async def mark_reminded(self, tenant: str, membership_id: str, version: int, marks: dict[str, str]) -> bool:
        """Record stages as reminded for the period, unless an event changed the membership meanwhile."""
        # The version is checked on the document read in this transaction (a concurrent event's
        # write conflicts with this one); the filter stays on the (tenant, _id) index.
        current = await self._col.find_one({"tenant": tenant, "_id": membership_id}, {"version": 1},
                                           session=self._session)
        if current is None or current.get("version") != version:
            return False
        await self._col.update_one({"tenant": tenant, "_id": membership_id},
                                   {"$set": {f"reminded.{stage}": value for stage, value in marks.items()}},
                                   session=self._session)
        return True

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_many({"tenant": tenant, "member_id": member_id}, session=self._session)
        return result.deleted_count


async def reminder_candidates(db: AsyncDatabase[Document], now: datetime, notice_days: int) -> list[MembershipView]:
    """Every tenant's memberships that may be due a reminder (the domain decides): active within
    the notice window and not yet noticed, in grace and not yet given the grace reminder. Stages
    already recorded for the current period are excluded by the filter itself."""
    col = db[DUES_MEMBERSHIPS]
    active = {"status": ACTIVE, "paid_until": {"$gt": now, "$lte": now + timedelta(days=notice_days)},
              f"reminded.{Stage.RENEWAL_NOTICE.value}": {"$exists": False}}
    grace = {"status": IN_GRACE, "grace_until": {"$gt": now}, f"reminded.{Stage.GRACE.value}": {"$exists": False}}
    found: list[MembershipView] = []
    for query in (active, grace):
        found.extend([view_from_document(d) async for d in col.find(query)])
    return found


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
