"""Personal data in the delivery bookkeeping: scrubbing, tombstones, exports, pseudonyms.

The storage-level half of GDPR erasure and access, shared by every service (the use-case
half is `servicekit.erasure`)."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.idempotency import IDEMPOTENCY
from servicekit.mongo import Document, IndexSpec
from servicekit.outbox import OUTBOX

TOMBSTONES = "erased_subjects"
# Looked up by (tenant, subject hash): the hash already names the tenant, the filter says so too.
TOMBSTONE_INDEXES = [IndexSpec(TOMBSTONES, [("tenant", 1), ("_id", 1)], "tombstones_by_tenant_id")]
OBSOLETE_TOMBSTONE_INDEXES = [(TOMBSTONES, "tombstones_by_tenant")]  # a prefix of the one above


class ErasureNotYetPossible(Exception):
    """Events about the member are still waiting in the outbox: retry once they are sent
    (deleting them unsent would hide changes from consumers; leaving them would keep data)."""


def subject_hash(tenant: str, member_id: str) -> str:
    """A one-way reference to a member: enough to recognise them again, not to find them."""
    return hashlib.sha256(f"{tenant}:{member_id}".encode()).hexdigest()


def pseudonym(erasure_id: str) -> str:
    """The stand-in for the member in records kept for the law (accounting): stable across
    their records, so totals per donor still add up, and linked to nothing else."""
    return "erased-" + hashlib.sha256(f"pseudonym:{erasure_id}".encode()).hexdigest()[:24]


async def tombstone(db: AsyncDatabase[Document], tenant: str, member_id: str, session: AsyncClientSession) -> None:
    await db[TOMBSTONES].update_one({"tenant": tenant, "_id": subject_hash(tenant, member_id)},
                                    {"$set": {"tenant": tenant}}, upsert=True, session=session)


async def is_erased(db: AsyncDatabase[Document], tenant: str, member_id: str,
                    session: AsyncClientSession | None) -> bool:
    return await db[TOMBSTONES].find_one({"tenant": tenant, "_id": subject_hash(tenant, member_id)}, {"_id": 1},
                                         session=session) is not None


async def scrub_delivery_records(db: AsyncDatabase[Document], tenant: str, member_id: str,
                                 session: AsyncClientSession, keep_types: frozenset[str] = frozenset()
                                 ) -> dict[str, int]:
    """Delete the sent outbox rows and the stored idempotent replies that mention the member.

    Raises `ErasureNotYetPossible` while an unsent outbox row mentions them. `keep_types`
    names event types whose purpose is to name the erased member to consumers (they expire
    with the outbox retention like every sent row)."""
    mentions = {"$regex": re.escape(member_id)}
    outbox_filter: Document = {"tenant": tenant, "payload": mentions}
    if keep_types:
        outbox_filter["type"] = {"$nin": sorted(keep_types)}
    pending = await db[OUTBOX].find_one({**outbox_filter, "sent_at": None}, {"_id": 1}, session=session)
    if pending is not None:
        raise ErasureNotYetPossible(f"outbox record {pending['_id']} about the member is not sent yet")
    sent = await db[OUTBOX].delete_many(outbox_filter, session=session)
    replies = await db[IDEMPOTENCY].delete_many({"tenant": tenant, "reply": mentions}, session=session)
    return {OUTBOX: sent.deleted_count, IDEMPOTENCY: replies.deleted_count}


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # ObjectId, Decimal128, UUID…


async def export_records(db: AsyncDatabase[Document], queries: dict[str, Document]) -> dict[str, list[Document]]:
    """Collection → the documents each query finds, JSON-safe (for a data export)."""
    out: dict[str, list[Document]] = {}
    for collection, query in queries.items():
        out[collection] = [_json_safe(d) async for d in db[collection].find(query)]
    return out
