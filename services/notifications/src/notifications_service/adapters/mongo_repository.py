"""Notifications are stored as a leased delivery queue (collection `notifications`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from notifications_service.domain.bounces import AddressHealth
from notifications_service.domain.feed import FeedItem
from notifications_service.domain.model import Attachment, Notification, OutgoingEmail, Status
from notifications_service.domain.newsletters import NEWSLETTER_KIND
from notifications_service.domain.preferences import MemberPreferences, Preferences
from notifications_service.domain.reminders import ACTIVE, IN_GRACE, MembershipView, Stage
from servicekit.domain import AggregateRoot
from servicekit.leases import DONE, PENDING, LeasedQueue, queue_fields, queue_indexes
from servicekit.mongo import Document, IndexSpec
from servicekit.personal_data import is_erased
from servicekit.projections import apply_versioned

NOTIFICATIONS = "notifications"
CONTACTS = "contacts"
DUES_MEMBERSHIPS = "dues_memberships"
FEED = "feed"
PREFERENCES = "preferences"
ADDRESSES = "address_health"
# Per-newsletter delivery counters (sent, bounced, withdrawn, unsubscribed), kept by the mailer
# in its settling transactions: a newsletter's figures are one point read, never a scan.
NEWSLETTER_FIGURES = "newsletter_figures"

INDEXES = [
    *queue_indexes(NOTIFICATIONS),
    IndexSpec(NOTIFICATIONS, [("tenant", 1), ("member_id", 1)], "notifications_by_member"),
    IndexSpec(NOTIFICATIONS, [("tenant", 1), ("_id", 1)], "notifications_by_tenant_id"),
    IndexSpec(NOTIFICATIONS, [("tenant", 1), ("about", 1)], "notifications_by_about"),
    # Point reads by (tenant, id): the stand-in scans the collection when a filter names a field
    # outside the `_id` index (measured: ~0.3 s per reminder at 2,000 memberships without these).
    IndexSpec(DUES_MEMBERSHIPS, [("tenant", 1), ("_id", 1)], "dues_memberships_by_tenant_id"),
    IndexSpec(CONTACTS, [("tenant", 1), ("_id", 1)], "contacts_by_tenant_id"),
    IndexSpec(NOTIFICATIONS, [("tenant", 1), ("email.message_id", 1)], "notifications_by_message_id"),
    # The feed, newest first per member; the unread count reads the same prefix.
    IndexSpec(FEED, [("tenant", 1), ("member_id", 1), ("created_at", -1), ("_id", -1)], "feed_by_member"),
    IndexSpec(FEED, [("tenant", 1), ("_id", 1)], "feed_by_tenant_id"),
    IndexSpec(NEWSLETTER_FIGURES, [("tenant", 1), ("_id", 1)], "newsletter_figures_by_tenant_id"),
    IndexSpec(PREFERENCES, [("tenant", 1), ("_id", 1)], "preferences_by_tenant_id"),
    IndexSpec(ADDRESSES, [("tenant", 1), ("_id", 1)], "address_health_by_tenant_id"),
    IndexSpec(ADDRESSES, [("tenant", 1), ("member_id", 1)], "address_health_by_member"),
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
                  "locale": n.email.locale, "message_id": n.email.message_id, "body_html": n.email.body_html,
                  "headers": [list(h) for h in n.email.headers], "category": n.email.category,
                  "marketing": n.email.marketing,
                  **({"attachments": [{"filename": a.filename, "content_type": a.content_type, "data": a.data,
                                       "content_id": a.content_id} for a in n.email.attachments]}
                     if n.email.attachments else {})},
        "notification_status": n.status.value, "sent_at": n.sent_at, "failure": n.failure,
        "cause_event_id": n.cause_event_id, "correlation_id": n.correlation_id, "about": n.about,
        **queue_fields(datetime.now(UTC)),
    }


def from_document(doc: Document) -> Notification:
    return Notification(
        id=doc["_id"], tenant=doc["tenant"], version=doc["version"], member_id=doc["member_id"],
        template=doc["template"], email=_email(doc["email"]),
        status=Status(doc["notification_status"]), sent_at=doc.get("sent_at"), failure=doc.get("failure"),
        attempts=doc.get("attempts", 0), cause_event_id=doc.get("cause_event_id"),
        correlation_id=doc.get("correlation_id"), about=doc.get("about"))


def _email(d: Document) -> OutgoingEmail:
    return OutgoingEmail(to=d["to"], subject=d["subject"], body_text=d["body_text"], locale=d["locale"],
                         message_id=d["message_id"], body_html=d.get("body_html", ""),
                         headers=tuple((str(k), str(v)) for k, v in d.get("headers", [])),
                         category=d.get("category", ""), marketing=bool(d.get("marketing", False)),
                         attachments=tuple(Attachment(a["filename"], a["content_type"], bytes(a["data"]),
                                                      a.get("content_id")) for a in d.get("attachments", [])))


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

    async def add_many_if_absent(self, notifications: list[Notification]) -> set[str]:
        if not notifications:
            return set()
        tenant = notifications[0].tenant
        present = {d["_id"] async for d in self._col.find(
            {"tenant": tenant, "_id": {"$in": [n.id for n in notifications]}}, {"_id": 1}, session=self._session)}
        new = [n for n in notifications if n.id not in present]
        if new:
            await self._col.insert_many([to_document(n) for n in new], session=self._session)
            for n in new:
                self._track(n)
        return {n.id for n in new}

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

    async def by_message_id(self, tenant: str, message_id: str) -> Notification | None:
        doc = await self._col.find_one({"tenant": tenant, "email.message_id": message_id}, session=self._session)
        return from_document(doc) if doc else None

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
            await self._count([notification])

    async def finish_many(self, notifications: list[Notification], lease_token: str) -> list[str]:
        """Settle sent notifications of one tenant in one write (the lease checked in the filter);
        the ones still held are read first, in this transaction, so only they announce `sent`."""
        if not notifications:
            return []
        tenant = notifications[0].tenant
        ids = [n.id for n in notifications]
        # Filtered here, not in the query: the stand-in scans the collection when a filter names a
        # field outside the index it picked (DESIGN §9); (tenant, _id) is indexed.
        held = {d["_id"] async for d in self._col.find({"tenant": tenant, "_id": {"$in": ids}},
                                                        {"lease_token": 1}, session=self._session)
                if d.get("lease_token") == lease_token}
        mine = [n for n in notifications if n.id in held]
        if not mine:
            return []
        first = mine[0]
        assert all(n.status is first.status and n.version == first.version for n in mine), "one status"
        await self._queue.complete([n.id for n in mine], lease_token, {
            "notification_status": first.status.value, "sent_at": max(n.sent_at for n in mine if n.sent_at),
            "failure": None, "version": first.version}, session=self._session)
        for n in mine:
            self._track(n)
        await self._count(mine)
        return [n.id for n in mine]

    async def _count(self, settled: list[Notification]) -> None:
        """Newsletter figures: one `$inc` per newsletter in the settling transaction."""
        field = {Status.SENT: "sent", Status.FAILED: "bounced", Status.WITHDRAWN: "withdrawn"}
        counts: dict[tuple[str, str, str], int] = {}
        for n in settled:
            if n.template == NEWSLETTER_KIND and n.about and n.status in field:
                key = (n.tenant, n.about, field[n.status])
                counts[key] = counts.get(key, 0) + 1
        for (tenant, about, name), count in counts.items():
            await self._col.database[NEWSLETTER_FIGURES].update_one(
                {"tenant": tenant, "_id": about}, {"$inc": {name: count}}, upsert=True, session=self._session)

    async def count_unsubscribe(self, tenant: str, member_id: str) -> str | None:
        # The member's few messages by the (tenant, member_id) index, filtered here (see finish_many).
        sent = [d async for d in self._col.find(
            {"tenant": tenant, "member_id": member_id},
            {"about": 1, "unsubscribed": 1, "template": 1, "notification_status": 1, "sent_at": 1},
            session=self._session)
            if d.get("template") == NEWSLETTER_KIND and d.get("notification_status") == "sent" and d.get("sent_at")]
        last = max(sent, key=lambda d: d["sent_at"], default=None)
        if last is None or not last.get("about") or last.get("unsubscribed"):
            return None
        await self._col.update_one({"tenant": tenant, "_id": last["_id"]}, {"$set": {"unsubscribed": True}},
                                   session=self._session)
        await self._col.database[NEWSLETTER_FIGURES].update_one(
            {"tenant": tenant, "_id": last["about"]}, {"$inc": {"unsubscribed": 1}}, upsert=True,
            session=self._session)
        return str(last["about"])


class MongoContactProjection:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[CONTACTS]
        self._session = session

    async def apply(self, tenant: str, member_id: str, version: int, fields: dict[str, Any],
                    version_field: str) -> bool:
        return await apply_versioned(self._col, tenant, member_id, version, fields, self._session, version_field)

    async def get(self, tenant: str, member_id: str) -> dict[str, Any] | None:
        return await self._col.find_one({"_id": member_id, "tenant": tenant}, session=self._session)

    async def get_many(self, tenant: str, member_ids: list[str]) -> dict[str, dict[str, Any]]:
        if not member_ids:
            return {}
        return {d["_id"]: d async for d in self._col.find({"tenant": tenant, "_id": {"$in": member_ids}},
                                                          session=self._session)}

    async def erased(self, tenant: str, member_id: str) -> bool:
        return await is_erased(self._col.database, tenant, member_id, self._session)

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_one({"_id": member_id, "tenant": tenant}, session=self._session)
        return result.deleted_count

    async def mark_bouncing(self, tenant: str, member_id: str, email: str) -> None:
        # Only while it is still their address (a newer address from members starts clean).
        await self._col.update_one({"_id": member_id, "tenant": tenant, "email": email},
                                   {"$set": {"email_bounced": True, "contactable": False}}, session=self._session)

    async def contactability(self, tenant: str) -> list[dict[str, Any]]:
        pipeline: list[Document] = [
            {"$match": {"tenant": tenant, "erased": {"$ne": True}}},
            {"$group": {"_id": {"program": "$program", "year": "$graduation_year"}, "alumni": {"$sum": 1},
                        "contactable": {"$sum": {"$cond": [{"$eq": ["$contactable", True]}, 1, 0]}}}}]
        rows = [r async for r in await self._col.aggregate(pipeline, session=self._session)]
        return [{"program": r["_id"].get("program") or "", "graduation_year": r["_id"].get("year") or 0,
                 "alumni": r["alumni"], "contactable": r["contactable"]} for r in rows]


def feed_from_document(d: Document) -> FeedItem:
    return FeedItem(id=d["_id"], tenant=d["tenant"], member_id=d["member_id"], kind=d["kind"], category=d["category"],
                    title=d["title"], body=d["body"], locale=d["locale"], created_at=_aware(d["created_at"]) or d["created_at"],
                    read_at=_aware(d.get("read_at")))


class MongoFeed:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[FEED]
        self._session = session

    async def add_if_absent(self, item: FeedItem) -> bool:
        if await self._col.find_one({"tenant": item.tenant, "_id": item.id}, {"_id": 1}, session=self._session):
            return False
        await self._col.insert_one(self._document(item), session=self._session)
        return True

    async def add_many_if_absent(self, items: list[FeedItem]) -> set[str]:
        if not items:
            return set()
        present = {d["_id"] async for d in self._col.find(
            {"tenant": items[0].tenant, "_id": {"$in": [i.id for i in items]}}, {"_id": 1}, session=self._session)}
        new = [i for i in items if i.id not in present]
        if new:
            await self._col.insert_many([self._document(i) for i in new], session=self._session)
        return {i.id for i in new}

    @staticmethod
    def _document(item: FeedItem) -> Document:
        return {"_id": item.id, "tenant": item.tenant, "member_id": item.member_id, "kind": item.kind,
                "category": item.category, "title": item.title, "body": item.body, "locale": item.locale,
                "created_at": item.created_at, "read_at": None}

    async def page(self, tenant: str, member_id: str, before: tuple[datetime, str] | None,
                   limit: int) -> list[FeedItem]:
        query: Document = {"tenant": tenant, "member_id": member_id}
        if before is not None:
            at, key = before
            query["$or"] = [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": key}}]
        cursor = self._col.find(query, session=self._session).sort([("created_at", -1), ("_id", -1)]).limit(limit)
        return [feed_from_document(d) async for d in cursor]

    async def unread(self, tenant: str, member_id: str) -> int:
        return await self._col.count_documents({"tenant": tenant, "member_id": member_id, "read_at": None},
                                               session=self._session)

    async def mark_read(self, tenant: str, member_id: str, ids: list[str] | None, at: datetime) -> int:
        query: Document = {"tenant": tenant, "member_id": member_id, "read_at": None}
        if ids is not None:
            query["_id"] = {"$in": ids}
        result = await self._col.update_many(query, {"$set": {"read_at": at}}, session=self._session)
        return result.modified_count

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_many({"tenant": tenant, "member_id": member_id}, session=self._session)
        return result.deleted_count


class MongoPreferences:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[PREFERENCES]
        self._session = session
        self._track = track

    async def get(self, tenant: str, member_id: str) -> MemberPreferences | None:
        d = await self._col.find_one({"tenant": tenant, "_id": member_id}, session=self._session)
        return None if d is None else self._from(d)

    async def get_many(self, tenant: str, member_ids: list[str]) -> dict[str, MemberPreferences]:
        if not member_ids:
            return {}
        return {d["_id"]: self._from(d) async for d in self._col.find(
            {"tenant": tenant, "_id": {"$in": member_ids}}, session=self._session)}

    @staticmethod
    def _from(d: Document) -> MemberPreferences:
        return MemberPreferences(id=d["_id"], tenant=d["tenant"], version=d.get("version", 0), member_id=d["_id"],
                                 preferences=Preferences(d.get("choices", {})), updated_at=_aware(d.get("updated_at")))

    async def save(self, prefs: MemberPreferences) -> None:
        await self._col.replace_one({"tenant": prefs.tenant, "_id": prefs.id}, {
            "_id": prefs.id, "tenant": prefs.tenant, "version": prefs.version, "choices": prefs.preferences.table(),
            "updated_at": prefs.updated_at}, upsert=True, session=self._session)
        self._track(prefs)

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_one({"tenant": tenant, "_id": member_id}, session=self._session)
        return result.deleted_count


class MongoAddressHealth:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[ADDRESSES]
        self._session = session
        self._track = track

    async def get(self, tenant: str, member_id: str, email: str) -> AddressHealth | None:
        d = await self._col.find_one({"tenant": tenant, "_id": f"{member_id}:{email.casefold()}"},
                                     session=self._session)
        if d is None:
            return None
        return AddressHealth(id=d["_id"], tenant=d["tenant"], version=d.get("version", 0), member_id=d["member_id"],
                             email=d["email"], soft_bounces=[t for t in (_aware(x) for x in d.get("soft_bounces", []))
                                                              if t is not None],
                             hard_bounces=d.get("hard_bounces", 0), complaints=d.get("complaints", 0),
                             invalidated_at=_aware(d.get("invalidated_at")), seen_reports=list(d.get("seen_reports", [])))

    async def save(self, h: AddressHealth) -> None:
        await self._col.replace_one({"tenant": h.tenant, "_id": h.id}, {
            "_id": h.id, "tenant": h.tenant, "version": h.version, "member_id": h.member_id, "email": h.email,
            "soft_bounces": h.soft_bounces, "hard_bounces": h.hard_bounces, "complaints": h.complaints,
            "invalidated_at": h.invalidated_at, "seen_reports": h.seen_reports}, upsert=True, session=self._session)
        self._track(h)

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_many({"tenant": tenant, "member_id": member_id}, session=self._session)
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
