from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from fundraising_service.domain.model import Donation, Money
from fundraising_service.domain.payments import (
    Checkout,
    CheckoutStatus,
    Method,
    Payment,
    PaymentStatus,
    PaymentTarget,
    Purpose,
)
from fundraising_service.service_layer.commands import ProjectMember
from servicekit.domain import AggregateRoot, ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec
from servicekit.projections import apply_versioned

DONATIONS = "donations"
MEMBERS = "members"

INDEXES = [
    IndexSpec(DONATIONS, [("tenant", 1), ("member_id", 1), ("received_at", 1)], "donations_by_member"),
    IndexSpec(DONATIONS, [("tenant", 1), ("campaign_id", 1)], "donations_by_campaign"),
]


class MongoDonationRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[DONATIONS]
        self._session = session
        self._track = track

    async def add(self, donation: Donation) -> None:
        await self._col.insert_one({
            "_id": donation.id, "tenant": donation.tenant, "version": donation.version,
            "member_id": donation.member_id,
            "amount": {"minor_units": donation.amount.minor_units, "currency": donation.amount.currency},
            "campaign_id": donation.campaign_id, "received_at": donation.received_at}, session=self._session)
        self._track(donation)

    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int:
        """Accounting records stay (the law requires keeping them); the donor becomes a pseudonym."""
        result = await self._col.update_many({"tenant": tenant, "member_id": member_id},
                                             {"$set": {"member_id": pseudonym, "pseudonymised": True}},
                                             session=self._session)
        return result.modified_count


class MongoDonorProjection:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[MEMBERS]
        self._session = session

    async def apply(self, member: ProjectMember) -> bool:
        return await apply_versioned(self._col, member.tenant, member.member_id, member.version,
                                     {"first_name": member.first_name, "last_name": member.last_name,
                                      "cohorts": [{"program": p, "graduation_year": y} for p, y in member.cohorts]},
                                     self._session)

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_one({"_id": member_id, "tenant": tenant}, session=self._session)
        return result.deleted_count

    async def exists(self, tenant: str, member_id: str) -> bool:
        return await self._col.find_one({"_id": member_id, "tenant": tenant}, {"_id": 1},
                                        session=self._session) is not None


# -- payments ------------------------------------------------------------------------------

CHECKOUTS = "checkouts"
PAYMENTS = "payments"
WEBHOOK_EVENTS = "payment_webhook_events"

PAYMENT_INDEXES = [
    IndexSpec(CHECKOUTS, [("tenant", 1), ("_id", 1), ("version", 1)], "checkouts_versioned"),
    IndexSpec(CHECKOUTS, [("tenant", 1), ("reference_id", 1), ("status", 1)], "checkouts_by_reference"),
    IndexSpec(PAYMENTS, [("tenant", 1), ("_id", 1), ("version", 1)], "payments_versioned"),
    IndexSpec(PAYMENTS, [("tenant", 1), ("member_id", 1), ("_id", 1)], "payments_by_member"),
    # One payment per checkout, whatever the provider sends (the webhook's event id is the
    # first guard, the checkout's optimistic lock the second, this the last).
    IndexSpec(PAYMENTS, [("tenant", 1), ("checkout_ref", 1)], "payments_one_per_checkout", unique=True),
]
INDEXES += PAYMENT_INDEXES
# The provider's event id is the `_id` of `payment_webhook_events` ("<provider>:<event id>"):
# its unique index makes the same webhook twice one payment, one event.


def _target_doc(t: PaymentTarget) -> Document:
    return {"purpose": str(t.purpose), "reference_id": t.reference_id, "member_id": t.member_id,
            "plan_id": t.plan_id, "instalment": t.instalment, "instalments": t.instalments}


def _target(doc: Document) -> PaymentTarget:
    return PaymentTarget(Purpose(doc["purpose"]), doc["reference_id"], doc["member_id"], doc.get("plan_id"),
                         doc.get("instalment"), doc.get("instalments"))


def checkout_document(c: Checkout) -> Document:
    return {"_id": c.id, "tenant": c.tenant, "version": c.version, **_target_doc(c.target),
            "amount": {"minor_units": c.amount.minor_units, "currency": c.amount.currency},
            "description": c.description, "methods": [str(m) for m in c.methods], "provider": c.provider,
            "status": str(c.status), "session_id": c.session_id, "url": c.url, "created_at": c.created_at,
            "expires_at": c.expires_at, "payment_id": c.payment_id, "recurring": c.recurring,
            "save_method": c.save_method}


def checkout_from(doc: Document) -> Checkout:
    return Checkout(id=doc["_id"], tenant=doc["tenant"], version=doc["version"], target=_target(doc),
                    amount=Money(doc["amount"]["minor_units"], doc["amount"]["currency"]),
                    description=doc["description"], methods=tuple(Method(m) for m in doc["methods"]),
                    provider=doc["provider"], status=CheckoutStatus(doc["status"]), session_id=doc.get("session_id"),
                    url=doc.get("url"), created_at=doc.get("created_at"), expires_at=doc.get("expires_at"),
                    payment_id=doc.get("payment_id"), recurring=doc.get("recurring", False),
                    save_method=doc.get("save_method", False))


def payment_document(p: Payment) -> Document:
    return {"_id": p.id, "tenant": p.tenant, "version": p.version, **_target_doc(p.target),
            "amount": {"minor_units": p.amount.minor_units, "currency": p.amount.currency},
            "method": str(p.method), "provider": p.provider, "status": str(p.status), "at": p.at,
            "reason": p.reason, "reference": p.reference, "checkout_id": p.checkout_id,
            # unique: a checkout's id (and the renewal's for an automatic renewal), or the payment's
            # own for a manual one (no null collisions)
            "checkout_ref": (f"{p.checkout_id}:{p.renewal_ref}" if p.renewal_ref else p.checkout_id)
            if p.checkout_id else f"manual:{p.id}",
            "renewal_ref": p.renewal_ref,
            "provider_payment_ref": p.provider_payment_ref, "refunded_minor": p.refunded_minor,
            "late_entry_reason": p.late_entry_reason, "mandate_ref": p.mandate_ref}


def payment_from(doc: Document) -> Payment:
    return Payment(id=doc["_id"], tenant=doc["tenant"], version=doc["version"], target=_target(doc),
                   amount=Money(doc["amount"]["minor_units"], doc["amount"]["currency"]), method=Method(doc["method"]),
                   provider=doc["provider"], status=PaymentStatus(doc["status"]), at=doc.get("at"),
                   reason=doc.get("reason"), reference=doc.get("reference"), checkout_id=doc.get("checkout_id"),
                   provider_payment_ref=doc.get("provider_payment_ref"), refunded_minor=doc.get("refunded_minor", 0),
                   renewal_ref=doc.get("renewal_ref"), late_entry_reason=doc.get("late_entry_reason"),
                   mandate_ref=doc.get("mandate_ref"))


async def _save_versioned(col: AsyncCollection[Document], aggregate: AggregateRoot, document: Document,
                          session: AsyncClientSession) -> None:
    """Insert a new aggregate, or replace the version that was read (optimistic locking)."""
    if aggregate.persisted_version == 0:
        await col.insert_one(document, session=session)
        return
    if aggregate.version == aggregate.persisted_version:
        return
    result = await col.replace_one({"_id": aggregate.id, "tenant": aggregate.tenant,
                                    "version": aggregate.persisted_version}, document, session=session)
    if result.matched_count == 0:
        raise ConcurrencyConflict(f"{aggregate.id} changed since version {aggregate.persisted_version}")


class MongoCheckoutRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[CHECKOUTS]
        self._session = session
        self._track = track

    async def get(self, tenant: str, checkout_id: str) -> Checkout | None:
        doc = await self._col.find_one({"_id": checkout_id, "tenant": tenant}, session=self._session)
        if doc is None:
            return None
        checkout = checkout_from(doc)
        self._track(checkout)
        return checkout

    async def save(self, checkout: Checkout) -> None:
        await _save_versioned(self._col, checkout, checkout_document(checkout), self._session)
        self._track(checkout)

    async def unsettled_for(self, tenant: str, reference_id: str) -> list[Checkout]:
        unsettled = [str(CheckoutStatus.OPEN), str(CheckoutStatus.PROCESSING)]
        found = [checkout_from(doc) async for doc in self._col.find(
            {"tenant": tenant, "reference_id": reference_id, "status": {"$in": unsettled}},
            session=self._session).limit(50)]
        for checkout in found:
            self._track(checkout)
        return found

    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int:
        result = await self._col.update_many({"tenant": tenant, "member_id": member_id},
                                             {"$set": {"member_id": pseudonym, "pseudonymised": True}},
                                             session=self._session)
        return result.modified_count


class MongoPaymentRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[PAYMENTS]
        self._events = db[WEBHOOK_EVENTS]
        self._session = session
        self._track = track

    async def get(self, tenant: str, payment_id: str) -> Payment | None:
        doc = await self._col.find_one({"_id": payment_id, "tenant": tenant}, session=self._session)
        if doc is None:
            return None
        payment = payment_from(doc)
        self._track(payment)
        return payment

    async def save(self, payment: Payment) -> None:
        await _save_versioned(self._col, payment, payment_document(payment), self._session)
        self._track(payment)

    async def of_member(self, tenant: str, member_id: str | None, after: str | None, limit: int) -> list[Payment]:
        """Newest first (ids are UUIDv7); `after`: the last id of the previous page."""
        query: Document = {"tenant": tenant}
        if member_id is not None:
            query["member_id"] = member_id
        if after is not None:
            query["_id"] = {"$lt": after}
        cursor = self._col.find(query, session=self._session).sort("_id", -1).limit(limit)
        return [payment_from(d) async for d in cursor]

    async def webhook_seen(self, tenant: str, provider: str, event_id: str) -> bool:
        return await self._events.find_one({"_id": f"{provider}:{event_id}", "tenant": tenant}, {"_id": 1},
                                           session=self._session) is not None

    async def remember_webhook(self, tenant: str, provider: str, event_id: str, checkout_id: str | None,
                               outcome: str, at: datetime) -> None:
        """The unique `_id` refuses a second insert of the same provider event (DuplicateKeyError)."""
        try:
            await self._events.insert_one({"_id": f"{provider}:{event_id}", "tenant": tenant, "provider": provider,
                                           "event_id": event_id, "checkout_id": checkout_id, "outcome": outcome,
                                           "received_at": at}, session=self._session)
        except DuplicateKeyError:  # the same delivery handled concurrently and committed first
            raise ConcurrencyConflict(f"webhook {provider}:{event_id} is being handled; retry") from None

    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int:
        """Accounting records stay; the payer becomes a pseudonym (like donations)."""
        result = await self._col.update_many({"tenant": tenant, "member_id": member_id},
                                             {"$set": {"member_id": pseudonym, "pseudonymised": True}},
                                             session=self._session)
        return result.modified_count
