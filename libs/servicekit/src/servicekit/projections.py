"""Local projections of another service's data (event-carried state transfer).

A projection row keeps the aggregate version it reflects; an older or repeated event never
overwrites a newer state, so projections tolerate redelivery and reordering.
"""

from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from servicekit.mongo import Document


async def apply_versioned(collection: AsyncCollection[Document], tenant: str, doc_id: str, version: int,
                          fields: Document, session: AsyncClientSession | None) -> bool:
    """Upsert `fields` unless the stored row is at `version` or newer; True if applied.

    Read-then-write inside the caller's transaction (a failed conditional upsert would raise
    a duplicate key error, and any write error aborts a MongoDB transaction)."""
    current = await collection.find_one({"_id": doc_id, "tenant": tenant}, {"version": 1}, session=session)
    if current is not None and current.get("version", 0) >= version:
        return False
    await collection.update_one({"_id": doc_id, "tenant": tenant},
                                {"$set": {**fields, "tenant": tenant, "version": version}},
                                upsert=True, session=session)
    return True
