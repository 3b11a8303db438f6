"""Community (issue 14, item 2): mentoring programs — programs, enrolment, suggested pairs with
their explained score, confirmation, the mentorship (accept, check-ins, close with a survey) and
the outcome figures."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from alumni_contracts import naming
from alumni_contracts.common import Identifier
from alumni_contracts.community import mentoring as mc
from alumni_contracts.community.v1 import MentoringTopic, MentorshipOutcome
from alumni_contracts.text import PersonText
from gateway_service.entrypoints.edge import IdempotencyKey, MemberId, Who, created, forward

router = APIRouter()
PROGRAMS = "/api/v1/mentoring/programs"
MENTORSHIPS = "/api/v1/mentoring/mentorships"


def _cmd(name: str) -> str:
    return naming.command_subject("community", name)


def _qry(name: str) -> str:
    return naming.query_subject("community", name)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EnrolBody(Body):
    member_id: Identifier | None = Field(None, description="Staff only: enrol this member.")
    role: mc.ParticipantRole
    topics: list[MentoringTopic] = Field(min_length=1, max_length=9)
    capacity: int = Field(1, ge=1, le=10)
    availability: Annotated[str, PersonText(max_length=200, min_length=0)] = ""
    languages: list[mc.Language] = Field(min_length=1, max_length=5)
    sector: mc.Line = ""
    city: mc.Line = ""


class MatchBody(Body):
    mentor_id: Identifier
    mentee_id: Identifier | None = Field(None, description="Staff: the mentee; a mentee picking: omitted.")


class AnswerBody(Body):
    accept: bool


class CheckInBody(Body):
    on: date
    note: Annotated[str, PersonText(max_length=2000, multiline=True)]


class CloseBody(Body):
    outcome: MentorshipOutcome
    satisfaction: int = Field(ge=1, le=5)
    goals_met: bool
    comment: Annotated[str, PersonText(max_length=2000, multiline=True, min_length=0)] = ""


@router.post(PROGRAMS, status_code=201, tags=["mentoring"], response_model=mc.ProgramOut)
async def create_program(body: mc.CreateProgram, request: Request, who: Who,
                         idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Managers create a program (draft): names FR/EN, dates, matching mode, capacity rule."""
    result = await forward(request, _cmd(mc.CREATE_PROGRAM), body, who, idempotency_key)
    return created(result, f"{PROGRAMS}/{result['program_id']}")


@router.get(PROGRAMS, tags=["mentoring"], response_model=mc.ProgramList)
async def list_programs(request: Request, who: Who) -> dict[str, Any]:
    """Programs: alumni see open and closed ones with their own enrolment; staff all, with counts."""
    return await forward(request, _qry(mc.LIST_PROGRAMS), mc.ProgramsQuery(), who)


@router.get(PROGRAMS + "/{program_id}", tags=["mentoring"], response_model=mc.ProgramOut)
async def get_program(program_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, _qry(mc.GET_PROGRAM), mc.ProgramRef(program_id=program_id), who)


@router.post(PROGRAMS + "/{program_id}/open", tags=["mentoring"], response_model=mc.ProgramOut)
async def open_program(program_id: MemberId, request: Request, who: Who,
                       idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Open enrolment and matching (a closed program does not reopen: 409)."""
    return await forward(request, _cmd(mc.PROGRAM_ACTION), mc.ProgramAction(program_id=program_id, action="open"),
                         who, idempotency_key)


@router.post(PROGRAMS + "/{program_id}/close", tags=["mentoring"], response_model=mc.ProgramOut)
async def close_program(program_id: MemberId, request: Request, who: Who,
                        idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """No new enrolment nor match; running mentorships go on."""
    return await forward(request, _cmd(mc.PROGRAM_ACTION), mc.ProgramAction(program_id=program_id, action="close"),
                         who, idempotency_key)


@router.put(PROGRAMS + "/{program_id}/enrolment", tags=["mentoring"], response_model=mc.ProgramOut)
async def enrol(program_id: MemberId, body: EnrolBody, request: Request, who: Who,
                idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Enrol as mentor or mentee with a profile (topics, capacity for mentors, availability,
    languages, sector, city), or update it; one role per program."""
    return await forward(request, _cmd(mc.ENROL), mc.Enrol(program_id=program_id, **body.model_dump()), who,
                         idempotency_key)


@router.get(PROGRAMS + "/{program_id}/suggestions", tags=["mentoring"], response_model=mc.Suggestions)
async def suggestions(program_id: MemberId, request: Request, who: Who,
                      limit: Annotated[int, Query(ge=1, le=20)] = 5) -> dict[str, Any]:
    """Suggested pairs, each with its compatibility score explained (shared topics, sector, city,
    language, capacity left). Staff: the plan (one mentor per unmatched mentee, never over
    capacity) and every mentee's options; a mentee of a self-selected program: their options."""
    return await forward(request, _qry(mc.SUGGEST_MATCHES), mc.SuggestionsQuery(program_id=program_id, limit=limit),
                         who)


@router.post(PROGRAMS + "/{program_id}/matches", status_code=201, tags=["mentoring"], response_model=mc.MentorshipOut,
             responses={409: {"description": "No room left, already paired, or the program is not open"}})
async def confirm_match(program_id: MemberId, body: MatchBody, request: Request, who: Who,
                        idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """A manager confirms a pair, or a mentee of a self-selected program picks a mentor: the
    mentorship is `pending` until the mentor accepts (`mentorship_matched`)."""
    result = await forward(request, _cmd(mc.CONFIRM_MATCH), mc.ConfirmMatch(program_id=program_id,
                                                                            **body.model_dump()), who,
                           idempotency_key)
    return created(result, f"{MENTORSHIPS}/{result['mentorship_id']}")


@router.get(MENTORSHIPS, tags=["mentoring"], response_model=mc.MentorshipList)
async def list_mentorships(request: Request, who: Who, scope: mc.MentorshipScope = mc.MentorshipScope.MINE,
                           program_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
                           status: mc.MentorshipStatus | None = None,
                           limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    """`mine` (either side), `all` (staff; optionally one program's)."""
    return await forward(request, _qry(mc.LIST_MENTORSHIPS), mc.ListMentorships(
        scope=scope, program_id=program_id, status=status, limit=limit), who)


@router.get(MENTORSHIPS + "/{mentorship_id}", tags=["mentoring"], response_model=mc.MentorshipOut)
async def get_mentorship(mentorship_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    """Its two sides and staff; the other side's contact once active."""
    return await forward(request, _qry(mc.GET_MENTORSHIP), mc.MentorshipRef(mentorship_id=mentorship_id), who)


@router.post(MENTORSHIPS + "/{mentorship_id}/answer", tags=["mentoring"], response_model=mc.MentorshipOut)
async def answer_match(mentorship_id: MemberId, body: AnswerBody, request: Request, who: Who,
                       idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """The mentor accepts (active: contacts revealed both ways) or declines (abandoned)."""
    return await forward(request, _cmd(mc.RESPOND_TO_MATCH),
                         mc.RespondToMatch(mentorship_id=mentorship_id, accept=body.accept), who, idempotency_key)


@router.post(MENTORSHIPS + "/{mentorship_id}/check-ins", tags=["mentoring"], response_model=mc.MentorshipOut)
async def check_in(mentorship_id: MemberId, body: CheckInBody, request: Request, who: Who,
                   idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """A dated note by either side of an active mentorship."""
    return await forward(request, _cmd(mc.CHECK_IN), mc.CheckIn(mentorship_id=mentorship_id, on=body.on,
                                                                note=body.note), who, idempotency_key)


@router.post(MENTORSHIPS + "/{mentorship_id}/close", tags=["mentoring"], response_model=mc.MentorshipOut)
async def close_mentorship(mentorship_id: MemberId, body: CloseBody, request: Request, who: Who,
                           idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Close with the closing survey (`mentorship_closed`); once closed, the other side may add
    their own survey."""
    return await forward(request, _cmd(mc.CLOSE_MENTORSHIP), mc.CloseMentorship(
        mentorship_id=mentorship_id, **body.model_dump()), who, idempotency_key)


@router.get("/api/v1/mentoring/figures", tags=["mentoring"], response_model=mc.MentoringFigures)
async def mentoring_figures(request: Request, who: Who,
                            program_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
                            cohort_year: Annotated[int | None, Query(ge=1900, le=2100)] = None) -> dict[str, Any]:
    """Outcome figures (staff): relationships by status, completion rate, mentees per mentor,
    satisfaction — in total, by program and by the mentee's cohort; any group under the minimum
    size is suppressed."""
    return await forward(request, _qry(mc.MENTORING_FIGURES),
                         mc.FiguresQuery(program_id=program_id, cohort_year=cohort_year), who)
