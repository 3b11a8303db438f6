"""Local projections of another service's data (event-carried state transfer).

A projection row keeps the aggregate version it reflects; an older or repeated event never
overwrites a newer state, so projections tolerate redelivery and reordering.
"""

from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from servicekit.mongo import Document
from servicekit.personal_data import is_erased


async def apply_versioned(collection: AsyncCollection[Document], tenant: str, doc_id: str, version: int,
                          fields: Document, session: AsyncClientSession | None, version_field: str = "version") -> bool:
    """Upsert `fields` unless the stored row is at `version` or newer; True if applied.

    `version_field` names the version this group of fields follows: events of one aggregate
    reach different consumers in any order, so a row fed by several event types keeps one
    version per group (e.g. the profile, and each consent purpose) rather than one for all.
    Read-then-write inside the caller's transaction (a failed conditional upsert would raise
    a duplicate key error, and any write error aborts a MongoDB transaction)."""
    if await is_erased(collection.database, tenant, doc_id, session):
        return False  # a late event about an erased member must not bring their data back
    current = await collection.find_one({"_id": doc_id, "tenant": tenant}, {version_field: 1}, session=session)
    stored = current
    for part in version_field.split("."):
        stored = stored.get(part) if isinstance(stored, dict) else None
    if isinstance(stored, int) and stored >= version:
        return False
    await collection.update_one({"_id": doc_id, "tenant": tenant},
                                {"$set": {**fields, "tenant": tenant, version_field: version}},
                                upsert=True, session=session)
    return True
