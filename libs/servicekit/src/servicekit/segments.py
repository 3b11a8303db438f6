"""The audience projection: who a segment (`alumni_contracts.segments`) selects, in each service's
own database.

Any service that targets alumni (events invites, notifications sends newsletters, …) runs this
projection over the members' events into its **own** `audience` collection, one document per
member, and evaluates segments against it — never against the members database. Every service
runs the same code, so two services fed the same history select the same people.

Three parts:

- `fold(document, change)`: pure; the document after one event, or None when the event is
  stale. Each group of fields keeps the stamp of the event it reflects (the member's aggregate
  version for the profile, each consent purpose and the ambassador flag; the event time, then
  the version, for each group membership and for the dues membership, which belong to other
  aggregates), so a redelivered or overtaken event never overwrites a newer state and the
  result does not depend on the order events arrive in.
- `matches(segment, member)` and `segment_filter(segment, tenant)`: the same rule twice, in
  Python and as a MongoDB filter (a property test holds them to agree).
- `audience_handlers(consumer, uow_factory)`: the subscribers, on the `audience` lane of the
  service (own durables, own inbox records), each applying one event in one transaction with
  its inbox row.

GDPR: the service's erasure (`MongoUnitOfWork.scrub_member`) deletes the member's audience
document in the erasure's own transaction and its tombstone keeps late events from
re-creating it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.members import membership_v1 as dues
from alumni_contracts.members.v1 import (
    AmbassadorAppointed,
    AmbassadorRevoked,
    GroupMembershipChanged,
    MemberConsentChanged,
)
from alumni_contracts.members.v2 import MemberProfileUpdated, MemberRegistered
from alumni_contracts.segments import Segment, segment_key
from alumni_contracts.subscriptions import Subscription, subscriptions_of
from servicekit.messaging import EventHandler
from servicekit.mongo import Document, IndexSpec
from servicekit.personal_data import is_erased
from servicekit.uow import MongoUnitOfWork, UnitOfWork

AUDIENCE = "audience"
LANE = "audience"

AUDIENCE_INDEXES = [
    IndexSpec(AUDIENCE, [("tenant", 1), ("cohorts.graduation_year", 1)], "audience_by_cohort_year"),
    IndexSpec(AUDIENCE, [("tenant", 1), ("groups", 1)], "audience_by_group"),
]


# --- changes: what one event says about a member -------------------------------------------

@dataclass(frozen=True)
class ProfileChange:
    member_id: str
    version: int
    first_name: str
    last_name: str
    email: str | None
    locale: str
    cohorts: tuple[tuple[str, int], ...]  # (program, graduation year), main one first
    email_bounced: bool = False
    deceased: bool = False
    city: str | None = None
    country: str | None = None
    # A registration says nothing of the city: it must not erase what a profile update said.
    has_location: bool = True


@dataclass(frozen=True)
class ConsentChange:
    member_id: str
    version: int
    purpose: str
    granted: bool


@dataclass(frozen=True)
class AmbassadorChange:
    member_id: str
    version: int
    ambassador: bool


@dataclass(frozen=True)
class GroupChange:
    member_id: str
    group_id: str
    active: bool
    at: datetime
    version: int


@dataclass(frozen=True)
class MembershipChange:
    member_id: str
    membership_id: str
    state: str
    at: datetime
    version: int


Change = ProfileChange | ConsentChange | AmbassadorChange | GroupChange | MembershipChange


def _stamp(at: datetime, version: int) -> list[Any]:
    return [at.astimezone(UTC).replace(tzinfo=None), version]  # BSON dates come back naive UTC


def _newer(stored: Any, stamp: list[Any]) -> bool:
    if not isinstance(stored, list) or len(stored) != 2:
        return True
    old_at = stored[0].replace(tzinfo=None) if isinstance(stored[0], datetime) else stored[0]
    return (stamp[0], stamp[1]) > (old_at, stored[1])


def fold(document: Mapping[str, Any] | None, tenant: str, change: Change) -> Document | None:
    """The member's audience document after `change`, or None if the change is stale or repeated."""
    doc: Document = dict(document) if document else {"_id": change.member_id, "tenant": tenant}
    match change:
        case ProfileChange():
            if doc.get("profile_v", 0) >= change.version:
                return None
            doc.update({
                "known": True, "profile_v": change.version, "first_name": change.first_name,
                "last_name": change.last_name, "email": change.email, "locale": change.locale,
                "email_bounced": change.email_bounced, "deceased": change.deceased,
                "cohorts": [{"program": p, "program_key": segment_key(p), "graduation_year": y}
                            for p, y in change.cohorts]})
            if change.has_location:
                doc.update({"city": change.city, "city_key": segment_key(change.city) if change.city else None,
                            "country": change.country})
            else:
                doc.setdefault("city", None)
                doc.setdefault("city_key", None)
                doc.setdefault("country", None)
        case ConsentChange():
            consents = dict(doc.get("consents") or {})
            if (consents.get(change.purpose) or {}).get("v", 0) >= change.version:
                return None
            consents[change.purpose] = {"granted": change.granted, "v": change.version}
            doc["consents"] = consents
        case AmbassadorChange():
            if doc.get("ambassador_v", 0) >= change.version:
                return None
            doc.update({"ambassador": change.ambassador, "ambassador_v": change.version})
        case GroupChange():
            states = dict(doc.get("group_states") or {})
            stamp = _stamp(change.at, change.version)
            if not _newer((states.get(change.group_id) or {}).get("stamp"), stamp):
                return None
            states[change.group_id] = {"active": change.active, "stamp": stamp}
            doc["group_states"] = states
            doc["groups"] = sorted(g for g, s in states.items() if s["active"])
        case MembershipChange():
            stamp = _stamp(change.at, change.version)
            if not _newer((doc.get("membership") or {}).get("stamp"), stamp):
                return None
            doc["membership"] = {"id": change.membership_id, "state": change.state, "stamp": stamp}
            doc["membership_state"] = change.state
    doc.setdefault("known", False)
    doc.setdefault("deceased", False)
    doc.setdefault("ambassador", False)
    doc.setdefault("groups", [])
    doc.setdefault("membership_state", None)
    doc.setdefault("consents", {})
    doc["contactable"] = bool(doc.get("email")) and not doc.get("email_bounced") and not doc["deceased"]
    return doc


# --- evaluation: the same rule in Python and as a MongoDB filter ---------------------------

@dataclass(frozen=True)
class AudienceMember:
    """What a segment looks at, read from an audience document."""

    member_id: str
    known: bool = True
    cohorts: tuple[tuple[str, int], ...] = ()
    city: str | None = None
    country: str | None = None
    groups: frozenset[str] = frozenset()
    ambassador: bool = False
    membership_state: str | None = None
    granted: frozenset[str] = frozenset()  # consent purposes currently granted
    deceased: bool = False
    email: str | None = None
    contactable: bool = False
    locale: str = "fr"
    first_name: str = ""
    last_name: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> AudienceMember:
        return cls(
            member_id=str(doc["_id"]), known=bool(doc.get("known")),
            cohorts=tuple((c["program"], c["graduation_year"]) for c in doc.get("cohorts") or ()),
            city=doc.get("city"), country=doc.get("country"), groups=frozenset(doc.get("groups") or ()),
            ambassador=bool(doc.get("ambassador")), membership_state=doc.get("membership_state"),
            granted=frozenset(p for p, c in (doc.get("consents") or {}).items() if c.get("granted")),
            deceased=bool(doc.get("deceased")), email=doc.get("email"), contactable=bool(doc.get("contactable")),
            locale=doc.get("locale") or "fr", first_name=doc.get("first_name") or "",
            last_name=doc.get("last_name") or "")


def matches(segment: Segment, member: AudienceMember) -> bool:
    """Whether the member belongs to the segment (the rules of `alumni_contracts.segments`)."""
    if not member.known or member.deceased:
        return False
    years, programs = set(segment.cohort_years), {segment_key(p) for p in segment.programs}
    if (years or programs) and not any((not years or y in years) and (not programs or segment_key(p) in programs)
                                       for p, y in member.cohorts):
        return False
    if segment.cities and (member.city is None
                           or segment_key(member.city) not in {segment_key(c) for c in segment.cities}):
        return False
    if segment.countries and member.country not in segment.countries:
        return False
    if segment.groups and not member.groups & set(segment.groups):
        return False
    if segment.ambassadors_only and not member.ambassador:
        return False
    if segment.membership_states and member.membership_state not in {s.value for s in segment.membership_states}:
        return False
    return not (segment.consent_purpose is not None and segment.consent_purpose.value not in member.granted)


def segment_filter(segment: Segment, tenant: str) -> Document:
    """The MongoDB filter selecting exactly the audience documents `matches` accepts."""
    query: Document = {"tenant": tenant, "known": True, "deceased": False}
    years = list(dict.fromkeys(segment.cohort_years))
    programs = list(dict.fromkeys(segment_key(p) for p in segment.programs))
    if years and programs:
        query["cohorts"] = {"$elemMatch": {"graduation_year": {"$in": years}, "program_key": {"$in": programs}}}
    elif years:
        query["cohorts.graduation_year"] = {"$in": years}
    elif programs:
        query["cohorts.program_key"] = {"$in": programs}
    if segment.cities:
        query["city_key"] = {"$in": list(dict.fromkeys(segment_key(c) for c in segment.cities))}
    if segment.countries:
        query["country"] = {"$in": list(segment.countries)}
    if segment.groups:
        query["groups"] = {"$in": list(segment.groups)}
    if segment.ambassadors_only:
        query["ambassador"] = True
    if segment.membership_states:
        query["membership_state"] = {"$in": [s.value for s in segment.membership_states]}
    if segment.consent_purpose is not None:
        query[f"consents.{segment.consent_purpose.value}.granted"] = True
    return query


# --- storage ---------------------------------------------------------------------------------

class AudienceStore(Protocol):
    async def get(self, tenant: str, member_id: str) -> Document | None: ...
    async def put(self, doc: Document) -> None: ...
    async def erased(self, tenant: str, member_id: str) -> bool: ...


class AudienceUnitOfWorkPort(UnitOfWork, Protocol):
    @property
    def audience(self) -> AudienceStore: ...


class MongoAudience:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None,
                 collection: str = AUDIENCE) -> None:
        self._db = db
        self._col: AsyncCollection[Document] = db[collection]
        self._session = session

    async def get(self, tenant: str, member_id: str) -> Document | None:
        return await self._col.find_one({"_id": member_id, "tenant": tenant}, session=self._session)

    async def put(self, doc: Document) -> None:
        await self._col.replace_one({"_id": doc["_id"], "tenant": doc["tenant"]}, doc, upsert=True,
                                    session=self._session)

    async def erased(self, tenant: str, member_id: str) -> bool:
        return await is_erased(self._db, tenant, member_id, self._session)


class MongoAudienceUnitOfWork(MongoUnitOfWork):
    """A unit of work of the audience lane: the projection write and the inbox row, together."""

    audience: MongoAudience

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.audience = MongoAudience(db, session)


async def apply(tenant: str, change: Change, uow: AudienceUnitOfWorkPort) -> bool:
    """Apply one change in one transaction (with the inbox row of the event); True if it changed."""
    async with uow:
        applied = False
        if not await uow.audience.erased(tenant, change.member_id):  # a late event must not resurrect
            doc = fold(await uow.audience.get(tenant, change.member_id), tenant, change)
            if doc is not None:
                await uow.audience.put(doc)
                applied = True
        await uow.commit()  # the inbox row, even for a stale event
    return applied


async def select(db: AsyncDatabase[Document], tenant: str, segment: Segment, *, contactable_only: bool = False,
                 after: str | None = None, batch_size: int = 500) -> AsyncIterator[AudienceMember]:
    """The members of the segment in member-id order (resumable from `after`)."""
    query = segment_filter(segment, tenant)
    if contactable_only:
        query["contactable"] = True
    if after is not None:
        query["_id"] = {"$gt": after}
    async for doc in db[AUDIENCE].find(query, batch_size=batch_size).sort("_id", 1):
        yield AudienceMember.of(doc)


async def count(db: AsyncDatabase[Document], tenant: str, segment: Segment, *, contactable_only: bool = False) -> int:
    query = segment_filter(segment, tenant)
    if contactable_only:
        query["contactable"] = True
    return await db[AUDIENCE].count_documents(query)


# --- subscribers -------------------------------------------------------------------------------

def change_of(event: CloudEvent[Any]) -> Change | None:
    """The audience change an event carries (None for an event that says nothing of it)."""
    d = event.data
    version = event.aggregateversion or 0
    if isinstance(d, MemberRegistered):
        return ProfileChange(d.member_id, version, d.first_name, d.last_name, str(d.email) if d.email else None,
                             d.locale.value, ((d.cohort.program, d.cohort.graduation_year),), has_location=False)
    if isinstance(d, MemberProfileUpdated):
        return ProfileChange(d.member_id, version, d.first_name, d.last_name, str(d.email) if d.email else None,
                             d.locale.value, tuple((c.program, c.graduation_year) for c in d.cohorts),
                             email_bounced=d.email_bounced, deceased=d.deceased, city=d.city, country=d.country)
    if isinstance(d, MemberConsentChanged):
        return ConsentChange(d.member_id, version, d.purpose.value, d.granted)
    if isinstance(d, AmbassadorAppointed):
        return AmbassadorChange(d.member_id, version, True)
    if isinstance(d, AmbassadorRevoked):
        return AmbassadorChange(d.member_id, version, False)
    if isinstance(d, GroupMembershipChanged):
        return GroupChange(d.member_id, d.group_id, d.status == "active", d.changed_at, version)
    if isinstance(d, dues.MembershipActivated | dues.MembershipRenewed | dues.MembershipEnteredGrace
                  | dues.MembershipLapsed | dues.MembershipCancelled | dues.MembershipBecameLifetime):
        return MembershipChange(d.member_id, d.membership_id, d.status.value, d.at, version)
    return None


def audience_subscriptions(consumer: str) -> list[Subscription]:
    return [s for s in subscriptions_of(consumer) if s.lane == LANE]


def audience_handlers(consumer: str, uow_factory: Callable[[], AudienceUnitOfWorkPort]
                      ) -> list[tuple[Subscription, EventHandler]]:
    """The subscribers of `consumer`'s audience lane (declared in `alumni_contracts.subscriptions`)."""
    async def on_event(event: CloudEvent[Any]) -> None:
        change = change_of(event)
        if change is not None:
            await apply(event.tenant, change, uow_factory())

    subs = audience_subscriptions(consumer)
    if not subs:
        raise LookupError(f"{consumer} declares no subscription on the {LANE} lane")
    return [(s, on_event) for s in subs]


async def erase(db: AsyncDatabase[Document], tenant: str, member_id: str, session: AsyncClientSession) -> int:
    """Delete the member's audience document (part of the service's erasure transaction)."""
    result = await db[AUDIENCE].delete_one({"_id": member_id, "tenant": tenant}, session=session)
    return result.deleted_count
