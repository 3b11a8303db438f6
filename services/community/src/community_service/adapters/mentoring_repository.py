"""MongoDB adapters of mentoring: programs, participants (enrolments), mentorships.

Calendar dates (program dates, check-in days) are stored as ISO strings: BSON has no date type."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from community_service.domain.mentoring import (
    ERASED,
    CheckInNote,
    Matching,
    Mentorship,
    Participant,
    Program,
    ProgramStatus,
    Reason,
    Role,
    Status,
    Survey,
)
from servicekit.domain import AggregateRoot, ConcurrencyConflict, utcnow
from servicekit.mongo import Document, IndexSpec

PROGRAMS = "mentoring_programs"
PARTICIPANTS = "mentoring_participants"
MENTORSHIPS = "mentorships"

MENTORING_INDEXES = [
    IndexSpec(PROGRAMS, [("tenant", 1), ("created_at", -1)], "mentoring_programs_by_date"),
    IndexSpec(PARTICIPANTS, [("tenant", 1), ("program_id", 1)], "mentoring_participants_by_program"),
    IndexSpec(PARTICIPANTS, [("tenant", 1), ("member_id", 1)], "mentoring_participants_by_member"),
    IndexSpec(MENTORSHIPS, [("tenant", 1), ("program_id", 1), ("matched_at", -1)], "mentorships_by_program"),
    IndexSpec(MENTORSHIPS, [("tenant", 1), ("mentor_id", 1)], "mentorships_by_mentor"),
    IndexSpec(MENTORSHIPS, [("tenant", 1), ("mentee_id", 1)], "mentorships_by_mentee"),
    IndexSpec(MENTORSHIPS, [("tenant", 1), ("matched_at", -1)], "mentorships_by_date"),
]


def export_queries(tenant: str, member_id: str) -> dict[str, Document]:
    """What a GDPR export lists of the member's mentoring data."""
    return {PARTICIPANTS: {"tenant": tenant, "member_id": member_id},
            MENTORSHIPS: {"tenant": tenant, "$or": [{"mentor_id": member_id}, {"mentee_id": member_id}]}}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _program_doc(p: Program) -> Document:
    return {"_id": p.id, "tenant": p.tenant, "version": p.version, "name_fr": p.name_fr, "name_en": p.name_en,
            "description": p.description, "starts_on": _day(p.starts_on), "ends_on": _day(p.ends_on),
            "matching": p.matching.value, "max_mentees_per_mentor": p.max_mentees_per_mentor,
            "status": p.status.value, "created_at": p.created_at, "opened_at": p.opened_at, "closed_at": p.closed_at}


def _program(d: Document) -> Program:
    return Program(id=d["_id"], tenant=d["tenant"], version=d["version"], name_fr=d["name_fr"], name_en=d["name_en"],
                   description=d.get("description", ""), starts_on=_date(d.get("starts_on")),
                   ends_on=_date(d.get("ends_on")), matching=Matching(d["matching"]),
                   max_mentees_per_mentor=d["max_mentees_per_mentor"], status=ProgramStatus(d["status"]),
                   created_at=d.get("created_at"), opened_at=d.get("opened_at"), closed_at=d.get("closed_at"))


class MongoProgramRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[PROGRAMS]
        self._session = session
        self._track = track

    async def add(self, program: Program) -> None:
        await self._col.insert_one(_program_doc(program), session=self._session)
        self._track(program)

    async def get(self, tenant: str, program_id: str) -> Program | None:
        d = await self._col.find_one({"tenant": tenant, "_id": program_id}, session=self._session)
        return None if d is None else _program(d)

    async def save(self, program: Program) -> None:
        if program.version == program.persisted_version:
            program.version += 1
        result = await self._col.replace_one(
            {"tenant": program.tenant, "_id": program.id, "version": program.persisted_version},
            _program_doc(program), session=self._session)
        if result.matched_count != 1:
            raise ConcurrencyConflict(f"mentoring program {program.id} changed meanwhile")
        self._track(program)

    async def of_tenant(self, tenant: str, limit: int) -> list[Program]:
        cursor = self._col.find({"tenant": tenant}, session=self._session).sort("created_at", -1).limit(limit)
        return [_program(d) async for d in cursor]


def _participant_doc(p: Participant) -> Document:
    return {"_id": f"{p.program_id}:{p.member_id}", "tenant": p.tenant, "program_id": p.program_id,
            "member_id": p.member_id, "role": p.role.value, "topics": list(p.topics), "capacity": p.capacity,
            "languages": list(p.languages), "availability": p.availability, "sector": p.sector, "city": p.city,
            "cohort_year": p.cohort_year, "cohort_program": p.cohort_program, "load": p.load, "version": p.version,
            "enrolled_at": p.enrolled_at}


def _participant(d: Document) -> Participant:
    return Participant(tenant=d["tenant"], program_id=d["program_id"], member_id=d["member_id"], role=Role(d["role"]),
                       topics=tuple(d.get("topics", ())), capacity=d["capacity"],
                       languages=tuple(d.get("languages", ())), availability=d.get("availability", ""),
                       sector=d.get("sector", ""), city=d.get("city", ""), cohort_year=d.get("cohort_year"),
                       cohort_program=d.get("cohort_program", ""), load=d.get("load", 0), version=d["version"],
                       enrolled_at=d.get("enrolled_at"))


class MongoParticipantRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[PARTICIPANTS]
        self._session = session

    async def get(self, tenant: str, program_id: str, member_id: str) -> Participant | None:
        d = await self._col.find_one({"tenant": tenant, "_id": f"{program_id}:{member_id}"}, session=self._session)
        return None if d is None else _participant(d)

    async def save(self, participant: Participant) -> None:
        """Conditional on the version read (a new one is inserted): a mentor's last place cannot
        be taken twice by two concurrent matches."""
        read = participant.version
        participant.version += 1
        doc = _participant_doc(participant)
        try:
            if read == 0:
                await self._col.insert_one(doc, session=self._session)
                return
            result = await self._col.replace_one({"tenant": participant.tenant, "_id": doc["_id"], "version": read},
                                                 doc, session=self._session)
        except DuplicateKeyError as exc:
            participant.version = read
            raise ConcurrencyConflict("enrolled concurrently") from exc
        if result.matched_count != 1:
            participant.version = read
            raise ConcurrencyConflict(f"participant {participant.member_id} changed meanwhile")

    async def of_program(self, tenant: str, program_id: str) -> list[Participant]:
        cursor = self._col.find({"tenant": tenant, "program_id": program_id}, session=self._session).limit(5000)
        return [_participant(d) async for d in cursor]

    async def of_member(self, tenant: str, member_id: str) -> list[Participant]:
        cursor = self._col.find({"tenant": tenant, "member_id": member_id}, session=self._session).limit(500)
        return [_participant(d) async for d in cursor]

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_many({"tenant": tenant, "member_id": member_id}, session=self._session)
        return int(result.deleted_count)


def _mentorship_doc(m: Mentorship) -> Document:
    return {"_id": m.id, "tenant": m.tenant, "version": m.version, "program_id": m.program_id,
            "mentor_id": m.mentor_id, "mentee_id": m.mentee_id, "matched_by": m.matched_by, "score": m.score,
            "reasons": [{"criterion": r.criterion, "points": r.points, "detail": r.detail} for r in m.reasons],
            "status": m.status.value, "mentee_cohort_year": m.mentee_cohort_year,
            "mentee_cohort_program": m.mentee_cohort_program, "matched_at": m.matched_at,
            "activated_at": m.activated_at, "closed_at": m.closed_at,
            "check_ins": [{"author_id": c.author_id, "on": c.on.isoformat(), "note": c.note,
                           "recorded_at": c.recorded_at} for c in m.check_ins],
            "surveys": [{"role": s.role.value, "author_id": s.author_id, "satisfaction": s.satisfaction,
                         "goals_met": s.goals_met, "comment": s.comment, "at": s.at} for s in m.surveys]}


def _mentorship(d: Document) -> Mentorship:
    return Mentorship(
        id=d["_id"], tenant=d["tenant"], version=d["version"], program_id=d["program_id"], mentor_id=d["mentor_id"],
        mentee_id=d["mentee_id"], matched_by=d["matched_by"], score=d["score"],
        reasons=tuple(Reason(r["criterion"], r["points"], r["detail"]) for r in d.get("reasons", [])),
        status=Status(d["status"]), mentee_cohort_year=d.get("mentee_cohort_year"),
        mentee_cohort_program=d.get("mentee_cohort_program", ""), matched_at=d.get("matched_at"),
        activated_at=d.get("activated_at"), closed_at=d.get("closed_at"),
        check_ins=[CheckInNote(c["author_id"], date.fromisoformat(c["on"]), c["note"], c["recorded_at"])
                   for c in d.get("check_ins", [])],
        surveys=[Survey(Role(s["role"]), s["author_id"], s["satisfaction"], s["goals_met"], s["comment"], s["at"])
                 for s in d.get("surveys", [])])


class MongoMentorshipRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[MENTORSHIPS]
        self._session = session
        self._track = track

    async def add(self, mentorship: Mentorship) -> None:
        await self._col.insert_one(_mentorship_doc(mentorship), session=self._session)
        self._track(mentorship)

    async def get(self, tenant: str, mentorship_id: str) -> Mentorship | None:
        d = await self._col.find_one({"tenant": tenant, "_id": mentorship_id}, session=self._session)
        return None if d is None else _mentorship(d)

    async def save(self, mentorship: Mentorship) -> None:
        if mentorship.version == mentorship.persisted_version:
            mentorship.version += 1
        result = await self._col.replace_one(
            {"tenant": mentorship.tenant, "_id": mentorship.id, "version": mentorship.persisted_version},
            _mentorship_doc(mentorship), session=self._session)
        if result.matched_count != 1:
            raise ConcurrencyConflict(f"mentorship {mentorship.id} changed meanwhile")
        self._track(mentorship)

    async def _find(self, where: Document, limit: int) -> list[Mentorship]:
        cursor = self._col.find(where, session=self._session).sort("matched_at", -1).limit(limit)
        return [_mentorship(d) async for d in cursor]

    async def of_program(self, tenant: str, program_id: str, limit: int) -> list[Mentorship]:
        return await self._find({"tenant": tenant, "program_id": program_id}, limit)

    async def of_member(self, tenant: str, member_id: str, limit: int) -> list[Mentorship]:
        return await self._find({"tenant": tenant, "$or": [{"mentor_id": member_id}, {"mentee_id": member_id}]},
                                limit)

    async def of_tenant(self, tenant: str, limit: int) -> list[Mentorship]:
        return await self._find({"tenant": tenant}, limit)

    async def erase(self, tenant: str, member_id: str) -> dict[str, int]:
        """Pseudonymise: the member's id becomes `erased`, every check-in note and survey comment
        of their mentorships is cleared (they speak of both sides), a running one is abandoned;
        statuses, dates and satisfaction stay for the figures."""
        s, n = self._session, 0
        for m in await self.of_member(tenant, member_id, 10_000):
            m.mentor_id = ERASED if m.mentor_id == member_id else m.mentor_id
            m.mentee_id = ERASED if m.mentee_id == member_id else m.mentee_id
            for c in m.check_ins:
                c.note, c.author_id = "", ERASED if c.author_id == member_id else c.author_id
            for survey in m.surveys:
                survey.comment, survey.author_id = "", ERASED if survey.author_id == member_id else survey.author_id
            if m.status in (Status.PENDING, Status.ACTIVE):
                m.status, m.closed_at = Status.ABANDONED, utcnow()
            m.version += 1
            await self._col.replace_one({"tenant": tenant, "_id": m.id}, _mentorship_doc(m), session=s)
            n += 1
        return {MENTORSHIPS: n}
