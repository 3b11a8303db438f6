"""A sketch of the directory's name order: every Nth sort key of a tenant, so a walk through the
directory reads windows of about N members instead of ranges whose size nobody knows.

Needed because the stand-in reads every entry of an index range whatever the `limit` (a window
of 10,000 names costs about a second). It also counts the first, usage, birth and compound-part
name keys, so that a name search knows whether reading those indexes' ranges is cheaper than
walking the name order (a common first name: thousands of entries). Rebuilt in the background (a full key scan, seconds at
100k members); members added since fall into existing windows, which grow a little until the
next rebuild. Without a sketch yet, walks fall back to windows by initial letters.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate

from pymongo.asynchronous.database import AsyncDatabase

from servicekit.logging import get_logger
from servicekit.mongo import Document

SKETCHES = "directory_sketches"
STEP = 64
log = get_logger(__name__)


# Folded name fields scattered through the name order (everything but the last name).
SCATTERED_NAME_FIELDS = ("first_key", "usage_key", "birth_key", "last_part_key", "first_part_key")


@dataclass
class Sketch:
    boundaries: list[str]
    name_keys: list[str] = field(default_factory=list)  # distinct scattered name keys, sorted
    cumulative: list[int] = field(default_factory=list)  # members counted up to each key, inclusive

    def scattered_matches(self, prefix: str) -> int:
        """About how many entries the scattered name indexes hold for `prefix` (as of the build)."""
        lo = bisect.bisect_left(self.name_keys, prefix)
        hi = bisect.bisect_left(self.name_keys, prefix + "\uffff")
        if hi == lo:
            return 0
        return self.cumulative[hi - 1] - (self.cumulative[lo - 1] if lo else 0)

    def windows_after(self, after: str) -> list[tuple[str, str | None]]:
        """Consecutive (lower, upper) windows covering everything after `after`."""
        start = bisect.bisect_right(self.boundaries, after)
        uppers: list[str | None] = [*self.boundaries[start:], None]
        windows, lower = [], after
        for upper in uppers:
            windows.append((lower, upper))
            lower = upper or lower
        return windows


@dataclass
class NameOrderSketches:
    db: AsyncDatabase[Document]
    cache_seconds: float = 60.0
    max_age_seconds: float = 900.0
    _cache: dict[str, tuple[float, Sketch | None]] = field(default_factory=dict)
    _stale: set[str] = field(default_factory=set)
    _built: dict[str, float] = field(default_factory=dict)

    def mark_stale(self, tenant: str) -> None:
        """A walk met a window far larger than a sketch step (many members added since)."""
        self._stale.add(tenant)

    @staticmethod
    def key(tenant: str, listed_only: bool) -> str:
        return f"{tenant}:{'listed' if listed_only else 'all'}"

    async def get(self, tenant: str, listed_only: bool) -> Sketch | None:
        key = self.key(tenant, listed_only)
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        doc = await self.db[SKETCHES].find_one({"tenant": tenant, "_id": key})
        sketch = Sketch(doc["boundaries"], doc.get("name_keys", []), doc.get("cumulative", [])) if doc else None
        self._cache[key] = (time.monotonic(), sketch)
        return sketch

    async def rebuild(self, tenant: str) -> None:
        for listed_only in (True, False):
            query: Document = {"tenant": tenant, **({"listed": True} if listed_only else {})}
            projection = {"_id": 0, "sort_key": 1, **dict.fromkeys(SCATTERED_NAME_FIELDS, 1)}
            keys, counts = [], Counter[str]()
            async for d in self.db["members"].find(query, projection).sort("sort_key", 1):
                keys.append(d["sort_key"])
                counts.update(d[f] for f in SCATTERED_NAME_FIELDS if d.get(f))
            boundaries = keys[STEP::STEP]
            name_keys = sorted(counts)
            cumulative = list(accumulate(counts[k] for k in name_keys))
            key = self.key(tenant, listed_only)
            await self.db[SKETCHES].replace_one({"tenant": tenant, "_id": key}, {
                "_id": key, "tenant": tenant, "boundaries": boundaries, "name_keys": name_keys, "cumulative": cumulative,
                "size": len(keys), "built_at": time.time()}, upsert=True)
            self._cache[key] = (time.monotonic(), Sketch(boundaries, name_keys, cumulative))

    async def refresh_due(self) -> None:
        """Rebuild the sketches marked stale, and every tenant's once `max_age_seconds` passed
        (the first call builds them all)."""
        now = time.monotonic()
        if not self._built or now - min(self._built.values()) > self.max_age_seconds:
            tenants = set(await self.db["members"].distinct("tenant"))
        else:
            # An erasure deletes the tenant's sketches (they hold names): rebuild those at once.
            present = {d["tenant"] async for d in self.db[SKETCHES].find({}, {"tenant": 1})}
            tenants = set(self._stale) | (set(self._built) - present)
        self._stale.clear()
        for tenant in sorted(tenants):
            started = time.perf_counter()
            await self.rebuild(tenant)
            self._built[tenant] = time.monotonic()
            log.info("directory sketch rebuilt", tenant=tenant, seconds=round(time.perf_counter() - started, 2))
