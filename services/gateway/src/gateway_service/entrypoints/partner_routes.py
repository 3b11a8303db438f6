"""Partner webhooks (`/api/v1/partner/webhooks`): role `partner` (its own subscriptions) or
the tenant's managers (all of them). The notifications service authorises again."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from alumni_contracts import naming
from alumni_contracts.notifications import partner_webhooks as pw
from gateway_service.entrypoints.edge import IdempotencyKey, Who, created, forward

router = APIRouter()
WEBHOOKS = "/api/v1/partner/webhooks"
WebhookId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
TAGS: list[str | Any] = ["partner webhooks"]


def _cmd(name: str) -> str:
    return naming.command_subject("notifications", name)


def _qry(name: str) -> str:
    return naming.query_subject("notifications", name)


@router.get("/api/v1/partner/event-types", tags=TAGS, response_model=pw.PartnerEventTypes)
async def partner_event_types(request: Request, who: Who) -> dict[str, Any]:
    """The CloudEvent types a subscription may name (see the event catalogue)."""
    return await forward(request, _qry(pw.LIST_PARTNER_EVENT_TYPES), pw.ListPartnerEventTypes(), who)


@router.post(WEBHOOKS, tags=TAGS, status_code=201, response_model=pw.PartnerWebhookOut)
async def create_partner_webhook(body: pw.CreatePartnerWebhook, request: Request, who: Who,
                                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Register an HTTPS endpoint and the event types it receives. The answer holds the signing
    secret (`whsec_…`, Standard Webhooks) once: store it. Private, loopback and link-local
    targets are refused (422 `unsafe-webhook-target`), after DNS resolution."""
    result = await forward(request, _cmd(pw.CREATE_PARTNER_WEBHOOK), body, who, idempotency_key)
    return created(result, f"{WEBHOOKS}/{result['webhook_id']}")


@router.get(WEBHOOKS, tags=TAGS, response_model=pw.PartnerWebhookList)
async def list_partner_webhooks(request: Request, who: Who) -> dict[str, Any]:
    """A partner's own subscriptions; a manager's: every subscription of the tenant."""
    return await forward(request, _qry(pw.LIST_PARTNER_WEBHOOKS), pw.ListPartnerWebhooks(), who)


@router.get(WEBHOOKS + "/{webhook_id}", tags=TAGS, response_model=pw.PartnerWebhookOut)
async def get_partner_webhook(webhook_id: WebhookId, request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, _qry(pw.GET_PARTNER_WEBHOOK), pw.PartnerWebhookRef(webhook_id=webhook_id), who)


@router.delete(WEBHOOKS + "/{webhook_id}", tags=TAGS, response_model=pw.Deleted)
async def delete_partner_webhook(webhook_id: WebhookId, request: Request, who: Who) -> dict[str, Any]:
    """Delete the subscription, its JetStream consumers and its delivery log."""
    return await forward(request, _cmd(pw.DELETE_PARTNER_WEBHOOK), pw.PartnerWebhookRef(webhook_id=webhook_id), who)


@router.post(WEBHOOKS + "/{webhook_id}/disable", tags=TAGS, response_model=pw.PartnerWebhookOut)
async def disable_partner_webhook(webhook_id: WebhookId, request: Request, who: Who) -> dict[str, Any]:
    """Stop deliveries; the position is kept (enable resumes from it)."""
    return await forward(request, _cmd(pw.DISABLE_PARTNER_WEBHOOK), pw.PartnerWebhookRef(webhook_id=webhook_id), who)


@router.post(WEBHOOKS + "/{webhook_id}/enable", tags=TAGS, response_model=pw.PartnerWebhookOut)
async def enable_partner_webhook(webhook_id: WebhookId, request: Request, who: Who) -> dict[str, Any]:
    """Resume deliveries where they stopped (after a dead letter: with the next event)."""
    return await forward(request, _cmd(pw.ENABLE_PARTNER_WEBHOOK), pw.PartnerWebhookRef(webhook_id=webhook_id), who)


@router.post(WEBHOOKS + "/{webhook_id}/rotate-secret", tags=TAGS, response_model=pw.PartnerWebhookOut)
async def rotate_partner_webhook_secret(webhook_id: WebhookId, request: Request, who: Who,
                                        idempotency_key: IdempotencyKey = None,
                                        overlap_hours: Annotated[int, Query(ge=0, le=168)] = 24) -> dict[str, Any]:
    """A new signing secret, returned once; the old one keeps signing (a second signature in
    `webhook-signature`) for `overlap_hours`."""
    return await forward(request, _cmd(pw.ROTATE_PARTNER_WEBHOOK_SECRET), pw.RotatePartnerWebhookSecret(
        webhook_id=webhook_id, overlap_hours=overlap_hours), who, idempotency_key)


@router.post(WEBHOOKS + "/{webhook_id}/replay", tags=TAGS, status_code=202, response_model=pw.PartnerWebhookOut)
async def replay_partner_webhook(webhook_id: WebhookId, body: pw.ReplayStart, request: Request, who: Who,
                                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Deliver again from a stream sequence (`stream`, `from_sequence`) or from a date
    (`from_time`), up to the last event at the time of the request."""
    result = await forward(request, _cmd(pw.REPLAY_PARTNER_WEBHOOK), pw.ReplayPartnerWebhook(
        webhook_id=webhook_id, **body.model_dump(exclude_none=True)), who, idempotency_key)
    return JSONResponse(result, status_code=202)


@router.get(WEBHOOKS + "/{webhook_id}/deliveries", tags=TAGS, response_model=pw.DeliveryPage)
async def partner_webhook_deliveries(webhook_id: WebhookId, request: Request, who: Who,
                                     limit: Annotated[int, Query(ge=1, le=200)] = 50,
                                     before: Annotated[str | None, Query(max_length=80,
                                                                         pattern=r"^[A-Za-z0-9_:.-]+$")] = None
                                     ) -> dict[str, Any]:
    """The delivery log, newest first: one row per attempt (`delivered`, `failed`, `dead`) or
    per event withheld for lack of the member's partner-sharing consent. Pages: `before=next`."""
    return await forward(request, _qry(pw.LIST_PARTNER_WEBHOOK_DELIVERIES), pw.ListPartnerWebhookDeliveries(
        webhook_id=webhook_id, limit=limit, before=before), who)
