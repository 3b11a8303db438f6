"""Notifications: a member's in-app feed and preferences, the one-click unsubscribe pages
(no login: the signed token is the authority), the email provider's signed bounce webhook and
contactability per cohort (staff)."""

from __future__ import annotations

from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from alumni_contracts import naming
from alumni_contracts.notifications import commands as nc
from alumni_contracts.rpc import Principal, Reply, Role
from gateway_service.entrypoints.edge import (
    EMAIL_WEBHOOKS_PREFIX,
    ApiError,
    IdempotencyKey,
    Who,
    bus,
    forward,
    require_staff,
)
from gateway_service.entrypoints.payment_routes import _webhook_tenant
from gateway_service.entrypoints.problems import make_problem, problem_response

router = APIRouter()
UNSUBSCRIBE_PATH = "/api/v1/public/unsubscribe"
PAGE_CSP = "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
Token = Annotated[str, Query(min_length=10, max_length=1000, pattern=r"^[A-Za-z0-9_.-]+$")]
TenantQuery = Annotated[str | None, Query(pattern=r"^[a-z0-9-]{2,32}$")]

TEXT = {
    "fr": {
        "title": "Désabonnement", "newsletters": "la lettre d'information", "events": "les invitations aux événements",
        "jobs": "les offres d'emploi", "fundraising": "les appels aux dons", "membership": "les messages d'adhésion",
        "community": "les messages de la communauté",
        "ask": "Ne plus recevoir par e-mail {what} ?", "button": "Me désabonner",
        "done": "C'est fait : vous ne recevrez plus {what} par e-mail.",
        "already": "Vous êtes déjà désabonné(e) de {what}.",
        "note": "Les messages indispensables (reçus, billets, attestations, sécurité) restent envoyés. "
                "Vos préférences détaillées sont dans votre espace alumni.",
        "invalid": "Ce lien de désabonnement n'est pas valide ou a expiré. Gérez vos préférences depuis votre espace alumni.",
    },
    "en": {
        "title": "Unsubscribe", "newsletters": "the newsletter", "events": "event invitations", "jobs": "job offers",
        "fundraising": "fundraising appeals", "membership": "membership messages", "community": "community messages",
        "ask": "Stop receiving {what} by email?", "button": "Unsubscribe",
        "done": "Done: you will no longer receive {what} by email.",
        "already": "You are already unsubscribed from {what}.",
        "note": "Essential messages (receipts, tickets, certificates, security) are still sent. "
                "Your detailed preferences are in your alumni space.",
        "invalid": "This unsubscribe link is not valid or has expired. Manage your preferences in your alumni space.",
    },
}


def _page(lang: str, body: str, status: int = 200) -> HTMLResponse:
    t = TEXT[lang]
    html = (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(t["title"])}</title></head><body><main><h1>{escape(t["title"])}</h1>{body}'
            f'<p><small>{escape(t["note"])}</small></p></main></body></html>')
    return HTMLResponse(html, status_code=status, headers={
        "Content-Security-Policy": PAGE_CSP, "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
        "Cache-Control": "no-store"})


def _lang(accept_language: str | None) -> str:
    return "en" if (accept_language or "").lower().startswith("en") else "fr"


async def _ask(request: Request, subject: str, payload: Any, tenant: str) -> Reply:
    who = Principal(tenant=tenant, subject="unsubscribe-link", roles=frozenset({Role.PUBLIC}))
    reply: Reply = await bus(request).request(subject, payload, who, request.state.correlation_id, None)
    return reply


@router.get("/api/v1/me/notifications", tags=["notifications"], response_model=nc.NotificationFeedPage)
async def my_notifications(request: Request, who: Who, limit: Annotated[int, Query(ge=1, le=100)] = 20,
                           after: Annotated[str | None, Query(max_length=200, pattern=r"^[A-Za-z0-9_-]+$")] = None,
                           ) -> dict[str, Any]:
    """Your in-app notifications, newest first, with the unread count; `after` = the previous
    page's `next_cursor`."""
    return await forward(request, naming.query_subject("notifications", nc.LIST_MY_NOTIFICATIONS),
                         nc.ListMyNotifications(limit=limit, after=after), who)


@router.post("/api/v1/me/notifications/read", tags=["notifications"], response_model=nc.NotificationsMarkedRead)
async def mark_read(body: nc.MarkNotificationsRead, request: Request, who: Who,
                    idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Mark some of your notifications (`notification_ids`) or all of them (`all`) read."""
    if not body.all and not body.notification_ids:
        raise ApiError(problem_response(make_problem(422, "nothing-to-mark", "Nothing to mark",
                                                     "name notification_ids or set all")))
    return await forward(request, naming.command_subject("notifications", nc.MARK_NOTIFICATIONS_READ), body, who,
                         idempotency_key)


@router.get("/api/v1/me/notification-preferences", tags=["notifications"], response_model=nc.PreferencesOut)
async def my_preferences(request: Request, who: Who) -> dict[str, Any]:
    """Your notification preferences per category and channel, and the consents marketing needs."""
    return await forward(request, naming.query_subject("notifications", nc.GET_MY_PREFERENCES),
                         nc.GetMyPreferences(), who)


@router.put("/api/v1/me/notification-preferences", tags=["notifications"], response_model=nc.PreferencesOut)
async def set_my_preferences(body: nc.SetMyPreferences, request: Request, who: Who,
                             idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Turn categories on or off per channel; transactional messages are always sent."""
    return await forward(request, naming.command_subject("notifications", nc.SET_MY_PREFERENCES), body, who,
                         idempotency_key)


@router.get(UNSUBSCRIBE_PATH, tags=["notifications"], response_class=HTMLResponse,
            responses={400: {"description": "Invalid or expired link (an HTML page)"}})
async def unsubscribe_page(request: Request, token: Token, tenant: TenantQuery = None,
                           accept_language: Annotated[str | None, Header()] = None) -> HTMLResponse:
    """The page an email's unsubscribe link opens (no login): it asks to confirm with a button
    (a GET never unsubscribes: mail scanners follow links)."""
    reply = await _ask(request, naming.query_subject("notifications", nc.CHECK_UNSUBSCRIBE),
                       nc.CheckUnsubscribe(token=token), _webhook_tenant(request, tenant))
    if not reply.ok:
        assert reply.problem is not None
        if reply.problem.status != 400:
            raise ApiError(problem_response(reply.problem))
        return _page(_lang(accept_language), f"<p>{escape(TEXT[_lang(accept_language)]['invalid'])}</p>", 400)
    info = nc.UnsubscribeInfo.model_validate(reply.result)
    t = TEXT[info.locale]
    what = t[info.category.value]
    if info.already:
        return _page(info.locale, f"<p>{escape(t['already'].format(what=what))}</p>")
    action = escape(str(request.url.include_query_params()), quote=True)
    return _page(info.locale, f'<p>{escape(t["ask"].format(what=what))}</p>'
                              f'<form method="post" action="{action}">'
                              f'<input type="hidden" name="List-Unsubscribe" value="One-Click">'
                              f'<button type="submit">{escape(t["button"])}</button></form>')


@router.post(UNSUBSCRIBE_PATH, tags=["notifications"], response_class=HTMLResponse,
             responses={400: {"description": "Invalid or expired link"}})
async def unsubscribe(request: Request, token: Token, tenant: TenantQuery = None,
                      accept: Annotated[str | None, Header()] = None,
                      accept_language: Annotated[str | None, Header()] = None) -> Response:
    """One-click unsubscribe (RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click`; the
    confirmation page's button does the same). Stops the category's marketing email at once and
    withdraws the consent behind it in the ledger (members, from the event). Repeating it is harmless."""
    reply = await _ask(request, naming.command_subject("notifications", nc.UNSUBSCRIBE),
                       nc.Unsubscribe(token=token), _webhook_tenant(request, tenant))
    wants_json = "application/json" in (accept or "")
    if not reply.ok:
        assert reply.problem is not None
        if wants_json or reply.problem.status != 400:
            return problem_response(reply.problem)
        lang = _lang(accept_language)
        return _page(lang, f"<p>{escape(TEXT[lang]['invalid'])}</p>", 400)
    done = nc.Unsubscribed.model_validate(reply.result)
    if wants_json:
        return JSONResponse(done.model_dump(mode="json"))
    t = TEXT[done.locale]
    return _page(done.locale, f"<p>{escape(t['done'].format(what=t[done.category.value]))}</p>")


@router.post(EMAIL_WEBHOOKS_PREFIX + "bounces", tags=["notifications"], response_model=nc.BounceHandled,
             responses={400: {"description": "Bad signature, stale timestamp or not a bounce report"}})
async def bounce_webhook(request: Request,
                         signature: Annotated[str, Header(alias="X-Alumni-Signature", max_length=2000,
                                                          pattern=r"^[\x20-\x7e]+$")],
                         tenant: TenantQuery = None) -> dict[str, Any]:
    """The email provider's bounce/complaint notification (no bearer token: `X-Alumni-Signature:
    t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, at most 300 s old). Body: `{"id", "type":
    "bounce"|"complaint", "bounce_type": "hard"|"soft", "message_id"}`. A retried report
    answers `duplicate`."""
    raw = await request.body()
    try:
        payload = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(problem_response(make_problem(400, "bad-webhook", "Webhook refused",
                                                     "the body is not UTF-8"))) from None
    if len(raw) > nc.MAX_BOUNCE_PAYLOAD:
        raise ApiError(problem_response(make_problem(413, "too-large", "Request body too large",
                                                     f"at most {nc.MAX_BOUNCE_PAYLOAD} bytes")))
    who = Principal(tenant=_webhook_tenant(request, tenant), subject="webhook:email",
                    roles=frozenset({Role.PUBLIC}))
    return await forward(request, naming.command_subject("notifications", nc.RECEIVE_BOUNCE_WEBHOOK),
                         nc.ReceiveBounceWebhook(payload=payload, signature=signature), who)


@router.get("/api/v1/notifications/contactability", tags=["notifications"], response_model=nc.ContactabilityReport)
async def contactability(request: Request, who: Who) -> dict[str, Any]:
    """Staff: contactable alumni (an email that does not bounce, not deceased) ÷ alumni of
    record, per cohort."""
    require_staff(who)
    return await forward(request, naming.query_subject("notifications", nc.GET_CONTACTABILITY),
                         nc.GetContactability(), who)
