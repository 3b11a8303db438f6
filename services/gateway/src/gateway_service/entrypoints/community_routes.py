"""Community (issue 14): mutual aid (*entraide*) — helpers, help requests, outcome figures — and
the job and internship board."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from alumni_contracts import naming
from alumni_contracts.community import commands as cc
from alumni_contracts.community import v1
from alumni_contracts.community.v1 import HelpOutcome
from alumni_contracts.text import PersonText
from gateway_service.entrypoints.edge import IdempotencyKey, MemberId, Who, created, forward

router = APIRouter()
HELP = "/api/v1/help-requests"


def _cmd(name: str) -> str:
    return naming.command_subject("community", name)


def _qry(name: str) -> str:
    return naming.query_subject("community", name)


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accept: bool


class OutcomeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: HelpOutcome


@router.get("/api/v1/me/helper-profile", tags=["community"], response_model=cc.HelperProfileOut)
async def my_helper_profile(request: Request, who: Who) -> dict[str, Any]:
    """My helper profile (`opted_in: false`, switched off, until I opt in)."""
    return await forward(request, _qry(cc.GET_HELPER_PROFILE), cc.HelperProfileQuery(), who)


@router.put("/api/v1/me/helper-profile", tags=["community"], response_model=cc.HelperProfileOut)
async def set_my_helper_profile(body: cc.SetHelperProfile, request: Request, who: Who,
                                idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Opt in (or out) as a helper: topics, monthly capacity, on/off switch."""
    return await forward(request, _cmd(cc.SET_HELPER_PROFILE), body, who, idempotency_key)


@router.get("/api/v1/members/{member_id}/helper-profile", tags=["community"], response_model=cc.HelperProfileOut)
async def member_helper_profile(member_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    """A member's helper profile (staff; an alumnus gets their own)."""
    return await forward(request, _qry(cc.GET_HELPER_PROFILE), cc.HelperProfileQuery(member_id=member_id), who)


@router.post(HELP, status_code=201, tags=["community"], response_model=cc.HelpRequestOut,
             responses={429: {"description": "Too many help requests (per week, or waiting at once)"}})
async def request_help(body: cc.RequestHelp, request: Request, who: Who,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Ask the network for help: routed at once to helpers with capacity (status `offered`), or
    kept `open` until one has room."""
    result = await forward(request, _cmd(cc.REQUEST_HELP), body, who, idempotency_key)
    return created(result, f"{HELP}/{result['request_id']}")


@router.get(HELP, tags=["community"], response_model=cc.HelpRequestList)
async def list_help_requests(request: Request, who: Who, scope: cc.HelpListScope = cc.HelpListScope.MINE,
                             status: cc.HelpStatus | None = None,
                             limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    """`mine` (asked by me), `offered` (offered to me as a helper), `all` (staff)."""
    return await forward(request, _qry(cc.LIST_HELP_REQUESTS),
                         cc.ListHelpRequests(scope=scope, status=status, limit=limit), who)


@router.get(HELP + "/figures", tags=["community"], response_model=cc.HelpFigures)
async def help_figures(request: Request, who: Who,
                       cohort_year: Annotated[int | None, Query(ge=1900, le=2100)] = None) -> dict[str, Any]:
    """Outcome figures (staff): by status, acceptance rate, median time to first answer, helpers
    near capacity — by cohort; any group under the minimum size is suppressed."""
    return await forward(request, _qry(cc.HELP_FIGURES), cc.HelpFiguresQuery(cohort_year=cohort_year), who)


@router.get(HELP + "/{request_id}", tags=["community"], response_model=cc.HelpRequestOut)
async def get_help_request(request_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    """The requester, the helpers it was offered to, and staff see it; contacts only after acceptance."""
    return await forward(request, _qry(cc.GET_HELP_REQUEST), cc.HelpRequestRef(request_id=request_id), who)


@router.post(HELP + "/{request_id}/answer", tags=["community"], response_model=cc.HelpRequestOut)
async def answer_help_request(request_id: MemberId, body: AnswerBody, request: Request, who: Who,
                              idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """A helper accepts (contacts revealed both ways) or declines (re-routed to the next helper)."""
    return await forward(request, _cmd(cc.RESPOND_TO_HELP),
                         cc.RespondToHelp(request_id=request_id, accept=body.accept), who, idempotency_key)


@router.post(HELP + "/{request_id}/met", tags=["community"], response_model=cc.HelpRequestOut)
async def mark_met(request_id: MemberId, request: Request, who: Who,
                   idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    return await forward(request, _cmd(cc.MARK_HELP_MET), cc.HelpRequestRef(request_id=request_id), who,
                         idempotency_key)


@router.post(HELP + "/{request_id}/outcome", tags=["community"], response_model=cc.HelpRequestOut)
async def report_outcome(request_id: MemberId, body: OutcomeBody, request: Request, who: Who,
                         idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """The requester reports how it went (`helped`, `partly`, `not_helped`)."""
    return await forward(request, _cmd(cc.REPORT_HELP_OUTCOME),
                         cc.ReportHelpOutcome(request_id=request_id, outcome=body.outcome), who, idempotency_key)


# -- job and internship board --------------------------------------------------------------------

JOBS = "/api/v1/jobs"


class ReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    reason: Annotated[str, PersonText(max_length=300, min_length=0)] = ""


@router.post(JOBS, status_code=201, tags=["community"], response_model=cc.JobOut,
             responses={429: {"description": "Too many offers posted in 24 hours"}})
async def post_job(body: cc.PostJob, request: Request, who: Who,
                   idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Alumni and partner recruiters post to the approval queue (`pending`); staff publish at once.
    Descriptions are Markdown; `html_fr`/`html_en` are rendered and sanitised (nh3)."""
    result = await forward(request, _cmd(cc.POST_JOB), body, who, idempotency_key)
    return created(result, f"{JOBS}/{result['job_id']}")


@router.get(JOBS, tags=["community"], response_model=cc.JobList)
async def search_jobs(request: Request, who: Who, contract: v1.ContractType | None = None,
                      remote: v1.RemotePolicy | None = None,
                      city: Annotated[str, Query(max_length=120)] = "",
                      sector: Annotated[str, Query(max_length=120)] = "",
                      q: Annotated[str, Query(max_length=100)] = "",
                      limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    """Listed offers (approved, not expired), newest first; filters combine."""
    return await forward(request, _qry(cc.SEARCH_JOBS), cc.SearchJobs(
        contract=contract, remote=remote, city=city, sector=sector, q=q, limit=limit), who)


@router.get(JOBS + "/mine", tags=["community"], response_model=cc.JobList)
async def my_jobs(request: Request, who: Who) -> dict[str, Any]:
    """My offers, every status, with how many alumni saved each (a recruiter sees only theirs)."""
    return await forward(request, _qry(cc.MY_JOBS), cc.NoQuery(), who)


@router.get(JOBS + "/review-queue", tags=["community"], response_model=cc.JobList)
async def job_review_queue(request: Request, who: Who) -> dict[str, Any]:
    """Offers waiting for a manager's approval."""
    return await forward(request, _qry(cc.JOB_REVIEW_QUEUE), cc.NoQuery(), who)


@router.get("/api/v1/me/saved-jobs", tags=["community"], response_model=cc.JobList)
async def saved_jobs(request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, _qry(cc.SAVED_JOBS), cc.NoQuery(), who)


@router.get(JOBS + "/{job_id}", tags=["community"], response_model=cc.JobOut)
async def get_job(job_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, _qry(cc.GET_JOB), cc.JobRef(job_id=job_id), who)


@router.post(JOBS + "/{job_id}/review", tags=["community"], response_model=cc.JobOut)
async def review_job(job_id: MemberId, body: ReviewBody, request: Request, who: Who,
                     idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Managers approve (listed 30 days; `job_posted` alerts matching alumni) or reject with a reason."""
    return await forward(request, _cmd(cc.REVIEW_JOB),
                         cc.ReviewJob(job_id=job_id, approve=body.approve, reason=body.reason), who, idempotency_key)


@router.post(JOBS + "/{job_id}/renew", tags=["community"], response_model=cc.JobOut)
async def renew_job(job_id: MemberId, request: Request, who: Who,
                    idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Another 30 days from now (the poster or staff), also for an offer that just expired."""
    return await forward(request, _cmd(cc.RENEW_JOB), cc.JobRef(job_id=job_id), who, idempotency_key)


@router.post(JOBS + "/{job_id}/withdraw", tags=["community"], response_model=cc.JobOut)
async def withdraw_job(job_id: MemberId, request: Request, who: Who,
                       idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    return await forward(request, _cmd(cc.WITHDRAW_JOB), cc.JobRef(job_id=job_id), who, idempotency_key)


@router.put(JOBS + "/{job_id}/saved", tags=["community"], response_model=cc.JobOut)
async def save_job(job_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    """Save a listed offer (idempotent)."""
    return await forward(request, _cmd(cc.SAVE_JOB), cc.SaveJob(job_id=job_id, saved=True), who)


@router.delete(JOBS + "/{job_id}/saved", tags=["community"], response_model=cc.JobOut)
async def unsave_job(job_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, _cmd(cc.SAVE_JOB), cc.SaveJob(job_id=job_id, saved=False), who)


# -- member benefits -----------------------------------------------------------------------------

BENEFITS = "/api/v1/benefits"


@router.post(BENEFITS, status_code=201, tags=["community"], response_model=cc.BenefitOut)
async def publish_benefit(body: cc.PublishBenefit, request: Request, who: Who,
                          idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Managers publish a partner discount or perk; `members_only`: dues-paying members only."""
    result = await forward(request, _cmd(cc.PUBLISH_BENEFIT), body, who, idempotency_key)
    return created(result, f"{BENEFITS}/{result['benefit_id']}")


@router.get(BENEFITS, tags=["community"], response_model=cc.BenefitList)
async def list_benefits(request: Request, who: Who) -> dict[str, Any]:
    """Benefits valid now, each saying whether I may reveal its code; codes only once redeemed
    (staff: every benefit with its code and redemption count)."""
    return await forward(request, _qry(cc.LIST_BENEFITS), cc.NoQuery(), who)


@router.post(BENEFITS + "/{benefit_id}/redeem", tags=["community"], response_model=cc.BenefitOut,
             responses={403: {"description": "Members-only benefit and no dues-paying membership"}})
async def redeem_benefit(benefit_id: MemberId, request: Request, who: Who,
                         idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Reveal the code (counted once per member; `benefit_redeemed`)."""
    return await forward(request, _cmd(cc.REDEEM_BENEFIT), cc.BenefitRef(benefit_id=benefit_id), who,
                         idempotency_key)
