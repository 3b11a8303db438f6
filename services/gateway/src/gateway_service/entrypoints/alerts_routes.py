"""Alerts: a member's job alert (`/api/v1/me/job-alerts`, issue 14 item 4) and the staff's
in-app alerts (`/api/v1/staff/alerts`: a partner webhook disabled automatically, issue 13
item 6). The notifications service authorises again."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from alumni_contracts import naming
from alumni_contracts.notifications import alerts as al
from gateway_service.entrypoints.edge import ApiError, IdempotencyKey, Who, forward, require_staff
from gateway_service.entrypoints.problems import make_problem, problem_response

router = APIRouter()


def _cmd(name: str) -> str:
    return naming.command_subject("notifications", name)


def _qry(name: str) -> str:
    return naming.query_subject("notifications", name)


@router.get("/api/v1/me/job-alerts", tags=["notifications"], response_model=al.JobAlertsOut)
async def my_job_alerts(request: Request, who: Who) -> dict[str, Any]:
    """Your job alert: the sectors, cities and contract types of the approved offers you want
    to hear of (empty: any), with the `jobs` preference and the consent it relies on."""
    return await forward(request, _qry(al.GET_MY_JOB_ALERTS), al.GetMyJobAlerts(), who)


@router.put("/api/v1/me/job-alerts", tags=["notifications"], response_model=al.JobAlertsOut)
async def set_my_job_alerts(body: al.SetMyJobAlerts, request: Request, who: Who,
                            idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Set your job alert. Each approved offer that matches is sent to you once (email and/or
    in-app per your `jobs` preference; the newsletter consent is needed, as for any marketing)."""
    return await forward(request, _cmd(al.SET_MY_JOB_ALERTS), body, who, idempotency_key)


@router.get("/api/v1/staff/alerts", tags=["notifications"], response_model=al.StaffAlertsOut)
async def staff_alerts(request: Request, who: Who, lang: Annotated[Literal["fr", "en"], Query()] = "fr",
                       limit: Annotated[int, Query(ge=1, le=100)] = 50) -> dict[str, Any]:
    """Alerts for the tenant's staff (a partner webhook disabled after a dead letter), newest
    first, with your own read marks."""
    require_staff(who)
    return await forward(request, _qry(al.LIST_STAFF_ALERTS), al.ListStaffAlerts(limit=limit, lang=lang), who)


@router.post("/api/v1/staff/alerts/read", tags=["notifications"], response_model=al.StaffAlertsMarkedRead)
async def mark_staff_alerts_read(body: al.MarkStaffAlertsRead, request: Request, who: Who,
                                 idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Mark some staff alerts (`alert_ids`) or all of them (`all`) read, for yourself."""
    require_staff(who)
    if not body.all and not body.alert_ids:
        raise ApiError(problem_response(make_problem(422, "nothing-to-mark", "Nothing to mark",
                                                     "name alert_ids or set all")))
    return await forward(request, _cmd(al.MARK_STAFF_ALERTS_READ), body, who, idempotency_key)
