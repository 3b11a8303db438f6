"""MongoDB repositories of the events service.

Seats live on the event's own document (`seats_left`, and `type_left.<ticket type>` for types
with a quota): taking seats is ONE conditional `update_one` (`seats_left >= n` in the filter,
`$inc` by -n), the fastest correct form measured on the stand-in (`bench/seat_forms.py`:
`find_one_and_update` and an `$expr` filter are slower; a read-then-write could oversell).
Saving the aggregate `$set`s its own fields only, never the counters."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

from events_service.domain.model import Details, Event, EventStatus, TicketType, Visibility
from events_service.domain.registrations import HOLDING_SEATS, AlreadyRegistered, Registration, RegistrationStatus
from events_service.service_layer.commands import ProjectMember
from events_service.service_layer.ports import Claim, InvitationBatch, PageCursor
from servicekit import segments
from servicekit.domain import AggregateRoot, ConcurrencyConflict, new_id
from servicekit.mongo import Document, IndexSpec
from servicekit.projections import apply_versioned

T = TypeVar("T")
EVENTS = "events"
MEMBERS = "members"
REGISTRATIONS = "registrations"
MEMBERSHIPS = "memberships"
INVITATION_BATCHES = "invitation_batches"

INDEXES = [
    IndexSpec(EVENTS, [("tenant", 1), ("starts_at", 1)], "events_by_start"),
    IndexSpec(MEMBERS, [("tenant", 1), ("cohorts.program", 1), ("cohorts.graduation_year", 1)], "members_by_cohort"),
    IndexSpec(REGISTRATIONS, [("tenant", 1), ("event_id", 1), ("member_id", 1)], "registrations_one_per_member",
              unique=True),
    IndexSpec(REGISTRATIONS, [("tenant", 1), ("event_id", 1), ("status", 1), ("waitlisted_at", 1)],
              "registrations_waitlist"),
    IndexSpec(REGISTRATIONS, [("tenant", 1), ("member_id", 1)], "registrations_by_member"),
    # The staff list's pages (`page_of_event`): one event's rows by status, in id order.
    IndexSpec(REGISTRATIONS, [("tenant", 1), ("event_id", 1), ("status", 1), ("_id", 1)], "registrations_pages"),
    IndexSpec(REGISTRATIONS, [("hold_until", 1)], "registrations_holds"),
    IndexSpec(REGISTRATIONS, [("tenant", 1), ("ticket_code", 1)], "registrations_by_ticket_code"),
    # Unsent batches by due date (the sweep, every tenant); `due` is NEVER once sent (always set: DESIGN §9).
    IndexSpec(INVITATION_BATCHES, [("due", 1)], "invitation_batches_due"),
    IndexSpec(INVITATION_BATCHES, [("tenant", 1), ("member_ids", 1)], "invitation_batches_by_member"),  # erasure
]

HOLDS = [RegistrationStatus.PROMOTED.value, RegistrationStatus.PENDING_PAYMENT.value]
SHOWN = [s.value for s in RegistrationStatus if s is not RegistrationStatus.VOID]
NEVER = datetime(9999, 12, 31)


def ticket_doc(t: TicketType) -> Document:
    return asdict(t)


def ticket_from(doc: Document) -> TicketType:
    fields: dict[str, Any] = {k: doc.get(k) for k in TicketType.__dataclass_fields__ if k in doc}
    return TicketType(**fields)


def event_fields(e: Event) -> Document:
    d = e.details
    return {"status": e.status.value, "title_fr": d.title_fr, "title_en": d.title_en, "starts_at": d.starts_at,
            "ends_at": d.ends_at, "timezone": d.timezone, "venue": d.venue, "online_url": d.online_url,
            "description_fr": d.description_fr, "description_en": d.description_en, "organiser": d.organiser,
            "visibility": d.visibility.value, "segment_id": d.segment_id,
            "cancellation_policy": d.cancellation_policy, "capacity": d.capacity,
            "ticket_types": [ticket_doc(t) for t in e.ticket_types],
            "acceptance_window_s": e.acceptance_window.total_seconds(),
            "payment_window_s": e.payment_window.total_seconds(), "cancelled_reason": e.cancelled_reason,
            "invitation_segment": e.invitation_segment, "invited_count": e.invited_count,
            "invitations_issued_at": e.invitations_issued_at}


def event_from(doc: Document) -> Event:
    details = Details(title_fr=doc.get("title_fr", doc.get("title")), title_en=doc.get("title_en"),
                      starts_at=doc["starts_at"], ends_at=doc["ends_at"], timezone=doc["timezone"],
                      venue=doc.get("venue", ""), online_url=doc.get("online_url"),
                      description_fr=doc.get("description_fr", ""), description_en=doc.get("description_en", ""),
                      organiser=doc.get("organiser", ""), visibility=Visibility(doc.get("visibility", "alumni")),
                      segment_id=doc.get("segment_id"), cancellation_policy=doc.get("cancellation_policy", ""),
                      capacity=doc["capacity"])
    types = [ticket_from(t) for t in doc.get("ticket_types") or []] or [TicketType(id="general", name="Entrée",
                                                                                   name_en="Admission")]
    return Event(id=doc["_id"], tenant=doc["tenant"], version=doc.get("version", 1), details=details,
                 status=EventStatus(doc.get("status", "published")), ticket_types=types,
                 acceptance_window=timedelta(seconds=doc.get("acceptance_window_s", 48 * 3600)),
                 payment_window=timedelta(seconds=doc.get("payment_window_s", 1800)),
                 created_at=doc.get("created_at"), cancelled_reason=doc.get("cancelled_reason", ""),
                 invitation_segment=doc.get("invitation_segment"), invited_count=doc.get("invited_count", 0),
                 invitations_issued_at=doc.get("invitations_issued_at"))


SeatSnapshots = dict[tuple[str, str], Document]


def seat_snapshot(doc: Document) -> Document:
    """The seat fields of an event's document as this unit of work's transaction read it."""
    return {"seats_left": doc.get("seats_left", 0), "claims": dict(doc.get("claims") or {})}


class MongoEventRepository:
    """`seen`: shared with the unit of work's `MongoSeatLedger`, which answers from the event
    document this transaction already read instead of reading it again (see `MongoSeatLedger`)."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None], seen: SeatSnapshots | None = None) -> None:
        self._col = db[EVENTS]
        self._session = session
        self._track = track
        self._seen = {} if seen is None else seen

    async def add(self, event: Event) -> None:
        await self._col.insert_one({
            "_id": event.id, "tenant": event.tenant, "version": event.version, "created_at": event.created_at,
            **event_fields(event), "seats_left": event.capacity,
            "type_left": {t.id: t.quota for t in event.ticket_types if t.quota is not None}}, session=self._session)
        self._track(event)

    async def get(self, tenant: str, event_id: str) -> Event | None:
        doc = await self._col.find_one({"_id": event_id, "tenant": tenant}, session=self._session)
        if doc is None:
            return None
        self._seen[(tenant, event_id)] = seat_snapshot(doc)
        event = event_from(doc)
        self._track(event)
        return event

    async def list(self, tenant: str, limit: int) -> list[Event]:
        cursor = self._col.find({"tenant": tenant}, session=self._session).sort("starts_at", -1).limit(limit)
        return [event_from(doc) async for doc in cursor]

    async def save(self, event: Event) -> None:
        if event.version == event.persisted_version:
            return
        result = await self._col.update_one(
            {"_id": event.id, "tenant": event.tenant, "version": event.persisted_version},
            {"$set": {**event_fields(event), "version": event.version}}, session=self._session)
        if result.matched_count != 1:
            raise ConcurrencyConflict(f"event {event.id} changed since version {event.persisted_version}")


WRITE_CONFLICT = 112


async def _plain(col: AsyncCollection[Document], write: Callable[[AsyncClientSession], Awaitable[T]],
                 attempts: int = 50) -> T:
    """A write outside any transaction — in a session of its own: a command's transaction binds
    its session to the context, and a write without a session would join it — that may meet a
    transaction's uncommitted write of the same document (the stand-in answers WriteConflict
    where MongoDB retries internally)."""
    for attempt in range(attempts):
        try:
            async with col.database.client.start_session() as own:
                return await write(own)
        except OperationFailure as exc:
            if exc.code != WRITE_CONFLICT or attempt == attempts - 1:
                raise
            await asyncio.sleep(min(0.2, 0.005 * (attempt + 1)))
    raise AssertionError("unreachable")


class MongoSeatLedger:
    """`seen`: the seat fields of event documents this unit of work's transaction has read (by
    `MongoEventRepository.get`). The registration reads the event first; answering `left` and
    "does this member hold a claim?" from that read instead of two more round trips is what
    makes a refused attempt on a full event cheap (bench/RESULTS.md, the rush). Both answers are
    what a re-read in the same transaction would give: the transaction never writes the seat
    fields before asking (`take`/`release`/`resize` forget the snapshot), and the claim written
    outside it by `claim` is not visible to it anyway."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 seen: SeatSnapshots | None = None) -> None:
        self._col = db[EVENTS]
        self._session = session
        self._seen = {} if seen is None else seen

    async def claim(self, tenant: str, event_id: str, member_id: str, ticket_type_id: str, seats: int,
                    quota: bool, at: datetime) -> bool:
        key = f"claims.{member_id}"
        where: Document = {"_id": event_id, "tenant": tenant, "seats_left": {"$gte": seats}, key: {"$exists": False}}
        change: Document = {"seats_left": -seats}
        if quota:
            where[f"type_left.{ticket_type_id}"] = {"$gte": seats}
            change[f"type_left.{ticket_type_id}"] = -seats
        claim = {"seats": seats, "type": ticket_type_id, "quota": quota, "at": at}
        result = await _plain(self._col, lambda own: self._col.update_one(
            where, {"$inc": change, "$set": {key: claim}}, session=own))
        if result.modified_count == 1:
            return True
        # A retried attempt (the same member, after a crash) finds the claim its first try left:
        # it is theirs. That claim was written before this attempt could reserve its idempotency
        # key (the first try held the key until its transaction ended), so the event document
        # this transaction read shows it: when that read shows no claim of this member, there is
        # none to reuse and the lookup is skipped (a full event's refused attempts, the rush's
        # common case). A claim written since by a *concurrent* attempt of the same member under
        # another key is not this attempt's: the one-row-per-member index refuses one of them.
        snapshot = self._seen.get((tenant, event_id))
        if snapshot is not None and member_id not in snapshot["claims"]:
            return False
        doc = await _plain(self._col, lambda own: self._col.find_one(
            {"_id": event_id, "tenant": tenant, key: {"$exists": True}}, {key: 1}, session=own))
        if doc is None:
            return False
        earlier = doc["claims"][member_id]
        if earlier.get("seats") != seats or earlier.get("type") != ticket_type_id:
            raise ConcurrencyConflict("another registration attempt of this member holds different seats")
        return True

    async def stale_claims(self, older_than: datetime, limit: int) -> list[Claim]:
        found: list[Claim] = []
        cursor = self._col.find({"ends_at": {"$gte": older_than - timedelta(days=1)}},
                                {"tenant": 1, "claims": 1})
        async for doc in cursor:
            for member_id, c in (doc.get("claims") or {}).items():
                if c["at"] <= older_than:
                    found.append(Claim(doc["tenant"], doc["_id"], member_id, c["type"], c["seats"], c["quota"],
                                       c["at"]))
                    if len(found) >= limit:
                        return found
        return found

    async def drop_claims(self, tenant: str, event_id: str, member_ids: list[str]) -> None:
        if member_ids:
            await _plain(self._col, lambda own: self._col.update_one(
                {"_id": event_id, "tenant": tenant}, {"$unset": {f"claims.{m}": "" for m in member_ids}}, session=own))

    async def release_claim(self, claim: Claim) -> bool:
        change: Document = {"seats_left": claim.seats}
        if claim.quota:
            change[f"type_left.{claim.ticket_type_id}"] = claim.seats
        result = await _plain(self._col, lambda own: self._col.update_one(
            {"_id": claim.event_id, "tenant": claim.tenant, f"claims.{claim.member_id}.at": claim.at},
            {"$inc": change, "$unset": {f"claims.{claim.member_id}": ""}}, session=own))
        return result.modified_count == 1

    async def take(self, tenant: str, event_id: str, ticket_type_id: str, seats: int, quota: bool) -> bool:
        self._seen.pop((tenant, event_id), None)
        where: Document = {"_id": event_id, "tenant": tenant, "seats_left": {"$gte": seats}}
        change: Document = {"seats_left": -seats}
        if quota:
            where[f"type_left.{ticket_type_id}"] = {"$gte": seats}
            change[f"type_left.{ticket_type_id}"] = -seats
        result = await self._col.update_one(where, {"$inc": change}, session=self._session)
        return result.modified_count == 1

    async def release(self, tenant: str, event_id: str, ticket_type_id: str, seats: int, quota: bool,
                      member_id: str | None = None) -> None:
        self._seen.pop((tenant, event_id), None)
        change: Document = {"seats_left": seats}
        if quota:
            change[f"type_left.{ticket_type_id}"] = seats
        update: Document = {"$inc": change}
        if member_id is not None:
            update["$unset"] = {f"claims.{member_id}": ""}
        await self._col.update_one({"_id": event_id, "tenant": tenant}, update, session=self._session)

    async def resize(self, tenant: str, event_id: str, capacity_delta: int, quota_deltas: dict[str, int]) -> bool:
        self._seen.pop((tenant, event_id), None)
        where: Document = {"_id": event_id, "tenant": tenant}
        change: Document = {}
        if capacity_delta:
            change["seats_left"] = capacity_delta
            if capacity_delta < 0:
                where["seats_left"] = {"$gte": -capacity_delta}
        for type_id, delta in quota_deltas.items():
            change[f"type_left.{type_id}"] = delta
            if delta < 0:
                where[f"type_left.{type_id}"] = {"$gte": -delta}
        if not change:
            return True
        result = await self._col.update_one(where, {"$inc": change}, session=self._session)
        return result.matched_count == 1

    async def left(self, tenant: str, event_id: str) -> int:
        snapshot = self._seen.get((tenant, event_id))
        if snapshot is not None:
            return int(snapshot["seats_left"])
        doc = await self._col.find_one({"_id": event_id, "tenant": tenant}, {"seats_left": 1}, session=self._session)
        return 0 if doc is None else int(doc["seats_left"])

    async def taken(self, tenant: str, event_id: str) -> int:
        doc = await self._col.find_one({"_id": event_id, "tenant": tenant}, {"seats_left": 1, "capacity": 1},
                                       session=self._session)
        return 0 if doc is None else int(doc["capacity"]) - int(doc["seats_left"])


def registration_doc(r: Registration) -> Document:
    hold = r.accept_by if r.status is RegistrationStatus.PROMOTED else \
        r.pay_by if r.status is RegistrationStatus.PENDING_PAYMENT else None
    return {"event_id": r.event_id, "member_id": r.member_id, "ticket_type_id": r.ticket_type_id,
            "guests": r.guests, "status": r.status.value, "price_minor": r.price_minor, "currency": r.currency,
            "member_price": r.member_price, "ticket_code": r.ticket_code, "created_at": r.created_at,
            "registered_at": r.registered_at, "waitlisted_at": r.waitlisted_at, "accept_by": r.accept_by,
            "pay_by": r.pay_by, "cancelled_at": r.cancelled_at, "cancel_reason": r.cancel_reason,
            "checked_in_at": r.checked_in_at, "invited_at": r.invited_at,
            "payment_checkout_id": r.payment_checkout_id,
            # Always set (an `$or` with null makes the sweep's range slower: DESIGN §9).
            "hold_until": hold or NEVER}


def registration_from(doc: Document) -> Registration:
    fields: dict[str, Any] = {k: doc.get(k) for k in Registration.__dataclass_fields__
                              if k in doc and k not in ("id", "tenant", "version", "status")}
    return Registration(id=doc["_id"], tenant=doc["tenant"], version=doc.get("version", 1),
                        status=RegistrationStatus(doc["status"]), **fields)


class MongoRegistrationRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[REGISTRATIONS]
        self._session = session
        self._track = track

    def _seen(self, doc: Document | None) -> Registration | None:
        if doc is None:
            return None
        r = registration_from(doc)
        self._track(r)
        return r

    async def add(self, registration: Registration) -> None:
        try:
            await self._col.insert_one({"_id": registration.id, "tenant": registration.tenant,
                                        "version": registration.version, **registration_doc(registration)},
                                       session=self._session)
        except DuplicateKeyError:
            raise AlreadyRegistered(f"member {registration.member_id} is already registered") from None
        self._track(registration)

    async def save(self, registration: Registration) -> None:
        self._track(registration)
        if registration.version == registration.persisted_version:
            return
        result = await self._col.update_one(
            {"_id": registration.id, "tenant": registration.tenant, "version": registration.persisted_version},
            {"$set": {**registration_doc(registration), "version": registration.version}}, session=self._session)
        if result.matched_count != 1:
            raise ConcurrencyConflict(f"registration {registration.id} changed concurrently")

    async def get(self, tenant: str, registration_id: str) -> Registration | None:
        return self._seen(await self._col.find_one({"_id": registration_id, "tenant": tenant}, session=self._session))

    async def for_member(self, tenant: str, event_id: str, member_id: str) -> Registration | None:
        return self._seen(await self._col.find_one({"tenant": tenant, "event_id": event_id, "member_id": member_id},
                                                   session=self._session))

    async def fence(self, tenant: str, event_id: str, member_id: str) -> str:
        try:
            doc = await self._col.find_one({"tenant": tenant, "event_id": event_id, "member_id": member_id})
            if doc is None:
                await self._col.insert_one({"_id": new_id(), "tenant": tenant, "event_id": event_id,
                                            "member_id": member_id, "status": RegistrationStatus.VOID.value,
                                            "version": 1, "hold_until": NEVER, "guests": 0})
                return "fenced"
            if RegistrationStatus(doc["status"]) in HOLDING_SEATS:
                return "holding"
            result = await self._col.update_one({"_id": doc["_id"], "tenant": tenant, "version": doc["version"]},
                                                {"$inc": {"version": 1}})
            return "fenced" if result.modified_count == 1 else "busy"
        except DuplicateKeyError:
            return "busy"
        except OperationFailure as exc:
            if exc.code == WRITE_CONFLICT:
                return "busy"
            raise

    async def first_waitlisted(self, tenant: str, event_id: str) -> Registration | None:
        cursor = self._col.find({"tenant": tenant, "event_id": event_id, "status": RegistrationStatus.WAITLISTED.value},
                                session=self._session).sort([("waitlisted_at", 1), ("_id", 1)]).limit(1)
        async for doc in cursor:
            return self._seen(doc)
        return None

    async def expired_holds(self, tenant: str | None, now: datetime, limit: int) -> list[Registration]:
        where: Document = {"hold_until": {"$lte": now}}
        if tenant is not None:
            where["tenant"] = tenant
        cursor = self._col.find(where, session=self._session).limit(limit)
        return [registration_from(doc) async for doc in cursor if doc["status"] in HOLDS]

    async def of_member(self, tenant: str, member_id: str) -> list[Registration]:
        cursor = self._col.find({"tenant": tenant, "member_id": member_id, "status": {"$in": SHOWN}},
                                session=self._session).limit(500)
        return sorted([registration_from(doc) async for doc in cursor], key=lambda r: r.id, reverse=True)

    async def of_event(self, tenant: str, event_id: str, status: RegistrationStatus | None,
                       limit: int) -> list[Registration]:
        where: Document = {"tenant": tenant, "event_id": event_id, "status": {"$in": SHOWN}}
        if status is not None:
            where["status"] = status.value
        cursor = self._col.find(where, session=self._session).sort([("waitlisted_at", 1), ("_id", 1)]).limit(limit)
        return [registration_from(doc) async for doc in cursor]

    async def page_of_event(self, tenant: str, event_id: str, status: RegistrationStatus | None,
                            after: PageCursor | None, limit: int) -> list[Registration]:
        where: Document = {"tenant": tenant, "event_id": event_id,
                           "status": status.value if status is not None else {"$in": SHOWN}}
        if status is RegistrationStatus.WAITLISTED:
            # Arrival order: (waitlisted_at, id). `$gte` on the time and the ties dropped here, not an
            # `$or` (the stand-in plans a collection scan for it); ties of one microsecond are rare,
            # so a few more rows than the page cover them.
            if after is not None and after.waitlisted_at is not None:
                where["waitlisted_at"] = {"$gte": after.waitlisted_at}
            cursor = self._col.find(where, session=self._session).sort([("waitlisted_at", 1), ("_id", 1)])
            rows: list[Registration] = []
            async for doc in cursor.limit(limit + 64):
                r = registration_from(doc)
                if after is not None and r.waitlisted_at is not None and after.waitlisted_at is not None and (
                        r.waitlisted_at, r.id) <= (after.waitlisted_at, after.registration_id):
                    continue
                rows.append(r)
                if len(rows) == limit:
                    break
            return rows
        if after is not None:
            where["_id"] = {"$gt": after.registration_id}
        found = self._col.find(where, session=self._session).sort("_id", 1).limit(limit)
        return [registration_from(doc) async for doc in found]

    async def invite(self, registrations: list[Registration]) -> None:
        if registrations:
            try:
                await self._col.insert_many([{"_id": r.id, "tenant": r.tenant, "version": r.version,
                                              **registration_doc(r)} for r in registrations], session=self._session)
            except DuplicateKeyError:  # a member registered meanwhile: the batch is read and sent again
                raise ConcurrencyConflict("a member of this invitation batch got a registration meanwhile") from None
            for r in registrations:  # their `member_invited` go to the outbox with the rows
                self._track(r)

    async def members_with_rows(self, tenant: str, event_id: str, member_ids: list[str]) -> set[str]:
        if not member_ids:
            return set()
        where: Document = {"tenant": tenant, "event_id": event_id}
        if len(member_ids) <= 500:  # a short `$in` on the unique (tenant, event, member) index
            where["member_id"] = {"$in": member_ids}
        cursor = self._col.find(where, {"member_id": 1, "_id": 0}, session=self._session)
        wanted = set(member_ids)
        return {doc["member_id"] async for doc in cursor if doc.get("member_id") in wanted}

    async def active_of_event(self, tenant: str, event_id: str, after: str | None, limit: int) -> list[Registration]:
        where: Document = {"tenant": tenant, "event_id": event_id,
                           "status": {"$in": [s.value for s in (RegistrationStatus.REGISTERED,
                                                                RegistrationStatus.PENDING_PAYMENT,
                                                                RegistrationStatus.PROMOTED,
                                                                RegistrationStatus.WAITLISTED)]}}
        if after is not None:
            where["_id"] = {"$gt": after}
        cursor = self._col.find(where, session=self._session).sort("_id", 1).limit(limit)
        return [r for r in [self._seen(doc) async for doc in cursor] if r is not None]


class MongoInvitationBatches:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[INVITATION_BATCHES]
        self._session = session

    async def add(self, tenant: str, event_id: str, batches: list[list[str]], at: datetime) -> list[InvitationBatch]:
        stored = [InvitationBatch(tenant, f"{event_id}-{n:05d}", event_id, n, tuple(ids))
                  for n, ids in enumerate(batches)]
        if stored:
            await self._col.insert_many([{"_id": b.id, "tenant": tenant, "event_id": event_id, "number": b.number,
                                          "member_ids": list(b.member_ids), "created_at": at, "due": at,
                                          "sent_at": None} for b in stored], session=self._session)
        return stored

    async def mark_sent(self, tenant: str, batch_id: str, at: datetime) -> bool:
        result = await self._col.update_one({"_id": batch_id, "tenant": tenant, "sent_at": None},
                                            {"$set": {"sent_at": at, "due": NEVER}}, session=self._session)
        return result.modified_count == 1

    async def forget(self, tenant: str, member_id: str) -> int:
        result = await self._col.update_many({"tenant": tenant, "member_ids": member_id},
                                             {"$pull": {"member_ids": member_id}}, session=self._session)
        return result.modified_count

    async def pending(self, created_before: datetime, limit: int) -> list[InvitationBatch]:
        cursor = self._col.find({"due": {"$lte": created_before}}, session=self._session).sort("due", 1).limit(limit)
        return [InvitationBatch(doc["tenant"], doc["_id"], doc["event_id"], int(doc["number"]),
                                tuple(doc["member_ids"])) async for doc in cursor]


class MongoMemberProjection:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[MEMBERS]
        self._session = session

    async def apply(self, member: ProjectMember) -> bool:
        fields = {"first_name": member.first_name, "last_name": member.last_name, "email": member.email,
                  "locale": member.locale, "deceased": member.deceased,
                  "cohorts": [{"program": p, "graduation_year": y} for p, y in member.cohorts]}
        return await apply_versioned(self._col, member.tenant, member.member_id, member.version, fields,
                                     self._session)

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_one({"_id": member_id, "tenant": tenant}, session=self._session)
        return result.deleted_count

    async def exists(self, tenant: str, member_id: str) -> bool:
        return await self._col.find_one({"_id": member_id, "tenant": tenant}, {"_id": 1},
                                        session=self._session) is not None


class MongoAudienceReader:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db

    async def member_ids(self, tenant: str, segment: Any) -> list[str]:
        return [m.member_id async for m in segments.select(self._db, tenant, segment)]


MEMBER_STATES = frozenset({"active", "in_grace", "lifetime"})


class MongoMembershipProjection:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[MEMBERSHIPS]
        self._session = session

    async def apply(self, tenant: str, member_id: str, status: str, at: datetime) -> bool:
        """Newest transition wins (by its `at`): membership events of one member may arrive out of order."""
        current = await self._col.find_one({"_id": member_id, "tenant": tenant}, {"at": 1}, session=self._session)
        if current is not None and current.get("at") is not None and current["at"] >= at:
            return False
        await self._col.update_one({"_id": member_id, "tenant": tenant},
                                   {"$set": {"tenant": tenant, "status": status, "at": at}}, upsert=True,
                                   session=self._session)
        return True

    async def is_member(self, tenant: str, member_id: str) -> bool:
        doc = await self._col.find_one({"_id": member_id, "tenant": tenant}, {"status": 1}, session=self._session)
        return doc is not None and doc.get("status") in MEMBER_STATES

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_one({"_id": member_id, "tenant": tenant}, session=self._session)
        return result.deleted_count
