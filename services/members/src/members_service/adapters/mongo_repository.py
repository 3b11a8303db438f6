"""MongoDB persistence of members (collection `members`) and their consent ledger
(`consent_records`, append-only), plus the directory query."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from members_service.adapters.group_store import MEMBERSHIPS
from members_service.adapters.import_store import IMPORT_ROWS
from members_service.adapters.member_documents import (
    consent_document,
    consent_from_document,
    from_document,
    public_from_document,
    to_document,
)
from members_service.adapters.name_order_sketch import SKETCHES, NameOrderSketches
from members_service.adapters.name_order_sketch import STEP as SKETCH_STEP
from members_service.domain.consent import ConsentRecord
from members_service.domain.csv_import import identity_key
from members_service.domain.directory import ANY_NAME_MIN_PREFIX, list_matches, matches
from members_service.domain.erasure import Erasure
from members_service.domain.model import ConsentChanged, EmailAlreadyRegistered, Member
from members_service.domain.profile import (
    Cohort,
    name_key,
    search_key,
)
from members_service.domain.sectors import DEFAULT_SECTORS, Sector, SectorList
from members_service.domain.showcase import (
    PublicShowcase,
)
from members_service.service_layer.commands import SearchDirectory
from servicekit.domain import AggregateRoot, ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec

MEMBERS = "members"
CONSENT_RECORDS = "consent_records"
TENANT_SETTINGS = "tenant_settings"
ERASURES = "erasures"
HIGH = "\uffff"
# Folded name fields a name prefix is searched in, each a scalar with its own index: a range on
# one scalar key is an exact index range on MongoDB and on the stand-in alike (a multikey range
# needs $elemMatch, which the stand-in evaluates by scanning).
NAME_FIELDS = ("last_key", "first_key", "usage_key", "birth_key", "last_part_key", "first_part_key")
# Windows of the directory's name order by initial letters, narrowest first, used until the
# tenant has a name-order sketch (see `MongoMemberRepository.search`).
WINDOW_PREFIXES = (3, 2, 1)
# From this length on, a name prefix also searches first, usage and birth names (scattered in
# the name order, read through their own indexes); shorter ones match the start of last names
# only, like a phone book — a one- or two-letter first-name range is too large to read.
NAME_INDEX_MIN_PREFIX = ANY_NAME_MIN_PREFIX
# How many candidates a walk may read before it returns what it found with a cursor to continue
# (a rare filter must not turn one request into a full scan).
WALK_BUDGET = 1500
# Above this many entries in the scattered name indexes (first, usage, birth names, parts of
# compound names), a name search walks the name order instead of reading those ranges.
SCATTERED_READ_MAX = 400
# A window this much larger than a sketch step means the sketch predates many new members.
STALE_WINDOW = 8 * SKETCH_STEP

INDEXES = [
    IndexSpec(MEMBERS, [("tenant", 1), ("email", 1)], "members_email_unique", unique=True),
    IndexSpec(MEMBERS, [("tenant", 1), ("_id", 1)], "members_by_tenant"),
    # Conditional writes (optimistic locking, re-keying) name the version: without it in an index
    # the stand-in scans the collection for each of them (measured: 42 ms → 3.5 ms at 2,000 members).
    IndexSpec(MEMBERS, [("tenant", 1), ("_id", 1), ("version", 1)], "members_versioned"),
    IndexSpec(MEMBERS, [("tenant", 1), ("emails.address", 1)], "members_any_email"),
    # Directory: browse in name order, and the selective filters, each starting with the tenant.
    IndexSpec(MEMBERS, [("tenant", 1), ("listed", 1), ("sort_key", 1)], "directory_browse"),
    IndexSpec(MEMBERS, [("tenant", 1), ("sort_key", 1)], "directory_browse_staff"),
    *(IndexSpec(MEMBERS, [("tenant", 1), (field, 1)], f"directory_{field}") for field in NAME_FIELDS),
    IndexSpec(MEMBERS, [("tenant", 1), ("education.program", 1), ("education.graduation_year", 1)],
              "directory_cohorts"),
    IndexSpec(MEMBERS, [("tenant", 1), ("is_ambassador", 1)], "directory_ambassadors"),
    IndexSpec(MEMBERS, [("tenant", 1), ("showcase_live", 1)], "showcase_published"),
    IndexSpec(MEMBERS, [("showcase_expires_at", 1)], "showcase_expiry"),
    IndexSpec(CONSENT_RECORDS, [("tenant", 1), ("member_id", 1), ("at", 1)], "consents_by_member"),
    IndexSpec(ERASURES, [("state", 1), ("deadline", 1)], "erasures_by_deadline"),  # the cross-tenant watch
    IndexSpec(ERASURES, [("tenant", 1), ("_id", 1), ("version", 1)], "erasures_versioned"),
    IndexSpec(SKETCHES, [("tenant", 1), ("_id", 1)], "sketches_by_tenant_id"),
]


# The staff list's windows over UUIDv7 ids: a millisecond is 2**80 in the 128-bit id space.
UUID7_MS_SHIFT = 80
FIRST_WINDOW = 16 << UUID7_MS_SHIFT  # 16 ms: ~50 members of a bulk import, reached in one window
EMPTY_WINDOW_GROWTH = 8  # nothing found yet: a year back from 16 ms in ~11 cheap empty reads
MAX_WINDOW_GROWTH = 64


def _uuid_int(value: str) -> int | None:
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    return parsed.int if str(parsed) == value else None  # only canonical spellings sort like their number


def _uuid_str(value: int) -> str:
    return str(uuid.UUID(int=min(value, (1 << 128) - 1)))


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


class MongoMemberRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None,
                 track: Callable[[AggregateRoot], None], sketches: NameOrderSketches | None = None) -> None:
        self._col = db[MEMBERS]
        self._consents = db[CONSENT_RECORDS]
        self._session = session
        self._track = track
        self._sketches = sketches

    async def add(self, member: Member) -> None:
        try:
            await self._col.insert_one(to_document(member), session=self._session)
        except DuplicateKeyError:
            # Two concurrent registrations of one email: the index decides, the loser learns who won.
            existing = await self._col.find_one({"tenant": member.tenant, "email": member.email})
            raise EmailAlreadyRegistered(member.email, existing["_id"] if existing else "?") from None
        self._track(member)

    async def add_many(self, members: list[Member]) -> None:
        """Bulk creation (imports). A duplicate email fails the whole call: the caller falls back
        to one member at a time to tell which."""
        if not members:
            return
        try:
            await self._col.insert_many([to_document(m) for m in members], session=self._session)
        except (DuplicateKeyError, BulkWriteError) as exc:
            raise EmailAlreadyRegistered("one of the batch", "?") from exc
        for member in members:
            self._track(member)

    async def by_emails(self, tenant: str, emails: list[str]) -> dict[str, Member]:
        """Address → member, for primary and secondary addresses alike."""
        wanted = set(emails)
        found: dict[str, Member] = {}
        async for d in self._col.find({"tenant": tenant, "emails.address": {"$in": emails}}, session=self._session):
            member = from_document(d)
            found.update({e.address: member for e in member.emails if e.address in wanted})
        return found

    async def in_cohort(self, tenant: str, cohort: Cohort) -> list[Member]:
        cursor = self._col.find({"tenant": tenant, "education.program": cohort.program,
                                 "education.graduation_year": cohort.graduation_year}, session=self._session)
        # Both fields in one element: the index finds candidates, the cohort check decides.
        members = [from_document(d) async for d in cursor]
        return [m for m in members if cohort in {e.cohort for e in m.education}]

    async def get_many(self, tenant: str, member_ids: list[str]) -> list[Member]:
        cursor = self._col.find({"tenant": tenant, "_id": {"$in": member_ids}}, session=self._session)
        return [from_document(d) async for d in cursor]

    async def by_last_names(self, tenant: str, last_keys: list[str]) -> list[Member]:
        """Members whose folded last name is one of these (duplicate detection by name)."""
        cursor = self._col.find({"tenant": tenant, "last_key": {"$in": last_keys}}, session=self._session)
        return [from_document(d) async for d in cursor]

    async def save(self, member: Member) -> None:
        """Optimistic locking: the update applies only to the version that was read."""
        if member.version == member.persisted_version:
            return
        try:
            result = await self._col.replace_one(
                {"_id": member.id, "tenant": member.tenant, "version": member.persisted_version},
                to_document(member), session=self._session)
        except DuplicateKeyError:
            raise EmailAlreadyRegistered(member.email, "another member") from None
        if result.matched_count == 0:
            raise ConcurrencyConflict(f"member {member.id} changed since version {member.persisted_version}")
        records = [e.record for e, _ in member.pending_events() if isinstance(e, ConsentChanged)]
        if records:
            await self._consents.insert_many(
                [{"tenant": member.tenant, "member_id": member.id, **consent_document(r)} for r in records],
                session=self._session)
        self._track(member)

    async def delete(self, member: Member) -> None:
        """Erasure: the member, their consent ledger and the directory sketch (it holds names)."""
        await self._col.delete_one({"_id": member.id, "tenant": member.tenant}, session=self._session)
        await self._consents.delete_many({"tenant": member.tenant, "member_id": member.id}, session=self._session)
        await self._col.database[SKETCHES].delete_many({"tenant": member.tenant}, session=self._session)
        await self._col.database[MEMBERSHIPS].delete_many({"tenant": member.tenant, "member_id": member.id},
                                                          session=self._session)
        await self._col.database[IMPORT_ROWS].delete_many(  # an import in progress holds a copy of the row
            {"tenant": member.tenant, "email": {"$in": [e.address for e in member.emails]}}, session=self._session)
        if not member.emails:  # rows without an email are known by name and cohort (rare: no index)
            keys = [identity_key(member.first_name, member.last_name, e.program, e.graduation_year)
                    for e in member.education]
            keys += [f"{k}|{member.birth_date.isoformat()}" for k in keys if member.birth_date]
            await self._col.database[IMPORT_ROWS].delete_many(
                {"tenant": member.tenant, "email": None, "identity": {"$in": keys}}, session=self._session)
        self._track(member)

    async def get(self, tenant: str, member_id: str) -> Member | None:
        doc = await self._col.find_one({"tenant": tenant, "_id": member_id}, session=self._session)
        if doc is None:
            return None
        member = from_document(doc)
        self._track(member)
        return member

    async def by_email(self, tenant: str, email: str) -> Member | None:
        doc = await self._col.find_one({"tenant": tenant, "email": email}, session=self._session)
        return from_document(doc) if doc else None

    async def page(self, tenant: str, limit: int, after: str | None, *, newest_first: bool = False,
                   name_prefix: str | None = None) -> list[Member]:
        """The staff list: members in registration order (ids are UUIDv7), oldest or newest first,
        after the cursor `after`; with `name_prefix`, only those `list_matches` keeps.

        Without a search, ranges of the `(tenant, _id)` index (`_registration_order`). With one,
        the candidates come from ranges on the folded name keys of the search's first word
        (the directory's indexes; from three letters on also first, usage, birth names and the
        email), each filter naming the fields of its index only — the stand-in would scan the
        collection otherwise (DESIGN §9) — and the cursor and order are applied here."""
        first_word = search_key(name_prefix or "").split()[:1]
        if not first_word:
            return [from_document(d) for d in await self._registration_order(tenant, limit, after, newest_first)]
        assert name_prefix is not None
        typed = first_word[0]
        fields = ("last_key",) if len(typed) < NAME_INDEX_MIN_PREFIX else (*NAME_FIELDS, "email")
        found: dict[str, Document] = {}
        for field in fields:
            word = typed if field == "email" else name_key(typed)  # names are stored as `name_key`
            async for d in self._col.find({"tenant": tenant, field: {"$gte": word, "$lt": word + HIGH}},
                                          session=self._session):
                if not after or (d["_id"] < after if newest_first else d["_id"] > after):
                    found[d["_id"]] = d
        members = [from_document(found[i]) for i in sorted(found, reverse=newest_first)]
        return [m for m in members if list_matches(m, name_prefix)][:limit]

    async def _registration_order(self, tenant: str, limit: int, after: str | None, newest_first: bool) -> list[Document]:
        """`limit` members after the cursor in id order, read window by window.

        The stand-in reads a whole index range before applying `limit` (150 ms for 2,700
        members, linear beyond), so a page reads bounded windows of the UUIDv7 id space instead,
        starting at the cursor (or now, newest first), each sized from the density the previous
        one showed, until the page is full (typically one or two windows: ~10 ms). The windows
        at either end are open, so ids outside the UUIDv7 space are still listed. On MongoDB
        a plain sorted, limited range would do; this costs it little. An oldest-first list
        without a cursor starts with one open range (its first id is unknown)."""
        direction = -1 if newest_first else 1

        async def read(query: Document, wanted: int) -> list[Document]:
            # Sorted and limited all the same: the stand-in then returns only `wanted` documents.
            return await self._col.find(query, session=self._session) \
                .sort([("tenant", direction), ("_id", direction)]).limit(wanted).to_list()

        start = _uuid_int(after) if after else None
        if after and start is None:  # not a UUID: one plain range
            return await read({"tenant": tenant, "_id": {"$lt" if newest_first else "$gt": after}}, limit)
        now = (int(time.time() * 1000) + 1) << UUID7_MS_SHIFT
        edge = start if start is not None else (now if newest_first else None)
        found: list[Document] = []
        span = FIRST_WINDOW
        open_near = start is None  # the newest-first list's first window: no upper bound (clock skew)
        while len(found) < limit:
            bounds: Document = {}
            if newest_first:
                assert edge is not None
                far = max(edge - span, 0)
                if not open_near:
                    bounds["$lt"] = _uuid_str(edge)
                if far > 0:
                    bounds["$gte"] = _uuid_str(far)
                last = far == 0
            else:
                far = (edge or 0) + span if edge is not None else 0
                if edge is not None:
                    bounds["$gt"] = _uuid_str(edge)
                last = edge is None or far >= now
                if not last:
                    bounds["$lte"] = _uuid_str(far)
            query = {"tenant": tenant, "_id": bounds} if bounds else {"tenant": tenant}
            window = await read(query, limit - len(found))
            found.extend(window)
            if last:
                break
            edge, open_near = far, False
            growth = 2 * (limit - len(found)) / len(window) if window else EMPTY_WINDOW_GROWTH
            span = int(span * min(max(growth, 2), MAX_WINDOW_GROWTH))
        return found[:limit]

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
            async for d in self._col.find(q, session=self._session):
                if d["sort_key"] > after:
                    found[d["_id"]] = d
        return self._keep(sorted(found.values(), key=lambda d: d["sort_key"]), query, query.limit), None

    def _keep(self, docs: list[Document], query: SearchDirectory, wanted: int) -> list[tuple[str, Member]]:
        """The first `wanted` of `docs` (in order) that the viewer finds."""
        kept: list[tuple[str, Member]] = []
        for d in docs:
            member = from_document(d)
            if matches(member, query.criteria, query.viewer):
                kept.append((d["sort_key"], member))
                if len(kept) == wanted:
                    break
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
                                          session=self._session):
                if d["sort_key"] > after:
                    scattered[d["_id"]] = d
        region_start = max(after, key)
        # Sort keys hold separators, so none equals a bare prefix: "after the prefix" is the region.
        walked, resume = await self._walk_name_order(query, region_start, WALK_BUDGET, region_end=key + HIGH)
        others = self._keep(sorted(scattered.values(), key=lambda d: d["sort_key"]), query, 10**9)
        if resume is not None:  # the last-name region is not finished: nothing beyond it yet
            others = [(k, m) for k, m in others if k <= resume]
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
            docs = await self._col.find({**base, "sort_key": bounds}, session=self._session).sort("sort_key", 1).to_list()
            if self._sketches is not None and len(docs) > STALE_WINDOW:
                self._sketches.mark_stale(query.tenant)
            kept += self._keep(docs, query, query.limit - len(kept))
            read += len(docs)
            last_read = docs[-1]["sort_key"] if docs else last_read
            if len(kept) >= query.limit:
                return kept, None
            if last_window:
                break
            if read >= budget and upper is not None:
                return kept, last_read  # a partial page: the caller resumes from here
        return kept, None

    async def consent_history(self, tenant: str, member_id: str) -> list[ConsentRecord]:
        cursor = self._consents.find({"tenant": tenant, "member_id": member_id}, session=self._session).sort("at", 1)
        return [consent_from_document(d) async for d in cursor]



    async def published_showcases(self, tenant: str) -> list[PublicShowcase]:
        cursor = self._col.find({"tenant": tenant, "showcase_live": True}, {"showcase_public": 1},
                                session=self._session)
        entries = [public_from_document(d["showcase_public"]) async for d in cursor]
        return sorted(entries, key=lambda e: e.entry_id)

    async def showcases_expiring(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        cursor = self._col.find({"showcase_expires_at": {"$lte": now}}, {"tenant": 1}, session=self._session)
        return [(d["tenant"], d["_id"]) async for d in cursor.limit(limit)]

    async def sectors(self, tenant: str) -> SectorList:
        return await MongoTenantSettings(self._col.database, self._session).sectors(tenant)

    async def overdue_erasures(self, now: datetime) -> list[tuple[str, str]]:
        return await MongoErasureRepository(self._col.database, self._session, self._track).overdue(now)


class MongoTenantSettings:
    """One document per tenant in `tenant_settings`; the sector list is versioned."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None) -> None:
        self._col = db[TENANT_SETTINGS]
        self._session = session

    async def sectors(self, tenant: str) -> SectorList:
        doc = await self._col.find_one({"_id": tenant}, session=self._session)
        if doc is None or "sectors" not in doc:
            return DEFAULT_SECTORS
        return SectorList(tuple(Sector(**s) for s in doc["sectors"]), doc["sectors_version"])

    async def save_sectors(self, tenant: str, sectors: SectorList) -> None:
        """Conditional on the previous version: two managers editing at once do not overwrite."""
        values = {"sectors": [dict(s.__dict__) for s in sectors.sectors], "sectors_version": sectors.version}
        if sectors.version == 1:  # the first list of this tenant replaces the default one
            try:
                await self._col.insert_one({"_id": tenant, "tenant": tenant, **values}, session=self._session)
            except DuplicateKeyError:
                raise ConcurrencyConflict(f"the sector list of {tenant} changed meanwhile") from None
            return
        result = await self._col.update_one({"_id": tenant, "sectors_version": sectors.version - 1},
                                            {"$set": values}, session=self._session)
        if result.matched_count == 0:
            raise ConcurrencyConflict(f"the sector list of {tenant} changed meanwhile")


class MongoErasureRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[ERASURES]
        self._session = session
        self._track = track

    @staticmethod
    def _doc(e: Erasure) -> Document:
        return {"_id": e.id, "tenant": e.tenant, "version": e.version, "member_id": e.member_id,
                "member_ref": e.member_ref, "requested_at": e.requested_at, "deadline": e.deadline,
                "requested_by_role": e.requested_by_role, "confirmations": e.confirmations,
                "completed_at": e.completed_at, "state": e.state.value}

    async def add(self, erasure: Erasure) -> None:
        await self._col.insert_one(self._doc(erasure), session=self._session)
        self._track(erasure)

    async def save(self, erasure: Erasure) -> None:
        result = await self._col.replace_one(
            {"_id": erasure.id, "tenant": erasure.tenant, "version": erasure.persisted_version},
            self._doc(erasure), session=self._session)
        if result.matched_count == 0:
            raise ConcurrencyConflict(f"erasure {erasure.id} changed since version {erasure.persisted_version}")
        self._track(erasure)

    async def get(self, tenant: str, erasure_id: str) -> Erasure | None:
        doc = await self._col.find_one({"_id": erasure_id, "tenant": tenant}, session=self._session)
        if doc is None:
            return None
        erasure = Erasure(id=doc["_id"], tenant=doc["tenant"], version=doc["version"], member_id=doc["member_id"],
                          member_ref=doc["member_ref"], requested_at=doc["requested_at"], deadline=doc["deadline"],
                          requested_by_role=doc["requested_by_role"], confirmations=doc["confirmations"],
                          completed_at=doc["completed_at"])
        self._track(erasure)
        return erasure

    async def overdue(self, now: datetime) -> list[tuple[str, str]]:
        cursor = self._col.find({"state": "in-progress", "deadline": {"$lt": now}}, {"tenant": 1},
                                session=self._session)
        return [(d["tenant"], d["_id"]) async for d in cursor]
