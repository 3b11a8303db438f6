"""MongoDB adapters of the outcomes surveys: surveys, their panel (invitations), answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from alumni_contracts.segments import Segment, segment_key
from community_service.domain.outcomes import AlreadyAnswered, OutcomeAnswer, OutcomeSurvey, PanelMember, Situation
from servicekit.domain import AggregateRoot, ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec
from servicekit.segments import AUDIENCE, AudienceMember, segment_filter

SURVEYS = "outcome_surveys"
INVITATIONS = "outcome_invitations"
ANSWERS = "outcome_answers"

OUTCOME_INDEXES = [
    IndexSpec(SURVEYS, [("tenant", 1), ("created_at", -1)], "outcome_surveys_by_date"),
    IndexSpec(INVITATIONS, [("tenant", 1), ("survey_id", 1), ("member_id", 1)], "outcome_invitations_by_survey"),
    IndexSpec(INVITATIONS, [("tenant", 1), ("member_id", 1)], "outcome_invitations_by_member"),
    IndexSpec(ANSWERS, [("tenant", 1), ("survey_id", 1)], "outcome_answers_by_survey"),
    IndexSpec(ANSWERS, [("tenant", 1), ("member_id", 1)], "outcome_answers_by_member"),
]


def _survey_doc(s: OutcomeSurvey) -> Document:
    return {"_id": s.id, "tenant": s.tenant, "version": s.version, "title": s.title, "months_after": s.months_after,
            "cohort_years": list(s.cohort_years), "programs": list(s.programs), "status": s.status,
            "created_at": s.created_at, "closes_at": s.closes_at,
            # cohort keys hold spaces and dots may appear in programs: stored as pairs, not as keys
            "invited": [[k, n] for k, n in s.invited.items()],
            "invited_programs": [[k, n] for k, n in s.invited_programs.items()]}


def _survey(d: Document) -> OutcomeSurvey:
    return OutcomeSurvey(id=d["_id"], tenant=d["tenant"], version=d["version"], title=d["title"],
                         months_after=d["months_after"], cohort_years=tuple(d.get("cohort_years", ())),
                         programs=tuple(d.get("programs", ())), status=d.get("status", "open"),
                         created_at=d.get("created_at"), closes_at=d.get("closes_at"),
                         invited={k: n for k, n in d.get("invited", [])},
                         invited_programs={k: n for k, n in d.get("invited_programs", [])})


class MongoOutcomeSurveys:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[SURVEYS]
        self._inv = db[INVITATIONS]
        self._session = session
        self._track = track

    async def add(self, survey: OutcomeSurvey, panel: list[PanelMember]) -> None:
        await self._col.insert_one(_survey_doc(survey), session=self._session)
        if panel:
            await self._inv.insert_many(
                [{"_id": f"{survey.id}:{p.member_id}", "tenant": survey.tenant, "survey_id": survey.id,
                  "member_id": p.member_id, "program": p.program, "year": p.year} for p in panel],
                session=self._session)
        self._track(survey)

    async def get(self, tenant: str, survey_id: str) -> OutcomeSurvey | None:
        d = await self._col.find_one({"tenant": tenant, "_id": survey_id}, session=self._session)
        return None if d is None else _survey(d)

    async def save(self, survey: OutcomeSurvey) -> None:
        result = await self._col.replace_one(
            {"tenant": survey.tenant, "_id": survey.id, "version": survey.persisted_version}, _survey_doc(survey),
            session=self._session)
        if result.matched_count != 1:
            raise ConcurrencyConflict(f"outcomes survey {survey.id} changed meanwhile")
        self._track(survey)

    async def of_tenant(self, tenant: str, limit: int) -> list[OutcomeSurvey]:
        cursor = self._col.find({"tenant": tenant}, session=self._session).sort("created_at", -1).limit(limit)
        return [_survey(d) async for d in cursor]

    async def invitee(self, tenant: str, survey_id: str, member_id: str) -> PanelMember | None:
        d = await self._inv.find_one({"tenant": tenant, "_id": f"{survey_id}:{member_id}"}, session=self._session)
        return None if d is None else PanelMember(d["member_id"], d["program"], d["year"])

    async def panel(self, tenant: str, survey_id: str, limit: int) -> list[PanelMember]:
        cursor = self._inv.find({"tenant": tenant, "survey_id": survey_id}, session=self._session) \
            .sort("member_id", 1).limit(limit)
        return [PanelMember(d["member_id"], d["program"], d["year"]) async for d in cursor]

    async def invitations_of(self, tenant: str, member_id: str, limit: int) -> list[tuple[str, PanelMember]]:
        cursor = self._inv.find({"tenant": tenant, "member_id": member_id}, session=self._session).limit(limit)
        return [(d["survey_id"], PanelMember(d["member_id"], d["program"], d["year"])) async for d in cursor]

    async def erase_member(self, tenant: str, member_id: str) -> int:
        result = await self._inv.delete_many({"tenant": tenant, "member_id": member_id}, session=self._session)
        return int(result.deleted_count)


def _answer_doc(a: OutcomeAnswer) -> Document:
    return {"_id": a.id, "tenant": a.tenant, "version": a.version, "survey_id": a.survey_id,
            "member_id": a.member_id, "program": a.program, "cohort_year": a.cohort_year,
            "situation": a.situation.value, "contract": a.contract, "sector": a.sector, "country": a.country,
            "salary_band": a.salary_band, "consent": {"granted": True, "version": a.consent_version,
                                                      "text": a.consent_text, "locale": a.locale,
                                                      "at": a.answered_at},
            "channel": a.channel, "answered_at": a.answered_at}


def _answer(d: Document) -> OutcomeAnswer:
    consent: dict[str, Any] = d.get("consent") or {}
    return OutcomeAnswer(id=d["_id"], tenant=d["tenant"], version=d["version"], survey_id=d["survey_id"],
                         member_id=d["member_id"], program=d["program"], cohort_year=d["cohort_year"],
                         situation=Situation(d["situation"]), contract=d.get("contract"), sector=d.get("sector", ""),
                         country=d.get("country"), salary_band=d.get("salary_band"),
                         consent_version=consent.get("version", ""), consent_text=consent.get("text", ""),
                         locale=consent.get("locale", "fr"), channel=d.get("channel", "api"),
                         answered_at=d.get("answered_at"))


class MongoOutcomeAnswers:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[ANSWERS]
        self._session = session
        self._track = track

    async def add(self, answer: OutcomeAnswer) -> None:
        try:
            await self._col.insert_one(_answer_doc(answer), session=self._session)
        except DuplicateKeyError:  # the same alumnus answering twice at the same moment
            raise AlreadyAnswered("an answer was already recorded for you; it cannot be changed") from None
        self._track(answer)

    async def get(self, tenant: str, survey_id: str, member_id: str) -> OutcomeAnswer | None:
        d = await self._col.find_one({"tenant": tenant, "_id": OutcomeAnswer.key(survey_id, member_id)},
                                     session=self._session)
        return None if d is None else _answer(d)

    async def of_survey(self, tenant: str, survey_id: str, limit: int) -> list[OutcomeAnswer]:
        cursor = self._col.find({"tenant": tenant, "survey_id": survey_id}, session=self._session).limit(limit)
        return [_answer(d) async for d in cursor]

    async def count(self, tenant: str, survey_id: str) -> int:
        # Bounded by the survey's panel; the index serves it (no whole-collection scan).
        return int(await self._col.count_documents({"tenant": tenant, "survey_id": survey_id}, session=self._session))

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_many({"tenant": tenant, "member_id": member_id}, session=self._session)
        return int(result.deleted_count)


class MongoOutcomePanel:
    """The alumni of some cohorts, read from the shared audience projection (same rule as a
    segment's: `servicekit.segments.segment_filter`)."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[AUDIENCE]
        self._session = session

    async def members_of(self, tenant: str, years: tuple[int, ...], programs: tuple[str, ...],
                         limit: int) -> list[PanelMember]:
        segment = Segment(cohort_years=list(years), programs=list(programs))
        wanted = set(years)
        keys = {segment_key(p) for p in programs}
        out: list[PanelMember] = []
        cursor = self._col.find(segment_filter(segment, tenant), session=self._session).sort("_id", 1).limit(limit)
        async for d in cursor:
            m = AudienceMember.of(d)
            # counted in their first cohort among the surveyed ones
            for program, year in m.cohorts:
                if year in wanted and (not keys or segment_key(program) in keys):
                    out.append(PanelMember(m.member_id, program, year))
                    break
        return out
