"""Stored search keys follow the folding rule.

A member document carries keys derived from its names (`sort_key`, `last_key`, …, see
`mongo_member_documents.SEARCH_KEY_FIELDS`) and the version of the folding rule they were computed with
(`keys_version`). When the rule changes (`profile.SEARCH_KEYS_VERSION`), every write stores the
new keys, and `rekey_members` recomputes those of members nobody wrote since: run once when
the service starts, before the directory's name-order sketches are built, in one pass over the
members (a single cursor: the stand-in does not push `limit` into scans, so paging would read
the collection again per page) with unordered bulk updates of a few hundred documents. Only
members whose keys actually change are written (most names fold the same under both rules);
when the pass is complete a marker in `schema_versions` records it, so later starts skip it.

Each update is conditional on the member's `version`: a member saved meanwhile already has
the new keys and is left alone; the update does not bump the version, so it never makes a
concurrent edit fail. Running it on several replicas at once is harmless (they compute the
same keys). Until it has finished, a search may miss members whose keys are still old.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from members_service.adapters.mongo_member_documents import SEARCH_KEY_FIELDS, from_document, to_document
from members_service.adapters.mongo_members import MEMBERS
from members_service.domain.profile import SEARCH_KEYS_VERSION
from servicekit.domain import utcnow
from servicekit.logging import get_logger
from servicekit.mongo import Document

BATCH = 500
SCHEMA_VERSIONS = "schema_versions"
MARKER = "member-search-keys"
log = get_logger(__name__)


async def _flush(col: AsyncCollection[Document], ops: list[UpdateOne]) -> int:
    if not ops:
        return 0
    result = await col.bulk_write(ops, ordered=False)
    return result.modified_count


async def rekey_members(db: AsyncDatabase[Document], on_rekeyed: Callable[[str], None] = lambda _t: None,
                        batch: int = BATCH) -> int:
    """Recompute the search keys of members stored under an older folding rule; returns how
    many were updated. `on_rekeyed(tenant)` is called for every tenant that had some."""
    marker = await db[SCHEMA_VERSIONS].find_one({"_id": MARKER})
    if marker is not None and marker.get("version", 0) >= SEARCH_KEYS_VERSION:
        return 0
    col = db[MEMBERS]
    started = time.perf_counter()
    scanned = 0
    ops: list[UpdateOne] = []
    tenants: set[str] = set()
    rekeyed = 0
    async for doc in col.find({"keys_version": {"$ne": SEARCH_KEYS_VERSION}}):
        scanned += 1
        try:
            fresh = to_document(from_document(doc))
        except Exception as exc:  # noqa: BLE001 - one unreadable document must not stop the others
            log.warning("member search keys not recomputed", member_id=doc.get("_id"), error=repr(exc)[:300])
            continue
        changed = {f: fresh[f] for f in SEARCH_KEY_FIELDS if doc.get(f) != fresh[f] and f != "keys_version"}
        if not changed:
            continue
        # The (tenant, _id, version) index serves this filter (see mongo_members.INDEXES).
        ops.append(UpdateOne({"tenant": doc["tenant"], "_id": doc["_id"], "version": doc["version"]},
                             {"$set": {**changed, "keys_version": SEARCH_KEYS_VERSION}}))
        tenants.add(doc["tenant"])
        if len(ops) >= batch:
            rekeyed += await _flush(col, ops)
            ops = []
    rekeyed += await _flush(col, ops)
    for tenant in sorted(tenants):
        on_rekeyed(tenant)
    await db[SCHEMA_VERSIONS].replace_one(
        {"_id": MARKER}, {"_id": MARKER, "version": SEARCH_KEYS_VERSION, "at": utcnow(), "members": rekeyed},
        upsert=True)
    log.info("member search keys recomputed", members=rekeyed, scanned=scanned, keys_version=SEARCH_KEYS_VERSION,
             seconds=round(time.perf_counter() - started, 2))
    return rekeyed


@dataclass
class SearchKeyMigration:
    """`rekey_members` once per process (retried by its caller until it succeeds)."""

    db: AsyncDatabase[Document]
    on_rekeyed: Callable[[str], None] = lambda _t: None
    done: bool = False

    async def run_once(self) -> None:
        if not self.done:
            await rekey_members(self.db, self.on_rekeyed)
            self.done = True
