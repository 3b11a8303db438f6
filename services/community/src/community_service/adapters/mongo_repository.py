"""MongoDB adapters of community: the members projection, helpers, help requests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from community_service.adapters.mongo_outcomes import OUTCOME_INDEXES
from community_service.domain.benefits import Benefit
from community_service.domain.helping import Helper, HelpRequest, Offer, OfferStatus, Status, Target
from community_service.domain.jobs import JobOffer, JobStatus, Poster
from servicekit.domain import AggregateRoot, ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec
from servicekit.segments import AUDIENCE, AudienceMember

MEMBERS = AUDIENCE  # the shared audience projection (servicekit.segments)
HELPERS = "helpers"
HELP_REQUESTS = "help_requests"
JOBS = "jobs"
SAVED_JOBS = "saved_jobs"
BENEFITS = "benefits"
REDEMPTIONS = "benefit_redemptions"
ERASED = "erased"

INDEXES = [
    IndexSpec(HELPERS, [("tenant", 1), ("topics", 1)], "helpers_by_topic"),
    IndexSpec(HELP_REQUESTS, [("tenant", 1), ("requester_id", 1), ("created_at", -1)], "help_requests_by_requester"),
    IndexSpec(HELP_REQUESTS, [("tenant", 1), ("offers.helper_id", 1)], "help_requests_by_helper"),
    IndexSpec(HELP_REQUESTS, [("tenant", 1), ("created_at", -1)], "help_requests_by_date"),
    # The scheduler's sweep over every tenant (tenant_guard ALLOW_LIST): due (tenant, id) pairs.
    IndexSpec(HELP_REQUESTS, [("next_check_at", 1)], "help_requests_due"),
    IndexSpec(JOBS, [("tenant", 1), ("status", 1), ("published_at", -1)], "jobs_by_status"),
    IndexSpec(JOBS, [("tenant", 1), ("poster_key", 1), ("created_at", -1)], "jobs_by_poster"),
    # The expiry sweep over every tenant (tenant_guard ALLOW_LIST).
    IndexSpec(JOBS, [("status", 1), ("expires_at", 1)], "jobs_expiry"),
    IndexSpec(SAVED_JOBS, [("tenant", 1), ("member_id", 1), ("saved_at", -1)], "saved_jobs_by_member"),
    IndexSpec(BENEFITS, [("tenant", 1), ("created_at", -1)], "benefits_by_date"),
    IndexSpec(REDEMPTIONS, [("tenant", 1), ("member_id", 1)], "redemptions_by_member"),
]
INDEXES += OUTCOME_INDEXES  # the outcomes surveys (adapters.mongo_outcomes)


@dataclass(frozen=True)
class MemberRow:
    member_id: str
    first_name: str
    last_name: str
    email: str | None
    cohort_year: int | None
    program: str = ""


class MongoMemberProjection:
    """Read side of the shared audience projection (`servicekit.segments`, collection `audience`,
    fed by the `audience` lane): the names, email and main cohort community needs."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[AUDIENCE]
        self._session = session

    async def get(self, tenant: str, member_id: str) -> MemberRow | None:
        d = await self._col.find_one({"_id": member_id, "tenant": tenant}, session=self._session)
        if d is None or not d.get("known"):  # a consent or dues event may arrive before the registration
            return None
        m = AudienceMember.of(d)
        return MemberRow(m.member_id, m.first_name, m.last_name, m.email,
                         m.cohorts[0][1] if m.cohorts else None, m.cohorts[0][0] if m.cohorts else "")


def _helper_doc(h: Helper) -> Document:
    return {"_id": f"{h.member_id}", "tenant": h.tenant, "member_id": h.member_id, "topics": list(h.topics),
            "monthly_capacity": h.monthly_capacity, "active": h.active, "sector": h.sector, "city": h.city,
            "employer": h.employer, "cohort_year": h.cohort_year, "offers_month": h.offers_month,
            "offers_in_month": h.offers_in_month, "last_offered_at": h.last_offered_at, "updated_at": h.updated_at}


def _helper(d: Document) -> Helper:
    return Helper(member_id=d["member_id"], tenant=d["tenant"], topics=tuple(d.get("topics", ())),
                  monthly_capacity=d["monthly_capacity"], active=d["active"], sector=d.get("sector", ""),
                  city=d.get("city", ""), employer=d.get("employer", ""), cohort_year=d.get("cohort_year"),
                  offers_month=d.get("offers_month", ""), offers_in_month=d.get("offers_in_month", 0),
                  last_offered_at=d.get("last_offered_at"), updated_at=d.get("updated_at"))


class MongoHelperRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[HELPERS]
        self._session = session

    async def get(self, tenant: str, member_id: str) -> Helper | None:
        d = await self._col.find_one({"tenant": tenant, "_id": member_id}, session=self._session)
        return None if d is None else _helper(d)

    async def save(self, helper: Helper) -> None:
        doc = _helper_doc(helper)
        await self._col.replace_one({"tenant": helper.tenant, "_id": doc["_id"]}, doc, upsert=True,
                                    session=self._session)

    async def candidates(self, tenant: str, topic: str) -> list[Helper]:
        """Helpers of a topic ("" = all of them); routing ranks them in memory."""
        where: Document = {"tenant": tenant}
        if topic:
            where["topics"] = topic
        return [_helper(d) async for d in self._col.find(where, session=self._session).limit(5000)]

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_one({"tenant": tenant, "_id": member_id}, session=self._session)
        return int(result.deleted_count)


def _request_doc(r: HelpRequest) -> Document:
    t = r.target
    return {"_id": r.id, "tenant": r.tenant, "version": r.version, "requester_id": r.requester_id,
            "requester_cohort_year": r.requester_cohort_year, "requester_program": r.requester_program,
            "topic": r.topic, "summary": r.summary,
            "target": {"sector": t.sector, "city": t.city, "employer": t.employer, "cohort_year": t.cohort_year},
            "status": r.status.value, "round": r.round,
            "offers": [{"helper_id": o.helper_id, "round": o.round, "offered_at": o.offered_at,
                        "status": o.status.value, "answered_at": o.answered_at, "nudged_at": o.nudged_at}
                       for o in r.offers],
            "created_at": r.created_at, "next_check_at": r.next_check_at, "round_started_at": r.round_started_at,
            "first_answer_at": r.first_answer_at, "accepted_at": r.accepted_at, "met_at": r.met_at,
            "outcome": r.outcome, "outcome_at": r.outcome_at, "helper_id": r.helper_id}


def _request(d: Document) -> HelpRequest:
    t: dict[str, Any] = d.get("target") or {}
    return HelpRequest(
        id=d["_id"], tenant=d["tenant"], version=d["version"], requester_id=d["requester_id"],
        requester_cohort_year=d.get("requester_cohort_year"), requester_program=d.get("requester_program", ""),
        topic=d["topic"], summary=d.get("summary", ""),
        target=Target(t.get("sector", ""), t.get("city", ""), t.get("employer", ""), t.get("cohort_year")),
        status=Status(d["status"]), round=d.get("round", 0),
        offers=[Offer(o["helper_id"], o["round"], o["offered_at"], OfferStatus(o["status"]), o.get("answered_at"),
                      o.get("nudged_at")) for o in d.get("offers", [])],
        created_at=d.get("created_at"), next_check_at=d.get("next_check_at"),
        round_started_at=d.get("round_started_at"), first_answer_at=d.get("first_answer_at"),
        accepted_at=d.get("accepted_at"), met_at=d.get("met_at"), outcome=d.get("outcome"),
        outcome_at=d.get("outcome_at"), helper_id=d.get("helper_id"))


class MongoHelpRequestRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[HELP_REQUESTS]
        self._session = session
        self._track = track

    async def add(self, request: HelpRequest) -> None:
        await self._col.insert_one(_request_doc(request), session=self._session)
        self._track(request)

    async def get(self, tenant: str, request_id: str) -> HelpRequest | None:
        d = await self._col.find_one({"tenant": tenant, "_id": request_id}, session=self._session)
        return None if d is None else _request(d)

    async def save(self, request: HelpRequest) -> None:
        if request.version == request.persisted_version:
            request.version += 1  # a change without an event of its own still moves the version
        result = await self._col.replace_one(
            {"tenant": request.tenant, "_id": request.id, "version": request.persisted_version},
            _request_doc(request), session=self._session)
        if result.matched_count != 1:
            raise ConcurrencyConflict(f"help request {request.id} changed meanwhile")
        self._track(request)

    async def _find(self, where: Document, limit: int) -> list[HelpRequest]:
        cursor = self._col.find(where, session=self._session).sort("created_at", -1).limit(limit)
        return [_request(d) async for d in cursor]

    async def of_requester(self, tenant: str, member_id: str, limit: int) -> list[HelpRequest]:
        return await self._find({"tenant": tenant, "requester_id": member_id}, limit)

    async def offered_to(self, tenant: str, member_id: str, limit: int) -> list[HelpRequest]:
        return await self._find({"tenant": tenant, "offers.helper_id": member_id}, limit)

    async def of_tenant(self, tenant: str, status: str | None, limit: int) -> list[HelpRequest]:
        where: Document = {"tenant": tenant}
        if status:
            where["status"] = status
        return await self._find(where, limit)

    async def due(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        """(tenant, id) of requests the scheduler should look at; read outside a transaction
        (each is then reloaded by tenant and id in its own)."""
        cursor = self._col.find({"next_check_at": {"$lte": now}}, {"_id": 1, "tenant": 1}) \
            .sort("next_check_at", 1).limit(limit)
        return [(d["tenant"], d["_id"]) async for d in cursor]

    async def erase(self, tenant: str, member_id: str) -> dict[str, int]:
        """A requester's requests keep their dates and statuses (figures) under a pseudonym,
        without the summary; a helper's offers keep only the pseudonym."""
        s = self._session
        asked = await self._col.update_many(
            {"tenant": tenant, "requester_id": member_id},
            {"$set": {"requester_id": ERASED, "summary": "", "target.employer": "", "target.city": "",
                      "target.sector": ""}}, session=s)
        helped = await self._col.update_many(
            {"tenant": tenant, "offers.helper_id": member_id},
            {"$set": {"offers.$[o].helper_id": ERASED}}, array_filters=[{"o.helper_id": member_id}], session=s)
        await self._col.update_many({"tenant": tenant, "helper_id": member_id}, {"$set": {"helper_id": ERASED}},
                                    session=s)
        return {HELP_REQUESTS: int(asked.modified_count) + int(helped.modified_count)}


def _job_doc(j: JobOffer) -> Document:
    return {"_id": j.id, "tenant": j.tenant, "version": j.version, "poster_kind": j.poster.kind,
            "poster_id": j.poster.id, "poster_key": j.poster.key, "title": j.title, "company": j.company,
            "city": j.city, "country": j.country, "sector": j.sector, "contract": j.contract, "remote": j.remote,
            "description_fr": j.description_fr, "description_en": j.description_en, "html_fr": j.html_fr,
            "html_en": j.html_en, "apply_url": j.apply_url, "apply_email": j.apply_email, "status": j.status.value,
            "created_at": j.created_at, "published_at": j.published_at, "expires_at": j.expires_at,
            "review_reason": j.review_reason, "saves": j.saves}


def _job(d: Document) -> JobOffer:
    return JobOffer(id=d["_id"], tenant=d["tenant"], version=d["version"], poster=Poster(d["poster_kind"], d["poster_id"]),
                    title=d["title"], company=d["company"], city=d["city"], country=d["country"], sector=d["sector"],
                    contract=d["contract"], remote=d["remote"], description_fr=d["description_fr"],
                    description_en=d["description_en"], html_fr=d["html_fr"], html_en=d["html_en"],
                    apply_url=d.get("apply_url"), apply_email=d.get("apply_email"), status=JobStatus(d["status"]),
                    created_at=d.get("created_at"), published_at=d.get("published_at"),
                    expires_at=d.get("expires_at"), review_reason=d.get("review_reason"), saves=d.get("saves", 0))


class MongoJobRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[JOBS]
        self._session = session
        self._track = track

    async def add(self, job: JobOffer) -> None:
        await self._col.insert_one(_job_doc(job), session=self._session)
        self._track(job)

    async def get(self, tenant: str, job_id: str) -> JobOffer | None:
        d = await self._col.find_one({"tenant": tenant, "_id": job_id}, session=self._session)
        return None if d is None else _job(d)

    async def save(self, job: JobOffer) -> None:
        if job.version == job.persisted_version:
            job.version += 1
        result = await self._col.replace_one({"tenant": job.tenant, "_id": job.id, "version": job.persisted_version},
                                             _job_doc(job), session=self._session)
        if result.matched_count != 1:
            raise ConcurrencyConflict(f"job offer {job.id} changed meanwhile")
        self._track(job)

    async def _find(self, where: Document, sort: str, limit: int) -> list[JobOffer]:
        cursor = self._col.find(where, session=self._session).sort(sort, -1).limit(limit)
        return [_job(d) async for d in cursor]

    async def listed(self, tenant: str, now: datetime, limit: int) -> list[JobOffer]:
        found = await self._find({"tenant": tenant, "status": JobStatus.PUBLISHED.value}, "published_at", limit)
        return [j for j in found if j.is_listed(now)]

    async def pending(self, tenant: str, limit: int) -> list[JobOffer]:
        return await self._find({"tenant": tenant, "status": JobStatus.PENDING.value}, "created_at", limit)

    async def of_poster(self, tenant: str, poster_key: str, limit: int) -> list[JobOffer]:
        return await self._find({"tenant": tenant, "poster_key": poster_key}, "created_at", limit)

    async def many(self, tenant: str, job_ids: list[str]) -> list[JobOffer]:
        if not job_ids:
            return []
        return await self._find({"tenant": tenant, "_id": {"$in": job_ids}}, "published_at", len(job_ids))

    async def due_expiry(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        """(tenant, id) of published offers past their date; read outside a transaction."""
        cursor = self._col.find({"status": JobStatus.PUBLISHED.value, "expires_at": {"$lte": now}},
                                {"_id": 1, "tenant": 1}).limit(limit)
        return [(d["tenant"], d["_id"]) async for d in cursor]

    async def erase_poster(self, tenant: str, poster_key: str) -> int:
        """An erased alumnus's offers are withdrawn and lose their contact (the company's
        offer text stays with the office for its records, under a pseudonym)."""
        result = await self._col.update_many(
            {"tenant": tenant, "poster_key": poster_key},
            {"$set": {"status": JobStatus.WITHDRAWN.value, "poster_id": ERASED, "poster_key": f"alumnus:{ERASED}",
                      "apply_email": None}, "$inc": {"version": 1}}, session=self._session)
        return int(result.modified_count)


class MongoSavedJobs:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[SAVED_JOBS]
        self._session = session

    async def set(self, tenant: str, member_id: str, job_id: str, saved: bool, now: datetime) -> bool:
        """True when it changed something (a repeated save counts once)."""
        key = {"_id": f"{member_id}:{job_id}", "tenant": tenant}
        if not saved:
            return int((await self._col.delete_one(key, session=self._session)).deleted_count) == 1
        if await self._col.find_one(key, {"_id": 1}, session=self._session) is not None:
            return False
        await self._col.insert_one({**key, "member_id": member_id, "job_id": job_id, "saved_at": now},
                                   session=self._session)
        return True

    async def of_member(self, tenant: str, member_id: str, limit: int) -> list[str]:
        cursor = self._col.find({"tenant": tenant, "member_id": member_id}, {"job_id": 1},
                                session=self._session).sort("saved_at", -1).limit(limit)
        return [d["job_id"] async for d in cursor]

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_many({"tenant": tenant, "member_id": member_id}, session=self._session)
        return int(result.deleted_count)


class MongoMembershipProjection:
    """Each member's dues-membership state, from the same audience projection (members'
    `membership_*` transitions folded by `servicekit.segments`: the latest by its `at` wins)."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[AUDIENCE]
        self._session = session

    async def status(self, tenant: str, member_id: str) -> str | None:
        d = await self._col.find_one({"_id": member_id, "tenant": tenant}, {"membership_state": 1},
                                     session=self._session)
        return None if d is None or d.get("membership_state") is None else str(d["membership_state"])


def _benefit_doc(b: Benefit) -> Document:
    return {"_id": b.id, "tenant": b.tenant, "version": b.version, "title": b.title, "partner": b.partner,
            "description": b.description, "conditions": b.conditions, "members_only": b.members_only,
            "code": b.code, "valid_from": b.valid_from, "valid_until": b.valid_until,
            "redemptions": b.redemptions, "created_at": b.created_at}


def _benefit(d: Document) -> Benefit:
    return Benefit(id=d["_id"], tenant=d["tenant"], version=d["version"], title=d["title"], partner=d["partner"],
                   description=d["description"], conditions=d["conditions"], members_only=d["members_only"],
                   code=d["code"], valid_from=d.get("valid_from"), valid_until=d.get("valid_until"),
                   redemptions=d.get("redemptions", 0), created_at=d.get("created_at"))


class MongoBenefitRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[BENEFITS]
        self._redemptions = db[REDEMPTIONS]
        self._session = session
        self._track = track

    async def add(self, benefit: Benefit) -> None:
        await self._col.insert_one(_benefit_doc(benefit), session=self._session)
        self._track(benefit)

    async def get(self, tenant: str, benefit_id: str) -> Benefit | None:
        d = await self._col.find_one({"tenant": tenant, "_id": benefit_id}, session=self._session)
        return None if d is None else _benefit(d)

    async def save(self, benefit: Benefit) -> None:
        result = await self._col.replace_one(
            {"tenant": benefit.tenant, "_id": benefit.id, "version": benefit.persisted_version},
            _benefit_doc(benefit), session=self._session)
        if result.matched_count != 1:
            raise ConcurrencyConflict(f"benefit {benefit.id} changed meanwhile")
        self._track(benefit)

    async def of_tenant(self, tenant: str, limit: int) -> list[Benefit]:
        cursor = self._col.find({"tenant": tenant}, session=self._session).sort("created_at", -1).limit(limit)
        return [_benefit(d) async for d in cursor]

    async def record_redemption(self, tenant: str, benefit_id: str, member_id: str, now: datetime) -> bool:
        """True the first time this member redeems this benefit (it is counted once)."""
        key = {"tenant": tenant, "_id": f"{benefit_id}:{member_id}"}
        if await self._redemptions.find_one(key, {"_id": 1}, session=self._session) is not None:
            return False
        await self._redemptions.insert_one({**key, "benefit_id": benefit_id, "member_id": member_id,
                                            "redeemed_at": now}, session=self._session)
        return True

    async def redeemed_by(self, tenant: str, member_id: str) -> set[str]:
        cursor = self._redemptions.find({"tenant": tenant, "member_id": member_id}, {"benefit_id": 1},
                                        session=self._session)
        return {d["benefit_id"] async for d in cursor}

    async def erase_member(self, tenant: str, member_id: str) -> int:
        """The member's redemptions go; the benefits keep their counts (no one identifiable)."""
        result = await self._redemptions.delete_many({"tenant": tenant, "member_id": member_id}, session=self._session)
        return int(result.deleted_count)
