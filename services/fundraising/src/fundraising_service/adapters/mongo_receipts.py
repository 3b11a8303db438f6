"""Receipts, their numbering counter, the legal-entity registry and donors' receipt profiles.

The counter: one document per (tenant, legal entity, year), read with `find_one` *inside the
receipt's transaction* and advanced with a conditional `update_one` on the value read (never
`find_one_and_update`: DESIGN §9). Two replicas racing for the same number: one update matches
nothing or hits a write conflict, its transaction aborts (`ConcurrencyConflict`) and runs
again; the receipt, the counter and the outbox record commit together or not at all, so a
crash never burns a number. The unique index on (tenant, entity, year, sequence) is the last
guard.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from fundraising_service.domain.receipts import (
    Donor,
    DonorKind,
    GiftNature,
    LegalEntity,
    Receipt,
    ReceiptLine,
    ReceiptSource,
    ReceiptStatus,
    next_sequence,
)
from servicekit.domain import AggregateRoot, ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec

RECEIPTS = "receipts"
COUNTERS = "receipt_counters"
LEGAL_ENTITIES = "legal_entities"
PROFILES = "receipt_profiles"
PENDING = "receipt_pending_lines"

RECEIPT_INDEXES = [
    IndexSpec(RECEIPTS, [("tenant", 1), ("legal_entity_id", 1), ("year", 1), ("sequence", 1)], "receipts_numbers",
              unique=True),
    # One live receipt per gift (or dues payment, or donor-year summary): a voided one's key
    # gets its id appended, so the correction can take the key again.
    IndexSpec(RECEIPTS, [("tenant", 1), ("live_key", 1)], "receipts_one_live_per_source", unique=True),
    IndexSpec(RECEIPTS, [("tenant", 1), ("member_id", 1), ("year", 1)], "receipts_by_member"),
    IndexSpec(LEGAL_ENTITIES, [("tenant", 1)], "legal_entities_by_tenant"),
    IndexSpec(PENDING, [("tenant", 1), ("year", 1), ("member_id", 1)], "pending_by_year"),
    IndexSpec(PENDING, [("tenant", 1), ("member_id", 1)], "pending_by_member"),
]


def _entity_doc(e: LegalEntity) -> Document:
    return {"legal_entity_id": e.id, "name": e.name, "address": e.address, "object": e.object, "status": e.status,
            "may_issue_receipts": e.may_issue_receipts, "signatory_name": e.signatory_name,
            "signatory_title": e.signatory_title, "dues_plans": dict(e.dues_plans),
            "campaign_ids": list(e.campaign_ids), "default_for_gifts": e.default_for_gifts}


def entity_from(tenant: str, d: Document) -> LegalEntity:
    return LegalEntity(id=d["legal_entity_id"], tenant=tenant, name=d["name"], address=d["address"],
                       object=d["object"], status=d["status"], may_issue_receipts=d["may_issue_receipts"],
                       signatory_name=d["signatory_name"], signatory_title=d["signatory_title"],
                       dues_plans=dict(d.get("dues_plans") or {}), campaign_ids=tuple(d.get("campaign_ids") or ()),
                       default_for_gifts=d.get("default_for_gifts", False))


def _day(d: date) -> str:
    return d.isoformat()


def receipt_document(r: Receipt) -> Document:
    assert r.entity is not None
    live = r.source_key if r.status is ReceiptStatus.ISSUED else f"{r.source_key}#void:{r.id}"
    return {"_id": r.id, "tenant": r.tenant, "version": r.version, "legal_entity_id": r.legal_entity_id,
            "year": r.year, "sequence": r.sequence, "number": r.number, "source": str(r.source),
            "source_key": r.source_key, "live_key": live, "member_id": r.donor.member_id,
            "donor": {"name": r.donor.name, "address": r.donor.address, "kind": str(r.donor.kind),
                      "company_id": r.donor.company_id},
            "entity": _entity_doc(r.entity),
            "lines": [{"source_id": ln.source_id, "received_on": _day(ln.received_on), "amount_minor": ln.amount_minor,
                       "method": ln.method} for ln in r.lines],
            "amount_minor": r.amount_minor, "currency": r.currency, "nature": str(r.nature), "issued_at": r.issued_at,
            "status": str(r.status), "replaces": r.replaces, "replaced_by": r.replaced_by,
            "void_reason": r.void_reason, "voided_at": r.voided_at}


def receipt_from(d: Document) -> Receipt:
    donor = d["donor"]
    return Receipt(
        id=d["_id"], tenant=d["tenant"], version=d["version"], legal_entity_id=d["legal_entity_id"], year=d["year"],
        sequence=d["sequence"], source=ReceiptSource(d["source"]), source_key=d["source_key"],
        donor=Donor(d["member_id"], donor["name"], donor.get("address"), DonorKind(donor["kind"]),
                    donor.get("company_id")),
        entity=entity_from(d["tenant"], d["entity"]),
        lines=tuple(ReceiptLine(ln["source_id"], date.fromisoformat(ln["received_on"]), ln["amount_minor"],
                                ln["method"]) for ln in d["lines"]),
        currency=d["currency"], nature=GiftNature(d["nature"]), issued_at=d["issued_at"],
        status=ReceiptStatus(d["status"]), replaces=d.get("replaces"), replaced_by=d.get("replaced_by"),
        void_reason=d.get("void_reason"), voided_at=d.get("voided_at"))


class MongoReceiptRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[RECEIPTS]
        self._counters = db[COUNTERS]
        self._session = session
        self._track = track

    async def next_sequence(self, tenant: str, legal_entity_id: str, year: int) -> int:
        return await self.reserve(tenant, legal_entity_id, year, 1)

    async def reserve(self, tenant: str, legal_entity_id: str, year: int, count: int) -> int:
        key = f"{tenant}:{legal_entity_id}:{year}"
        current = await self._counters.find_one({"_id": key, "tenant": tenant}, session=self._session)
        if current is None:
            # A concurrent first receipt of the year makes one insert fail with a duplicate key:
            # a write conflict, run again (servicekit.retry.is_write_conflict).
            await self._counters.insert_one({"_id": key, "tenant": tenant, "legal_entity_id": legal_entity_id,
                                             "year": year, "value": count}, session=self._session)
            return 1
        first = next_sequence(current["value"])
        result = await self._counters.update_one({"_id": key, "tenant": tenant, "value": current["value"]},
                                                 {"$set": {"value": current["value"] + count}}, session=self._session)
        if result.modified_count != 1:
            raise ConcurrencyConflict(f"receipt counter {key} moved")
        return first

    async def add(self, receipt: Receipt) -> None:
        await self._col.insert_one(receipt_document(receipt), session=self._session)
        self._track(receipt)

    async def add_many(self, receipts: list[Receipt]) -> None:
        """One `insert_many` for a batch (the yearly summaries): one round trip instead of one per receipt."""
        if receipts:
            await self._col.insert_many([receipt_document(r) for r in receipts], session=self._session)
        for r in receipts:
            self._track(r)

    async def save(self, receipt: Receipt) -> None:
        doc = receipt_document(receipt)
        result = await self._col.replace_one({"_id": receipt.id, "tenant": receipt.tenant,
                                              "version": receipt.persisted_version}, doc, session=self._session)
        if result.matched_count != 1:
            raise ConcurrencyConflict(f"receipt {receipt.id} changed meanwhile")
        self._track(receipt)

    async def get(self, tenant: str, receipt_id: str) -> Receipt | None:
        d = await self._col.find_one({"_id": receipt_id, "tenant": tenant}, session=self._session)
        return receipt_from(d) if d else None

    async def live_for(self, tenant: str, source_key: str) -> Receipt | None:
        d = await self._col.find_one({"tenant": tenant, "live_key": source_key}, session=self._session)
        return receipt_from(d) if d else None

    async def of_member(self, tenant: str, member_id: str, year: int | None, limit: int) -> list[Receipt]:
        query: dict[str, Any] = {"tenant": tenant, "member_id": member_id}
        if year is not None:
            query["year"] = year
        cursor = self._col.find(query, session=self._session).sort([("year", -1), ("issued_at", -1)]).limit(limit)
        return [receipt_from(d) async for d in cursor]

    async def register(self, tenant: str, legal_entity_id: str, year: int) -> list[Receipt]:
        cursor = self._col.find({"tenant": tenant, "legal_entity_id": legal_entity_id, "year": year},
                                session=self._session).sort("sequence", 1)
        return [receipt_from(d) async for d in cursor]

    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int:
        """Numbers never change; the donor's identity becomes a pseudonym (the register stays whole)."""
        result = await self._col.update_many(
            {"tenant": tenant, "member_id": member_id},
            {"$set": {"member_id": pseudonym, "donor.name": pseudonym, "donor.address": None,
                      "donor.company_id": None, "pseudonymised": True}}, session=self._session)
        return result.modified_count


class MongoLegalEntities:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[LEGAL_ENTITIES]
        self._session = session

    async def all(self, tenant: str) -> list[LegalEntity]:
        return [entity_from(tenant, d) async for d in self._col.find({"tenant": tenant}, session=self._session)]

    async def upsert(self, entity: LegalEntity) -> None:
        await self._col.replace_one({"_id": f"{entity.tenant}:{entity.id}", "tenant": entity.tenant},
                                    {"tenant": entity.tenant, **_entity_doc(entity)}, upsert=True,
                                    session=self._session)


class MongoReceiptProfiles:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[PROFILES]
        self._pending = db[PENDING]
        self._members = db["members"]
        self._session = session

    async def get(self, tenant: str, member_id: str) -> Document | None:
        return await self._col.find_one({"_id": f"{tenant}:{member_id}", "tenant": tenant}, session=self._session)

    async def put(self, tenant: str, member_id: str, profile: Document) -> None:
        await self._col.replace_one({"_id": f"{tenant}:{member_id}", "tenant": tenant},
                                    {"tenant": tenant, "member_id": member_id, **profile}, upsert=True,
                                    session=self._session)

    async def donor_name(self, tenant: str, member_id: str) -> str | None:
        d = await self._members.find_one({"_id": member_id, "tenant": tenant}, session=self._session)
        return f"{d.get('first_name', '')} {d.get('last_name', '')}".strip() if d else None

    async def get_many(self, tenant: str, member_ids: list[str]) -> dict[str, Document]:
        """The receipt profiles of a batch of donors, one `$in` query (by `_id`)."""
        ids = [f"{tenant}:{m}" for m in member_ids]
        cursor = self._col.find({"_id": {"$in": ids}, "tenant": tenant}, session=self._session)
        return {d["member_id"]: d async for d in cursor}

    async def donor_names(self, tenant: str, member_ids: list[str]) -> dict[str, str]:
        """The names of a batch of donors from the members projection, one `$in` query."""
        cursor = self._members.find({"_id": {"$in": member_ids}, "tenant": tenant},
                                    {"first_name": 1, "last_name": 1}, session=self._session)
        return {d["_id"]: f"{d.get('first_name', '')} {d.get('last_name', '')}".strip() async for d in cursor}

    async def hold_line(self, tenant: str, member_id: str, legal_entity_id: str, year: int, source_key: str,
                        line: ReceiptLine, currency: str) -> None:
        await self._pending.update_one(
            {"_id": f"{tenant}:{source_key}", "tenant": tenant},
            {"$setOnInsert": {"member_id": member_id, "legal_entity_id": legal_entity_id,
                              "year": year, "currency": currency, "source_id": line.source_id,
                              "received_on": _day(line.received_on), "amount_minor": line.amount_minor,
                              "method": line.method}}, upsert=True, session=self._session)

    async def held(self, tenant: str, year: int) -> list[Document]:
        cursor = self._pending.find({"tenant": tenant, "year": year}, session=self._session)
        return [d async for d in cursor]

    async def release(self, tenant: str, ids: list[str]) -> None:
        """Delete held lines by id. Their ids start with the tenant (`<tenant>:<source>`), so the
        filter is the ids alone: with `tenant` beside an `_id` `$in`, the stand-in deletes by
        scanning the whole collection and testing every id against every document (a 20,000-donor
        yearly run spent 72% of its time there, the batches slowing as the year's lines grew)."""
        prefix = f"{tenant}:"
        if any(not i.startswith(prefix) for i in ids):
            raise ValueError("held-line ids must belong to the tenant")
        if ids:
            await self._pending.delete_many({"_id": {"$in": ids}}, session=self._session)

    async def pseudonymise_held(self, tenant: str, member_id: str, pseudonym: str) -> int:
        """Gifts still held for a yearly summary stay (their receipt is still owed), under the pseudonym."""
        result = await self._pending.update_many({"tenant": tenant, "member_id": member_id},
                                                 {"$set": {"member_id": pseudonym}}, session=self._session)
        return result.modified_count

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_one({"_id": f"{tenant}:{member_id}", "tenant": tenant}, session=self._session)
        return result.deleted_count


def held_line(d: Document) -> ReceiptLine:
    return ReceiptLine(d["source_id"], date.fromisoformat(d["received_on"]), d["amount_minor"], d["method"])


def at_day(at: datetime) -> date:
    return at.date()
