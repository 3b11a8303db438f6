"""The directory as a read model behind the `DirectorySearch` port: searches over the member
documents' derived fields (folded name keys, sort key, listed flag, cohorts, current employers,
city), separate from the write repository (`mongo_members`).

All the query planning specific to the MongoDB stand-in lives here (DESIGN §9): it plans a
collection scan as soon as a filter names a field outside the chosen index, and never pushes
`limit` into an index scan — so every filter names the fields of one index only, the ranges read
stay small (name-order windows from the sketch, exact cohorts, name-key ranges) and every other
criterion is applied to the candidates here, then decided by the domain rule
`directory.matches`. On MongoDB these are ordinary index ranges.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from members_service.adapters.mongo_member_documents import from_document
from members_service.adapters.mongo_name_order_sketch import SKETCHES, NameOrderSketches
from members_service.adapters.mongo_name_order_sketch import STEP as SKETCH_STEP
from members_service.domain.directory import ANY_NAME_MIN_PREFIX, Viewer, matches
from members_service.domain.model import Member
from members_service.domain.profile import SEARCH_KEYS_VERSION, Section, name_key, name_parts, search_key
from members_service.service_layer.directory import SearchDirectory
from servicekit.mongo import Document, IndexSpec

MEMBERS = "members"  # the read model is kept in the member documents (see `DIRECTORY_INDEXES`)
HIGH = "\uffff"
# Folded name fields a name prefix is searched in, each a scalar with its own index: a range on
# one scalar key is an exact index range on MongoDB and on the stand-in alike (a multikey range
# needs $elemMatch, which the stand-in evaluates by scanning).
NAME_FIELDS = ("last_key", "first_key", "usage_key", "birth_key", "last_part_key", "first_part_key")
# Windows of the directory's name order by initial letters, narrowest first, used until the
# tenant has a name-order sketch (see `MongoDirectorySearch.search`).
WINDOW_PREFIXES = (3, 2, 1)
# From this length on, a name prefix also searches first, usage and birth names (scattered in
# the name order, read through their own indexes); shorter ones match the start of last names
# only, like a phone book — a one- or two-letter first-name range is too large to read.
NAME_INDEX_MIN_PREFIX = ANY_NAME_MIN_PREFIX
# How many candidates a walk may read before it returns what it found with a cursor to continue
# (a rare filter must not turn one request into a full scan). The p99 of a request follows it
# (the stand-in costs ~0.15 ms per document read, unloaded): 1,500 gave 440 ms for a year range
# with a common first name at 100k members; 500 keeps every kind near 100 ms, at the price of
# more short pages (with a cursor) for rare combinations.
WALK_BUDGET = 500
# Above this many entries in the scattered name indexes (first, usage, birth names, parts of
# compound names), a name search walks the name order instead of reading those ranges.
SCATTERED_READ_MAX = 400
# A window this much larger than a sketch step means the sketch predates many new members.
STALE_WINDOW = 8 * SKETCH_STEP

DIRECTORY_INDEXES = [
    # Browse in name order, and the selective filters, each starting with the tenant.
    IndexSpec(MEMBERS, [("tenant", 1), ("listed", 1), ("sort_key", 1)], "directory_browse"),
    IndexSpec(MEMBERS, [("tenant", 1), ("sort_key", 1)], "directory_browse_staff"),
    *(IndexSpec(MEMBERS, [("tenant", 1), (field, 1)], f"directory_{field}") for field in NAME_FIELDS),
    IndexSpec(MEMBERS, [("tenant", 1), ("education.program", 1), ("education.graduation_year", 1)],
              "directory_cohorts"),
    IndexSpec(MEMBERS, [("tenant", 1), ("is_ambassador", 1)], "directory_ambassadors"),
    IndexSpec(SKETCHES, [("tenant", 1), ("_id", 1)], "sketches_by_tenant_id"),
]


# What a candidate is screened on before its whole document is read: the derived search fields,
# the names (for the parts of compound names) and the visibility of the filtered sections.
SCREENED = dict.fromkeys(("_id", "sort_key", "listed", "is_ambassador", "keys_version", *NAME_FIELDS, "first_name",
                          "last_name", "usage_name", "birth_name", "education", "employer_keys", "sectors", "city_key",
                          "country", "visibility"), 1)


def _name_parts_match(d: Document, prefix: str) -> bool:
    """A part of a compound name other than those with a key of their own (`pierre` in Jean-Pierre
    Marie's usage name): only names that are not a plain ASCII word can have one."""
    for field in ("first_name", "last_name", "usage_name", "birth_name"):
        name = d.get(field)
        if name and not (name.isascii() and name.isalpha()) and any(p.startswith(prefix) for p in name_parts(name)):
            return True
    return False


def _visible(d: Document, section: Section, viewer: Viewer) -> bool:
    return viewer.staff or viewer.member_id == d["_id"] or (d.get("visibility") or {}).get(section.value) == "alumni"


def _screen(d: Document, query: SearchDirectory, prefix: str) -> bool:
    """False only for a member `directory.matches` certainly rejects, judged on the document's
    derived fields without building the member (most of a walk's cost at 100k members). Keys
    computed under an older folding rule (`keys_version`) are not trusted: the domain decides."""
    c, viewer = query.criteria, query.viewer
    if not viewer.staff and not d.get("listed"):
        return False
    if d.get("keys_version") != SEARCH_KEYS_VERSION:
        return True
    if c.ambassadors_only and not d.get("is_ambassador"):
        return False
    if prefix:
        if len(prefix) < ANY_NAME_MIN_PREFIX:
            if not (d.get("last_key") or "").startswith(prefix):
                return False
        elif not (any((d.get(f) or "").startswith(prefix) for f in NAME_FIELDS) or _name_parts_match(d, prefix)):
            return False
    if (c.program or c.year_from or c.year_to) and not any(
            (not c.program or e.get("program") == c.program)
            and (not c.year_from or e.get("graduation_year", 0) >= c.year_from)
            and (not c.year_to or e.get("graduation_year", 0) <= c.year_to) for e in d.get("education") or ()):
        return False
    if c.employer_prefix or c.sector:
        if not _visible(d, Section.CAREER, viewer):
            return False
        employer = search_key(c.employer_prefix or "")
        if employer and not any(k.startswith(employer) for k in d.get("employer_keys") or ()):
            return False
        if c.sector and "sectors" in d and c.sector not in d["sectors"]:
            return False
    if c.city or c.country:
        if not _visible(d, Section.LOCATION, viewer):
            return False
        if c.city and (d.get("city_key") or "") != search_key(c.city):
            return False
        if c.country and d.get("country") != c.country:
            return False
    return True


def driving_queries(query: SearchDirectory) -> tuple[str, list[Document]]:
    """The index range(s) a directory search reads, built from the typed query only (no client
    dict reaches MongoDB). Each filter names only the fields of one index: the stand-in plans a
    collection scan as soon as a filter has a field outside the index (measured: 5 ms → 250 ms
    at 5,000 members), so every other criterion is applied to the candidates by the domain rule
    `directory.matches`. Returns the strategy and, except for the name-order walk, the filters."""
    c = query.criteria
    if c.ambassadors_only:  # a few dozen per tenant: the smallest range there is
        return "filters", [{"tenant": query.tenant, "is_ambassador": True}]
    if c.name_prefix and name_key(c.name_prefix):
        return "names", []
    if c.program and c.year_from and c.year_from == c.year_to:
        return "filters", [{"tenant": query.tenant, "education.program": c.program,
                           "education.graduation_year": c.year_from}]
    return "walk", []


def _upper(key: str, width: int) -> str | None:
    """The first sort key after every key sharing `key`'s first `width` characters."""
    stem = key[:width]
    if len(stem) < width:
        return None
    return stem[:-1] + chr(ord(stem[-1]) + 1)


class MongoDirectorySearch:
    """`DirectorySearch` on MongoDB (and the stand-in). Reads outside any transaction."""

    def __init__(self, db: AsyncDatabase[Document], sketches: NameOrderSketches | None = None) -> None:
        self._col = db[MEMBERS]
        self._sketches = sketches

    async def search(self, query: SearchDirectory) -> tuple[list[tuple[str, Member]], str | None]:
        """Up to `query.limit` members the viewer finds, in name order after `query.after`, and
        where to resume when the read budget ran out first (None: nothing further to read).

        The stand-in does not push `limit` into index scans (a query costs every entry of its
        index range), so the ranges read stay small: a name prefix of 3+ letters reads each name
        key's range, an exact cohort its cohort, and anything else walks the name order window
        by window (the tenant's name-order sketch: ~64 members each; before it exists, initial
        letters) until the page is full or the budget is spent. On MongoDB these are ordinary
        index ranges."""
        strategy, filters = driving_queries(query)
        after = query.after or ""
        if strategy == "walk":
            return await self._walk_name_order(query, after, WALK_BUDGET)
        if strategy == "names":
            return await self._search_names(query, after)
        found: dict[str, Document] = {}
        for q in filters:
            async for d in self._col.find(q, SCREENED):
                if d["sort_key"] > after:
                    found[d["_id"]] = d
        return await self._keep(sorted(found.values(), key=lambda d: d["sort_key"]), query, query.limit), None

    async def _keep(self, docs: list[Document], query: SearchDirectory, wanted: int) -> list[tuple[str, Member]]:
        """The first `wanted` of `docs` (screened documents, in order) that the viewer finds: the
        screen drops the certain misses on the derived fields, then the whole documents of the
        rest are read (one `_id` query per batch) and `directory.matches` decides."""
        prefix = name_key(query.criteria.name_prefix or "")
        candidates = [d for d in docs if _screen(d, query, prefix)]
        kept: list[tuple[str, Member]] = []
        start = 0
        while len(kept) < wanted and start < len(candidates):
            batch = candidates[start:start + wanted - len(kept)]
            start += len(batch)
            ids = [d["_id"] for d in batch]
            full = {d["_id"]: d async for d in self._col.find({"tenant": query.tenant, "_id": {"$in": ids}})}
            for d in batch:
                if d["_id"] not in full:
                    continue  # erased since the candidate was read
                member = from_document(full[d["_id"]])
                if matches(member, query.criteria, query.viewer):
                    kept.append((d["sort_key"], member))
        return kept

    async def _windows(self, query: SearchDirectory, after: str) -> AsyncIterator[tuple[str, bool, str | None]]:
        """(lower, lower inclusive, upper) windows covering the name order after `after`."""
        sketch = await self._sketches.get(query.tenant, not query.viewer.staff) if self._sketches else None
        if sketch is not None:
            for i, (lower, upper) in enumerate(sketch.windows_after(after)):
                yield lower, i > 0, upper
            return
        lower, inclusive = after, False
        widths = [w for w in WINDOW_PREFIXES if len(after) >= w] if after else []
        while True:
            width = widths.pop(0) if widths else 1
            if lower == "":
                end: str | None = "a"  # digits and punctuation sort before letters
            elif lower[:1] > "z":
                end = None  # past the letters: whatever is left, in one range
            else:
                end = _upper(lower, width)
            yield lower, inclusive, end
            if end is None:
                return
            lower, inclusive = end, True

    async def _search_names(self, query: SearchDirectory, after: str) -> tuple[list[tuple[str, Member]], str | None]:
        """Last names are contiguous in the name order (it starts with them): that region is
        walked window by window and stops when the page is full. Other names (first, usage,
        birth, parts of compound names) are scattered: their index ranges are read and merged
        in, up to where the walk got — so the page stays in name order."""
        key = name_key(query.criteria.name_prefix or "")
        if len(key) >= NAME_INDEX_MIN_PREFIX and self._sketches is not None:
            sketch = await self._sketches.get(query.tenant, not query.viewer.staff)
            if sketch is not None and sketch.scattered_matches(key) > SCATTERED_READ_MAX:
                # A common first name: its matches are dense enough in the name order that
                # walking it finds a page sooner than reading thousands of index entries.
                return await self._walk_name_order(query, after, WALK_BUDGET)
        scattered: dict[str, Document] = {}
        for field in NAME_FIELDS if len(key) >= NAME_INDEX_MIN_PREFIX else ():
            if field == "last_key":
                continue
            async for d in self._col.find({"tenant": query.tenant, field: {"$gte": key, "$lt": key + HIGH}},
                                          SCREENED):
                if d["sort_key"] > after:
                    scattered[d["_id"]] = d
        region_start = max(after, key)
        # Sort keys hold separators, so none equals a bare prefix: "after the prefix" is the region.
        walked, resume = await self._walk_name_order(query, region_start, WALK_BUDGET, region_end=key + HIGH)
        candidates = sorted(scattered.values(), key=lambda d: d["sort_key"])
        if resume is not None:  # the last-name region is not finished: nothing beyond it yet
            candidates = [d for d in candidates if d["sort_key"] <= resume]
        # Only the first `limit` of them can make the merged page.
        others = await self._keep(candidates, query, query.limit)
        merged: dict[str, tuple[str, Member]] = {m.id: (k, m) for k, m in [*walked, *others]}
        page = sorted(merged.values(), key=lambda km: km[0])
        if len(page) > query.limit:
            return page[: query.limit], None
        return page, resume

    async def _walk_name_order(self, query: SearchDirectory, after: str, budget: int,
                               region_end: str | None = None) -> tuple[list[tuple[str, Member]], str | None]:
        base: Document = {"tenant": query.tenant}
        if not query.viewer.staff:
            base["listed"] = True  # (tenant, listed, sort_key) is an index of its own
        kept: list[tuple[str, Member]] = []
        read, last_read = 0, after
        async for lower, inclusive, window_end in self._windows(query, after):
            last_window = region_end is not None and (window_end is None or window_end >= region_end)
            upper = region_end if last_window else window_end
            bounds: Document = {"$gte" if inclusive else "$gt": lower}
            if upper is not None:
                bounds["$lt"] = upper
            docs = await self._col.find({**base, "sort_key": bounds}, SCREENED).sort("sort_key", 1).to_list()
            if self._sketches is not None and len(docs) > STALE_WINDOW:
                self._sketches.mark_stale(query.tenant)
            kept += await self._keep(docs, query, query.limit - len(kept))
            read += len(docs)
            last_read = docs[-1]["sort_key"] if docs else last_read
            if len(kept) >= query.limit:
                return kept, None
            if last_window:
                break
            if read >= budget and upper is not None:
                return kept, last_read  # a partial page: the caller resumes from here
        return kept, None


class MongoDirectoryUpkeep:
    """The directory's derived data written in the unit of work: erasure deletes the tenant's
    name-order sketches (they hold names; rebuilt in the background)."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None) -> None:
        self._sketches = db[SKETCHES]
        self._session = session

    async def forget(self, member: Member) -> None:
        await self._sketches.delete_many({"tenant": member.tenant}, session=self._session)
