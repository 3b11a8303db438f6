"""Event desk: check-in (by ticket code or member), desk search, attendance figures and cohort
reach, calendar files (.ics) for a gathering and a registration, the ticket (SVG with its QR
code), and a member's calendar feed (secret, revocable URL; read by calendar apps without login)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from alumni_contracts import naming
from alumni_contracts.events import desk as d
from alumni_contracts.rpc import Principal, Role
from gateway_service.entrypoints.edge import IdempotencyKey, TenantSlug, Who, forward, require_staff

router = APIRouter()
EventId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
RegistrationId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Lang = Annotated[d.Language, Query(description="fr or en")]
ICS = "text/calendar; charset=utf-8"


def _command(name: str) -> str:
    return naming.command_subject("events", name)


def _query(name: str) -> str:
    return naming.query_subject("events", name)


class CheckInBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: d.TicketCode | None = Field(None, description="Ticket code, scanned (QR) or typed.",
                                      examples=["7K2M-Q9XD-4HTR-W1NB-C8PA"])
    member_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Or the member, found by name.")


def _ics(result: dict[str, Any], inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(result["ics"].encode(), media_type=ICS,
                    headers={"Content-Disposition": f'{disposition}; filename="{result["filename"]}"',
                             "Cache-Control": "private, max-age=300"})


@router.post("/api/v1/events/{event_id}/check-ins", tags=["events"], status_code=201, response_model=d.CheckInResult,
             responses={200: {"description": "Already checked in: reported, not counted again",
                              "model": d.CheckInResult},
                        404: {"description": "No such ticket for this event"},
                        409: {"description": "No confirmed seat (waitlisted, cancelled, unpaid)"}})
async def check_in(event_id: EventId, body: CheckInBody, request: Request, who: Who,
                   idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Check an attendee in at the desk (staff), by ticket code or member id: `201` admitted
    now; `200` with `status: already_checked_in` and the first time for a second scan."""
    require_staff(who)
    result = await forward(request, _command(d.CHECK_IN_ATTENDEE),
                           d.CheckInAttendee(event_id=event_id, code=body.code, member_id=body.member_id), who,
                           idempotency_key)
    first = result["status"] == d.CheckInStatus.CHECKED_IN.value
    return JSONResponse(result, status_code=201 if first else 200)


@router.get("/api/v1/events/{event_id}/desk", tags=["events"], response_model=d.DeskAttendees)
async def desk_search(event_id: EventId, request: Request, who: Who,
                      q: Annotated[str, Query(max_length=80)] = "",
                      limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
    """The desk's list: registrations whose first or last name starts with `q` (accents and
    case ignored), confirmed first (staff)."""
    require_staff(who)
    return await forward(request, _query(d.SEARCH_DESK), d.DeskSearch(event_id=event_id, q=q, limit=limit), who)


@router.get("/api/v1/events/{event_id}/figures", tags=["events"], response_model=d.EventFiguresOut)
async def event_figures(event_id: EventId, request: Request, who: Who) -> dict[str, Any]:
    """Invited → registered conversion, show-up rate (checked in ÷ registered, cancellations
    excluded), attendance by cohort and program (staff). Definitions: events README, "Figures"."""
    require_staff(who)
    return await forward(request, _query(d.EVENT_FIGURES), d.EventFiguresQuery(event_id=event_id), who)


@router.get("/api/v1/event-figures/cohort-reach", tags=["events"], response_model=d.CohortReachOut)
async def cohort_reach(request: Request, who: Who, months: Annotated[int, Query(ge=1, le=60)] = 12) -> dict[str, Any]:
    """For each graduating class: distinct alumni who attended at least one gathering in the
    last `months` months, out of the class (the console's heat map), staff."""
    require_staff(who)
    return await forward(request, _query(d.COHORT_REACH), d.CohortReachQuery(months=months), who)


@router.get("/api/v1/events/{event_id}/calendar.ics", tags=["events"], response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}})
async def event_calendar(event_id: EventId, request: Request, who: Who, lang: Lang = d.Language.FR) -> Response:
    """The gathering as an iCalendar file (with its VTIMEZONE), in French or English."""
    return _ics(await forward(request, _query(d.EVENT_CALENDAR),
                              d.EventCalendarQuery(event_id=event_id, language=lang), who))


@router.get("/api/v1/registrations/{registration_id}/calendar.ics", tags=["events"], response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}})
async def registration_calendar(registration_id: RegistrationId, request: Request, who: Who,
                                lang: Lang = d.Language.FR) -> Response:
    """One's registration as an iCalendar file, with the ticket code (an alumnus their own; staff anyone's)."""
    return _ics(await forward(request, _query(d.REGISTRATION_CALENDAR),
                              d.RegistrationRef(registration_id=registration_id, language=lang), who))


@router.get("/api/v1/registrations/{registration_id}/ticket.svg", tags=["events"], response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}})
async def registration_ticket(registration_id: RegistrationId, request: Request, who: Who,
                              lang: Lang = d.Language.FR, download: bool = True) -> Response:
    """The ticket: QR code of the ticket code, title, name, date, venue (SVG). Confirmed seats only."""
    result = await forward(request, _query(d.REGISTRATION_TICKET),
                           d.RegistrationRef(registration_id=registration_id, language=lang), who)
    disposition = "attachment" if download else "inline"
    return Response(result["svg"].encode(), media_type="image/svg+xml",
                    headers={"Content-Disposition": f'{disposition}; filename="{result["filename"]}"',
                             "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                             "Cache-Control": "private, no-store"})


class CalendarFeedLink(BaseModel):
    token: str
    url: str = Field(description="The feed's URL (subscribe to it in a calendar app; keep it secret).")


@router.post("/api/v1/me/calendar-feed", tags=["events"], status_code=201, response_model=CalendarFeedLink)
async def issue_calendar_feed(request: Request, who: Who, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """A new secret calendar feed URL of one's gatherings; the previous URL stops working."""
    result = await forward(request, _command(d.ISSUE_CALENDAR_FEED), d.IssueCalendarFeed(), who, idempotency_key)
    path = f"/api/v1/public/{who.tenant}/calendar/{result['token']}.ics"
    return JSONResponse({"token": result["token"], "url": str(request.base_url).rstrip("/") + path},
                        status_code=201, headers={"Cache-Control": "no-store"})


@router.delete("/api/v1/me/calendar-feed", tags=["events"], status_code=204, response_class=Response)
async def revoke_calendar_feed(request: Request, who: Who, idempotency_key: IdempotencyKey = None) -> Response:
    """Revoke one's calendar feed URL (idempotent)."""
    await forward(request, _command(d.REVOKE_CALENDAR_FEED), d.RevokeCalendarFeed(), who, idempotency_key)
    return Response(status_code=204)


@router.get("/api/v1/public/{tenant}/calendar/{token}.ics", tags=["events"], response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}, 404: {"description": "Unknown or revoked feed"}})
async def calendar_feed(tenant: TenantSlug, token: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{32,64}$")],
                        request: Request, lang: Lang = d.Language.FR) -> Response:
    """Public, no login (calendar apps cannot log in): a member's gatherings by the secret token
    of their feed. An unknown or revoked token is a 404."""
    visitor = Principal(tenant=tenant, subject="anonymous", roles=frozenset({Role.PUBLIC}))
    return _ics(await forward(request, _query(d.CALENDAR_FEED), d.CalendarFeedQuery(token=token, language=lang),
                              visitor), inline=True)
