"""Invitations: the staff's preview count of a segment, and the one-click RSVP page an
invitation email links to (no login: the signed token is the authority).

The token is issued and verified by notifications (`qry.notifications.check_rsvp_link`: forged,
altered or another tenant's → 400, expired → 410); the answer is then sent to events as that
member — `register` (the same use case as the API: a seat, the waitlist when full) or
`answer_invitation` (`interested` / `declined`). A GET only shows the choices (mail scanners
follow links); a POST answers. `Accept: application/json` gets JSON and problem+json."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from alumni_contracts import naming
from alumni_contracts.events import commands as ev
from alumni_contracts.notifications import commands as nc
from alumni_contracts.rpc import Principal, Problem, Reply, Role
from alumni_contracts.segments import Segment
from gateway_service.entrypoints.edge import ApiError, Who, bus, forward, require_staff
from gateway_service.entrypoints.events_routes import EVENTS, EventId
from gateway_service.entrypoints.notifications_routes import PAGE_CSP, TenantQuery, Token
from gateway_service.entrypoints.payment_routes import _webhook_tenant
from gateway_service.entrypoints.problems import problem_response

router = APIRouter()
RSVP_PATH = "/api/v1/public/rsvp"
Answer = Literal["registered", "interested", "declined"]
ANSWERS: tuple[Answer, ...] = ("registered", "interested", "declined")

TEXT = {
    "fr": {
        "title": "Répondre à l'invitation", "ask": "Vous êtes invité(e) à « {title} », le {when}.",
        "registered": "Je m'inscris", "interested": "Je suis intéressé(e)", "declined": "Je décline",
        "now": "Votre réponse actuelle : {status}.",
        "done_registered": "C'est noté : vous êtes inscrit(e) à « {title} ». Votre billet est dans votre espace alumni.",
        "done_waitlisted": "L'événement est complet : vous êtes sur la liste d'attente de « {title} », "
                           "et serez prévenu(e) si une place se libère.",
        "done_pending_payment": "Une place vous est réservée pour « {title} » : réglez-la depuis votre espace alumni.",
        "done_interested": "C'est noté : vous êtes intéressé(e) par « {title} ».",
        "done_declined": "C'est noté : vous déclinez l'invitation à « {title} ».",
        "already": "Vous êtes déjà inscrit(e) à « {title} » ; pour annuler, passez par votre espace alumni.",
        "invalid": "Ce lien d'invitation n'est pas valide. Retrouvez l'événement depuis votre espace alumni.",
        "expired": "Ce lien d'invitation a expiré : l'événement a commencé.",
        "gone": "Cet événement n'est plus disponible.",
        "closed": "Il n'est plus possible de répondre : {detail}",
        "statuses": {"invited": "invité(e)", "registered": "inscrit(e)", "waitlisted": "sur liste d'attente",
                     "interested": "intéressé(e)", "declined": "décliné", "cancelled": "annulé",
                     "promoted": "place proposée", "pending_payment": "en attente de paiement",
                     "attended": "présent(e)"},
    },
    "en": {
        "title": "Answer the invitation", "ask": "You are invited to \"{title}\" on {when}.",
        "registered": "Register", "interested": "Interested", "declined": "Decline",
        "now": "Your current answer: {status}.",
        "done_registered": "Done: you are registered for \"{title}\". Your ticket is in your alumni space.",
        "done_waitlisted": "The event is full: you are on the waitlist for \"{title}\" and will be told "
                           "if a seat frees up.",
        "done_pending_payment": "A seat is held for you at \"{title}\": pay for it from your alumni space.",
        "done_interested": "Noted: you are interested in \"{title}\".",
        "done_declined": "Noted: you decline the invitation to \"{title}\".",
        "already": "You are already registered for \"{title}\"; to cancel, use your alumni space.",
        "invalid": "This invitation link is not valid. Find the event in your alumni space.",
        "expired": "This invitation link has expired: the event has started.",
        "gone": "This event is no longer available.",
        "closed": "Answering is no longer possible: {detail}",
        "statuses": {"invited": "invited", "registered": "registered", "waitlisted": "waitlisted",
                     "interested": "interested", "declined": "declined", "cancelled": "cancelled",
                     "promoted": "seat offered", "pending_payment": "awaiting payment", "attended": "attended"},
    },
}
_MONTHS = {"fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                  "novembre", "décembre"],
           "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December"]}


class PreviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    segment: Segment


class RsvpAnswered(BaseModel):
    event_id: str
    member_id: str
    answer: Answer
    status: ev.RegistrationStatus
    registration_id: str


def _when(starts_at: str, timezone: str, lang: str) -> str:
    try:
        local = datetime.fromisoformat(starts_at).astimezone(ZoneInfo(timezone))
    except (ValueError, KeyError):
        return starts_at
    at = "," if lang == "en" else " à"
    return f"{local.day} {_MONTHS[lang][local.month - 1]} {local.year}{at} {local:%H:%M}"


def _page(lang: str, body: str, status: int = 200) -> HTMLResponse:
    t = TEXT[lang]
    html = (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(str(t["title"]))}</title></head><body><main><h1>{escape(str(t["title"]))}</h1>'
            f'{body}</main></body></html>')
    return HTMLResponse(html, status_code=status, headers={
        "Content-Security-Policy": PAGE_CSP, "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
        "Cache-Control": "no-store"})


def _text(lang: str, key: str, **values: str) -> str:
    return escape(str(TEXT[lang][key]).format(**values))


def _lang(accept_language: str | None) -> str:
    return "en" if (accept_language or "").lower().startswith("en") else "fr"


class _Refused(Exception):
    def __init__(self, problem: Problem, lang: str, key: str) -> None:
        self.problem, self.lang, self.key = problem, lang, key


async def _ask(request: Request, subject: str, payload: BaseModel, who: Principal) -> Reply:
    reply: Reply = await bus(request).request(subject, payload, who, request.state.correlation_id, None)
    return reply


async def _grant(request: Request, tenant: str | None, token: str,
                 accept_language: str | None) -> tuple[nc.RsvpLinkInfo, Principal]:
    """The link's member and gathering (notifications verifies the token), and the principal
    that answers for that member alone."""
    tenant = _webhook_tenant(request, tenant)
    link = Principal(tenant=tenant, subject="rsvp-link", roles=frozenset({Role.PUBLIC}))
    reply = await _ask(request, naming.query_subject("notifications", nc.CHECK_RSVP_LINK),
                       nc.CheckRsvpLink(token=token), link)
    if not reply.ok:
        assert reply.problem is not None
        if reply.problem.status not in (400, 410):
            raise ApiError(problem_response(reply.problem))
        raise _Refused(reply.problem, _lang(accept_language), "expired" if reply.problem.status == 410 else "invalid")
    info = nc.RsvpLinkInfo.model_validate(reply.result)
    member = Principal(tenant=tenant, subject=f"rsvp-link:{info.member_id}", member_id=info.member_id,
                       roles=frozenset({Role.ALUMNUS}))
    return info, member


async def _event(request: Request, info: nc.RsvpLinkInfo, member: Principal) -> dict[str, Any]:
    reply = await _ask(request, naming.query_subject("events", ev.GET_EVENT), ev.EventRef(event_id=info.event_id),
                       member)
    if not reply.ok:
        assert reply.problem is not None
        if reply.problem.status == 404:
            raise _Refused(reply.problem, info.locale, "gone")
        raise ApiError(problem_response(reply.problem))
    return reply.result or {}


def _title(event: dict[str, Any], lang: str) -> str:
    return str((event.get("title_en") if lang == "en" else None) or event.get("title") or event.get("title_en") or "")


def _refused_page(refused: _Refused, wants_json: bool) -> Response:
    if wants_json:
        return problem_response(refused.problem)
    body = f"<p>{_text(refused.lang, refused.key, detail=refused.problem.detail or '')}</p>"
    return _page(refused.lang, body, refused.problem.status)


@router.post(EVENTS + "/{event_id}/invitations/preview", tags=["events"], response_model=ev.InvitationsPreview)
async def preview_invitations(event_id: EventId, body: PreviewBody, request: Request, who: Who) -> dict[str, Any]:
    """Staff: how many members the segment would invite now (the console shows it before
    sending); nothing is sent."""
    require_staff(who)
    return await forward(request, naming.query_subject("events", ev.PREVIEW_INVITATIONS),
                         ev.IssueInvitations(event_id=event_id, segment=body.segment), who)


@router.get(RSVP_PATH, tags=["events"], response_class=HTMLResponse,
            responses={400: {"description": "Invalid link (an HTML page)"},
                       410: {"description": "Expired link: the gathering has started"}})
async def rsvp_page(request: Request, token: Token, tenant: TenantQuery = None,
                    accept_language: Annotated[str | None, Header()] = None) -> Response:
    """The page an invitation email's link opens (no login): the gathering and the three
    answers as buttons (a GET never answers: mail scanners follow links)."""
    try:
        info, member = await _grant(request, tenant, token, accept_language)
        event = await _event(request, info, member)
    except _Refused as refused:
        return _refused_page(refused, False)
    lang = info.locale
    title = _title(event, lang)
    mine = await _ask(request, naming.query_subject("events", ev.MY_REGISTRATIONS), ev.MyRegistrations(), member)
    current = next((r["status"] for r in (mine.result or {}).get("items", []) if r["event_id"] == info.event_id), None)
    body = f"<p>{_text(lang, 'ask', title=title, when=_when(event['starts_at'], event['timezone'], lang))}</p>"
    if current:
        statuses: dict[str, str] = TEXT[lang]["statuses"]  # type: ignore[assignment]
        status = statuses.get(current, current)
        body += f'<p id="current">{_text(lang, "now", status=str(status))}</p>'
    for answer in ANSWERS:
        action = escape(str(request.url.include_query_params(answer=answer)), quote=True)
        body += (f'<form method="post" action="{action}">'
                 f'<button type="submit">{_text(lang, answer)}</button></form>')
    return _page(lang, body)


@router.post(RSVP_PATH, tags=["events"], response_class=HTMLResponse,
             responses={200: {"description": "Answered (HTML, or `RsvpAnswered` as JSON)"},
                        400: {"description": "Invalid link"}, 410: {"description": "Expired link"},
                        409: {"description": "Already registered, or registration closed"}})
async def rsvp(request: Request, token: Token, answer: Annotated[Answer, Query()], tenant: TenantQuery = None,
               accept: Annotated[str | None, Header()] = None,
               accept_language: Annotated[str | None, Header()] = None) -> Response:
    """Answer the invitation in one click: `registered` (a seat, or the waitlist when full),
    `interested` or `declined`. Clicking the same answer again changes nothing."""
    wants_json = "application/json" in (accept or "")
    try:
        info, member = await _grant(request, tenant, token, accept_language)
        event = await _event(request, info, member)
    except _Refused as refused:
        return _refused_page(refused, wants_json)
    lang = info.locale
    title = _title(event, lang)
    if answer == "registered":
        reply = await _ask(request, naming.command_subject("events", ev.REGISTER),
                           ev.Register(event_id=info.event_id, member_id=info.member_id), member)
    else:
        reply = await _ask(request, naming.command_subject("events", ev.ANSWER_INVITATION),
                           ev.AnswerInvitation(event_id=info.event_id, member_id=info.member_id,
                                               answer=ev.InvitationAnswer(answer)), member)
    if not reply.ok:
        assert reply.problem is not None
        if wants_json or reply.problem.status not in (404, 409):
            return problem_response(reply.problem)
        key = "already" if reply.problem.type.endswith("already-registered") else \
            "gone" if reply.problem.status == 404 else "closed"
        return _page(lang, f"<p>{_text(lang, key, title=title, detail=reply.problem.detail or '')}</p>",
                     reply.problem.status)
    result = reply.result or {}
    done = RsvpAnswered(event_id=info.event_id, member_id=info.member_id, answer=answer, status=result["status"],
                        registration_id=result["registration_id"])
    if wants_json:
        return JSONResponse(done.model_dump(mode="json"))
    key = f"done_{done.status.value}" if f"done_{done.status.value}" in TEXT[lang] else f"done_{answer}"
    return _page(lang, f'<p id="done">{_text(lang, key, title=title)}</p>')
