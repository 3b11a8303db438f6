"""Newsletters to segments (staff): compose FR/EN Markdown, preview, send now or schedule,
cancel, follow the figures. A malformed segment or content is a 422 problem."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from alumni_contracts import naming
from alumni_contracts._requests import Request as Body
from alumni_contracts.common import Locale, Timestamp
from alumni_contracts.notifications import newsletters as nl
from gateway_service.entrypoints.edge import IdempotencyKey, Who, created, forward, require_staff

router = APIRouter()
NEWSLETTERS = "/api/v1/newsletters"
NewsletterId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class SendBody(Body):
    send_at: Timestamp | None = Field(None, description="When to send (ISO 8601 with offset); absent: now.")


def command(name: str) -> str:
    return naming.command_subject("notifications", name)


def query(name: str) -> str:
    return naming.query_subject("notifications", name)


@router.post(NEWSLETTERS, status_code=201, tags=["newsletters"], response_model=nl.NewsletterOut)
async def create_newsletter(body: nl.CreateNewsletter, request: Request, who: Who,
                            idempotency_key: IdempotencyKey = None) -> Response:
    """Draft a newsletter: subject and Markdown body in French and/or English, and the segment
    it goes to (the segment contract; its consent is always `newsletter`)."""
    require_staff(who)
    result = await forward(request, command(nl.CREATE_NEWSLETTER), body, who, idempotency_key)
    return created(result, f"{NEWSLETTERS}/{result['newsletter_id']}")


@router.get(NEWSLETTERS, tags=["newsletters"], response_model=nl.NewsletterList)
async def list_newsletters(request: Request, who: Who, limit: Annotated[int, Query(ge=1, le=200)] = 50
                           ) -> dict[str, Any]:
    """The tenant's newsletters, newest first, with their figures."""
    require_staff(who)
    return await forward(request, query(nl.LIST_NEWSLETTERS), nl.ListNewsletters(limit=limit), who)


@router.get(NEWSLETTERS + "/{newsletter_id}", tags=["newsletters"], response_model=nl.NewsletterOut)
async def get_newsletter(newsletter_id: NewsletterId, request: Request, who: Who) -> dict[str, Any]:
    """One newsletter and its figures: recipients, sent, bounced, pending, unsubscribed since."""
    require_staff(who)
    return await forward(request, query(nl.GET_NEWSLETTER), nl.NewsletterRef(newsletter_id=newsletter_id), who)


@router.put(NEWSLETTERS + "/{newsletter_id}", tags=["newsletters"], response_model=nl.NewsletterOut,
            responses={409: {"description": "No longer a draft"}})
async def update_newsletter(newsletter_id: NewsletterId, body: nl.CreateNewsletter, request: Request, who: Who,
                            idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Change a draft (content and segment)."""
    require_staff(who)
    return await forward(request, command(nl.UPDATE_NEWSLETTER),
                         nl.UpdateNewsletter(newsletter_id=newsletter_id, **body.model_dump()), who, idempotency_key)


@router.get(NEWSLETTERS + "/{newsletter_id}/preview", tags=["newsletters"], response_model=nl.NewsletterPreview)
async def preview_newsletter(newsletter_id: NewsletterId, request: Request, who: Who,
                             locale: Locale = Locale.FR) -> dict[str, Any]:
    """How many members it would reach now (in the segment, consenting, with a working address)
    and a rendered sample in `locale`: subject, sanitised HTML body, plain text."""
    require_staff(who)
    return await forward(request, query(nl.PREVIEW_NEWSLETTER),
                         nl.PreviewNewsletter(newsletter_id=newsletter_id, locale=locale), who)


@router.post(NEWSLETTERS + "/{newsletter_id}/send", status_code=202, tags=["newsletters"],
             response_model=nl.NewsletterOut,
             responses={409: {"description": "Already sent, sending or cancelled"},
                        422: {"description": "send_at in the past"}})
async def send_newsletter(newsletter_id: NewsletterId, body: SendBody, request: Request, who: Who,
                          idempotency_key: IdempotencyKey = None) -> Response:
    """Send now (no `send_at`) or schedule; the fan-out runs in the background, resumably."""
    require_staff(who)
    result = await forward(request, command(nl.SEND_NEWSLETTER),
                           nl.SendNewsletter(newsletter_id=newsletter_id, send_at=body.send_at), who, idempotency_key)
    return JSONResponse(result, status_code=202)


@router.post(NEWSLETTERS + "/{newsletter_id}/cancel", tags=["newsletters"], response_model=nl.NewsletterOut,
             responses={409: {"description": "Already sending or sent"}})
async def cancel_newsletter(newsletter_id: NewsletterId, request: Request, who: Who,
                            idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Cancel a draft or a scheduled newsletter."""
    require_staff(who)
    return await forward(request, command(nl.CANCEL_NEWSLETTER), nl.NewsletterRef(newsletter_id=newsletter_id), who,
                         idempotency_key)
