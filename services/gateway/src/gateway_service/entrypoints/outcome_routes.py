"""Community (issue 14): career-outcome surveys for rankings — staff launch a survey for some
cohorts, alumni answer once (signed link without login, or logged in), staff read the response
rate and figures per cohort and program (groups under 5 suppressed) and download the CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from alumni_contracts import naming
from alumni_contracts.community import outcomes as co
from alumni_contracts.rpc import Principal, Role
from gateway_service.entrypoints.edge import ApiError, IdempotencyKey, Who, bus, created, forward, require_staff
from gateway_service.entrypoints.payment_routes import _webhook_tenant
from gateway_service.entrypoints.problems import problem_response
from servicekit import csv_cells

router = APIRouter()
SURVEYS = "/api/v1/outcome-surveys"
PUBLIC = "/api/v1/public/outcome-survey"
SurveyId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Token = Annotated[str, Query(min_length=10, max_length=1000, pattern=r"^[A-Za-z0-9_.-]+$")]
TenantQuery = Annotated[str | None, Query(pattern=r"^[a-z0-9-]{2,32}$")]
CSV: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}}}


def _cmd(name: str) -> str:
    return naming.command_subject("community", name)


def _qry(name: str) -> str:
    return naming.query_subject("community", name)


@router.post(SURVEYS, status_code=201, tags=["outcomes"], response_model=co.OutcomeSurveyOut)
async def launch_survey(body: co.LaunchOutcomeSurvey, request: Request, who: Who,
                        idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Staff: launch a graduate-outcomes survey (situation N months after graduation) for some
    cohorts; their alumni at launch form its panel (the response rate's denominator)."""
    require_staff(who)
    result = await forward(request, _cmd(co.LAUNCH_OUTCOME_SURVEY), body, who, idempotency_key)
    return created(result, f"{SURVEYS}/{result['survey_id']}")


@router.get(SURVEYS, tags=["outcomes"], response_model=co.OutcomeSurveyList)
async def list_surveys(request: Request, who: Who) -> dict[str, Any]:
    """Staff: the outcomes surveys, newest first, with panel size and answers so far."""
    require_staff(who)
    return await forward(request, _qry(co.LIST_OUTCOME_SURVEYS), co.NoQuery(), who)


@router.post(SURVEYS + "/{survey_id}/close", tags=["outcomes"], response_model=co.OutcomeSurveyOut)
async def close_survey(survey_id: SurveyId, request: Request, who: Who,
                       idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    require_staff(who)
    return await forward(request, _cmd(co.CLOSE_OUTCOME_SURVEY), co.SurveyRef(survey_id=survey_id), who,
                         idempotency_key)


@router.get(SURVEYS + "/{survey_id}/figures", tags=["outcomes"], response_model=co.OutcomeFigures)
async def survey_figures(survey_id: SurveyId, request: Request, who: Who) -> dict[str, Any]:
    """Staff: response rate, net employment rate, median salary band, share abroad, top sectors —
    in total, per cohort and per program. A figure about fewer than 5 people is null."""
    require_staff(who)
    return await forward(request, _qry(co.OUTCOME_FIGURES), co.SurveyRef(survey_id=survey_id), who)


@router.get(SURVEYS + "/{survey_id}/figures.csv", tags=["outcomes"], response_class=Response, responses=CSV)
async def survey_figures_csv(survey_id: SurveyId, request: Request, who: Who) -> Response:
    """Staff: the figures as CSV for the rankings' questionnaires (`;`, UTF-8 with BOM, suppressed
    figures empty, formula-like cells neutralised)."""
    require_staff(who)
    result = await forward(request, _qry(co.OUTCOME_FIGURES_CSV), co.SurveyRef(survey_id=survey_id), who)
    return Response(result["csv"], media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{result["filename"]}"',
                             "Cache-Control": "no-store"})


@router.get(SURVEYS + "/{survey_id}/links.csv", tags=["outcomes"], response_class=Response, responses=CSV)
async def survey_links_csv(survey_id: SurveyId, request: Request, who: Who) -> Response:
    """Staff: each invitee's personal answer link (no login), for the office's mailing."""
    require_staff(who)
    result = await forward(request, _qry(co.OUTCOME_SURVEY_LINKS), co.SurveyRef(survey_id=survey_id), who)
    base = str(request.base_url).rstrip("/")
    rows = [("member_id", "first_name", "last_name", "email", "cohort", "link")]
    rows += [(x["member_id"], x["first_name"], x["last_name"], x["email"] or "", x["cohort"],
              f"{base}/survey?tenant={who.tenant}#{x['token']}") for x in result["items"]]
    return Response("".join(csv_cells.csv_lines(rows)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="outcome-survey-links.csv"',
                             "Cache-Control": "no-store"})


@router.get("/api/v1/me/outcome-surveys", tags=["outcomes"], response_model=co.MyOutcomeSurveys)
async def my_surveys(request: Request, who: Who) -> dict[str, Any]:
    """The outcomes surveys I am invited to, with my own answer (never anyone else's)."""
    return await forward(request, _qry(co.MY_OUTCOME_SURVEYS), co.NoQuery(), who)


@router.post("/api/v1/me/outcome-surveys/{survey_id}/answer", status_code=201, tags=["outcomes"],
             response_model=co.MyOutcomeSurvey, responses={409: {"description": "Already answered, or closed"}})
async def answer_survey(survey_id: SurveyId, body: co.OutcomeAnswerIn, request: Request, who: Who,
                        idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Answer once (consent to the statistical use required); a second answer is 409."""
    result = await forward(request, _cmd(co.ANSWER_OUTCOME_SURVEY),
                           co.AnswerOutcomeSurvey(survey_id=survey_id, **body.model_dump()), who, idempotency_key)
    return JSONResponse(result, status_code=201)


async def _public(request: Request, subject: str, payload: Any, tenant: str | None) -> dict[str, Any]:
    who = Principal(tenant=_webhook_tenant(request, tenant), subject="outcome-survey-link",
                    roles=frozenset({Role.PUBLIC}))
    reply = await bus(request).request(subject, payload, who, request.state.correlation_id, None)
    if not reply.ok:
        assert reply.problem is not None
        raise ApiError(problem_response(reply.problem))
    return reply.result or {}


@router.get(PUBLIC, tags=["outcomes"], response_model=co.MyOutcomeSurvey,
            responses={400: {"description": "Invalid or expired link"}})
async def open_link(request: Request, token: Token, tenant: TenantQuery = None) -> JSONResponse:
    """What a signed answer link opens (no login): the survey, the invitee's cohort, whether they
    already answered, the consent text."""
    result = await _public(request, _qry(co.CHECK_OUTCOME_LINK), co.CheckOutcomeLink(token=token), tenant)
    return JSONResponse(result, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


@router.post(PUBLIC, status_code=201, tags=["outcomes"], response_model=co.MyOutcomeSurvey,
             responses={400: {"description": "Invalid or expired link"}, 409: {"description": "Already answered"}})
async def answer_link(body: co.AnswerOutcomeLink, request: Request, tenant: TenantQuery = None) -> JSONResponse:
    """Answer through the signed link (once; no login; the token is in the body)."""
    result = await _public(request, _cmd(co.ANSWER_OUTCOME_LINK), body, tenant)
    return JSONResponse(result, status_code=201, headers={"Cache-Control": "no-store"})
