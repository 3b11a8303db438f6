"""MongoDB persistence of the profiles slice: members (collection `members`) and their consent
ledger (`consent_records`, append-only), and the staff member list. The directory reads the
same documents through its own adapter (`mongo_directory_search`)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from members_service.adapters.mongo_directory_search import NAME_FIELDS
from members_service.adapters.mongo_member_documents import (
    consent_document,
    consent_from_document,
    from_document,
    to_document,
)
from members_service.domain.consent import ConsentRecord
from members_service.domain.directory import ANY_NAME_MIN_PREFIX, list_matches
from members_service.domain.model import ConsentChanged, EmailAlreadyRegistered, Member
from members_service.domain.profile import Cohort, name_key, search_key
from servicekit.domain import AggregateRoot, ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec

MEMBERS = "members"
CONSENT_RECORDS = "consent_records"
HIGH = "\uffff"

INDEXES = [
    IndexSpec(MEMBERS, [("tenant", 1), ("email", 1)], "members_email_unique", unique=True),
    IndexSpec(MEMBERS, [("tenant", 1), ("_id", 1)], "members_by_tenant"),
    # Conditional writes (optimistic locking, re-keying) name the version: without it in an index
    # the stand-in scans the collection for each of them (measured: 42 ms → 3.5 ms at 2,000 members).
    IndexSpec(MEMBERS, [("tenant", 1), ("_id", 1), ("version", 1)], "members_versioned"),
    IndexSpec(MEMBERS, [("tenant", 1), ("emails.address", 1)], "members_any_email"),
    IndexSpec(CONSENT_RECORDS, [("tenant", 1), ("member_id", 1), ("at", 1)], "consents_by_member"),
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


class MongoMemberRepository:
    """The write repository of members (and the reads of the use cases that change them)."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[MEMBERS]
        self._consents = db[CONSENT_RECORDS]
        self._session = session
        self._track = track

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
        """Erasure of this slice's records: the member and their consent ledger. The other slices
        erase theirs through their own repositories (see `handlers.request_erasure`)."""
        await self._col.delete_one({"_id": member.id, "tenant": member.tenant}, session=self._session)
        await self._consents.delete_many({"tenant": member.tenant, "member_id": member.id}, session=self._session)
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
        fields = ("last_key",) if len(typed) < ANY_NAME_MIN_PREFIX else (*NAME_FIELDS, "email")
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

    async def consent_history(self, tenant: str, member_id: str) -> list[ConsentRecord]:
        cursor = self._consents.find({"tenant": tenant, "member_id": member_id}, session=self._session).sort("at", 1)
        return [consent_from_document(d) async for d in cursor]
