"""Fundraising: campaigns and their public page, gifts (manual, online), refunds, recurring
gifts, pledges, class-giving leaderboards and the giving report; alumni's own donations."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from alumni_contracts import naming
from alumni_contracts.fundraising import gifts as g
from alumni_contracts.rpc import Principal, Role
from gateway_service.adapters.leaderboard_hub import Board, LeaderboardHub
from gateway_service.entrypoints.edge import IdempotencyKey, Who, created, forward, require_staff

router = APIRouter()

Id = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
TenantSlug = Annotated[str, Path(pattern=r"^[a-z0-9-]{2,32}$")]
OptionalId = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
TAGS: list[str | Any] = ["fundraising"]
PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown campaign, gift, recurring gift or pledge (another tenant's too)"},
    409: {"description": "The campaign is closed or not open yet; nothing left to refund; not in that state"},
    422: {"description": "Zero/negative amount, unsupported currency, currency differing from the campaign's, "
                         "unknown member, fund or appeal"}}


def cmd(name: str) -> str:
    return naming.command_subject("fundraising", name)


def qry(name: str) -> str:
    return naming.query_subject("fundraising", name)


# -- campaigns ---------------------------------------------------------------------------

@router.post("/api/v1/campaigns", status_code=201, tags=TAGS, response_model=g.CampaignView, responses=PROBLEMS)
async def launch_campaign(body: g.LaunchCampaign, request: Request, who: Who,
                          idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Managers launch a campaign (goal, window, receiving legal entity, funds, appeals);
    `campaign_launched` follows."""
    require_staff(who)
    result = await forward(request, cmd(g.LAUNCH_CAMPAIGN), body, who, idempotency_key)
    return created(result, f"/api/v1/campaigns/{result['campaign_id']}")


@router.get("/api/v1/campaigns", tags=TAGS, response_model=g.CampaignList)
async def list_campaigns(request: Request, who: Who, status: g.CampaignStatus | None = None,
                         limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    """Campaigns with their live progress, newest first."""
    return await forward(request, qry(g.LIST_CAMPAIGNS), g.ListCampaigns(status=status, limit=limit), who)


@router.get("/api/v1/campaigns/{campaign_id}", tags=TAGS, response_model=g.CampaignView, responses=PROBLEMS)
async def get_campaign(campaign_id: Id, request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, qry(g.GET_CAMPAIGN), g.CampaignRef(campaign_id=campaign_id), who)


@router.post("/api/v1/campaigns/{campaign_id}/close", tags=TAGS, response_model=g.CampaignView, responses=PROBLEMS)
async def close_campaign(campaign_id: Id, request: Request, who: Who,
                         idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """No more gifts; `campaign_closed` follows."""
    require_staff(who)
    return await forward(request, cmd(g.CLOSE_CAMPAIGN), g.CampaignRef(campaign_id=campaign_id), who,
                         idempotency_key)


@router.post("/api/v1/campaigns/{campaign_id}/progress/rebuild", tags=TAGS, response_model=g.ProgressRebuilt,
             responses=PROBLEMS)
async def rebuild_campaign_progress(campaign_id: Id, request: Request, who: Who) -> dict[str, Any]:
    """Managers: recompute the campaign's progress (raised, gifts, donors) from its gifts — the
    progress projection's replay."""
    require_staff(who)
    return await forward(request, cmd(g.REBUILD_PROGRESS), g.CampaignRef(campaign_id=campaign_id), who)


@router.get("/api/v1/campaigns/{campaign_id}/leaderboard", tags=TAGS, response_model=g.Leaderboard,
            responses=PROBLEMS)
async def campaign_leaderboard(campaign_id: Id, request: Request, who: Who) -> dict[str, Any]:
    """Class giving: participation (donors ÷ alumni of record), amount raised and donors per
    cohort and per program. The console polls it during a giving day."""
    return await forward(request, qry(g.CAMPAIGN_LEADERBOARD), g.CampaignRef(campaign_id=campaign_id), who)


# -- the live leaderboard (Server-Sent Events) ------------------------------------------------

KEEPALIVE_SECONDS = 15.0
STREAM_SECONDS = 600.0  # a stream ends after this (the console reconnects, and so re-authenticates)


def leaderboard_hub(app: FastAPI) -> LeaderboardHub:
    """The process's hub, made on first use (it asks fundraising through the app's bus)."""
    hub: LeaderboardHub | None = getattr(app.state, "leaderboards", None)
    if hub is None:
        async def fetch(principal: Principal, campaign_id: str) -> Board:
            reply = await app.state.bus.request(qry(g.CAMPAIGN_LEADERBOARD), g.CampaignRef(campaign_id=campaign_id),
                                                principal, f"leaderboard-stream-{uuid.uuid4()}")
            if not reply.ok:
                raise RuntimeError(f"leaderboard: {reply.problem}")
            result: Board = reply.result or {}
            return result

        hub = app.state.leaderboards = LeaderboardHub(fetch, getattr(app.state, "leaderboard_interval", 1.0))
    return hub


def sse(event: str, data: Board) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"


@router.get("/api/v1/campaigns/{campaign_id}/leaderboard/stream", tags=TAGS, response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`event: leaderboard` with the board (as the JSON route), then one "
                                            "each time it changes; a `: keepalive` comment every 15 s"},
                       **PROBLEMS})
async def campaign_leaderboard_stream(campaign_id: Id, request: Request, who: Who) -> StreamingResponse:
    """The class leaderboard pushed live (Server-Sent Events): the board at once, then each new
    one as gifts come in. One feed per gateway process and campaign asks fundraising about once
    a second, whatever the number of consoles. Authenticated by the usual bearer header (read
    the stream with `fetch`); another tenant's campaign is a 404 before the stream opens. A
    stream ends after 10 minutes: reconnect."""
    first = await forward(request, qry(g.CAMPAIGN_LEADERBOARD), g.CampaignRef(campaign_id=campaign_id), who)
    hub = leaderboard_hub(request.app)

    async def events() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        ends = loop.time() + STREAM_SECONDS
        async with hub.subscribe(who, campaign_id, first) as updates:
            yield "retry: 3000\n" + sse("leaderboard", first)
            while (left := ends - loop.time()) > 0:
                try:
                    board = await asyncio.wait_for(updates.get(), min(KEEPALIVE_SECONDS, left))
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                yield sse("leaderboard", board)
            yield sse("end", {"reason": "reconnect"})

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/api/v1/public/{tenant}/campaigns/{campaign_id}", tags=TAGS, response_model=g.PublicCampaignView,
            responses={404: {"description": "Unknown campaign"}})
async def public_campaign(tenant: TenantSlug, campaign_id: Id, request: Request) -> dict[str, Any]:
    """Public, unauthenticated: a campaign's progress and the donors who agreed to be named
    (never anonymous gifts, never amounts per donor)."""
    visitor = Principal(tenant=tenant, subject="anonymous", roles=frozenset({Role.PUBLIC}))
    return await forward(request, qry(g.PUBLIC_CAMPAIGN), g.CampaignRef(campaign_id=campaign_id), visitor)


# -- gifts -------------------------------------------------------------------------------

@router.post("/api/v1/gifts", status_code=201, tags=TAGS, response_model=g.GiftView, responses=PROBLEMS)
async def record_gift(body: g.RecordGift, request: Request, who: Who,
                      idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Managers record a gift received by cheque, transfer or cash (with its reference), or in
    kind; `donation_received` follows at once."""
    require_staff(who)
    result = await forward(request, cmd(g.RECORD_GIFT), body, who, idempotency_key)
    return created(result, f"/api/v1/gifts?member_id={result['member_id']}")


@router.post("/api/v1/gifts/checkout", status_code=201, tags=TAGS, response_model=g.GiftCheckout,
             responses={**PROBLEMS, 502: {"description": "The payment provider is unavailable"}})
async def give_online(body: g.GiveOnline, request: Request, who: Who,
                      idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Give online: opens a hosted checkout (alumni for themselves); the gift exists once the
    provider's signed webhook says it was paid (the same webhook twice: one gift)."""
    result = await forward(request, cmd(g.GIVE_ONLINE), body, who, idempotency_key)
    return created(result, result["url"])


@router.get("/api/v1/gifts", tags=TAGS, response_model=g.GiftPage)
async def list_gifts(request: Request, who: Who, campaign_id: OptionalId = None, member_id: OptionalId = None,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50, after: OptionalId = None) -> dict[str, Any]:
    require_staff(who)
    return await forward(request, qry(g.LIST_GIFTS), g.ListGifts(campaign_id=campaign_id, member_id=member_id,
                                                                 limit=limit, after=after), who)


@router.post("/api/v1/gifts/{gift_id}/refund", tags=TAGS, response_model=g.GiftView, responses=PROBLEMS)
async def refund_gift(gift_id: Id, body: g.RefundGiftIn, request: Request, who: Who,
                      idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Refund a gift, wholly or in part (at the provider for an online one); `donation_refunded`."""
    require_staff(who)
    return await forward(request, cmd(g.REFUND_GIFT), g.RefundGift(gift_id=gift_id, **body.model_dump()), who,
                         idempotency_key)


@router.get("/api/v1/me/donations", tags=TAGS, response_model=g.MyDonations)
async def my_donations(request: Request, who: Who) -> dict[str, Any]:
    """Your gifts, recurring gifts and pledges."""
    return await forward(request, qry(g.MY_DONATIONS), g.MyDonationsQuery(), who)


# -- recurring gifts and pledges ---------------------------------------------------------

@router.post("/api/v1/recurring-gifts", status_code=201, tags=TAGS, response_model=g.RecurringGiftView,
             responses=PROBLEMS)
async def start_recurring_gift(body: g.StartRecurringGift, request: Request, who: Who,
                               idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """A monthly or yearly gift (alumni: their own); `recurring_gift_started`."""
    result = await forward(request, cmd(g.START_RECURRING_GIFT), body, who, idempotency_key)
    return created(result, f"/api/v1/recurring-gifts?member_id={result['member_id']}")


@router.get("/api/v1/recurring-gifts", tags=TAGS, response_model=g.RecurringGiftList)
async def list_recurring_gifts(request: Request, who: Who, member_id: OptionalId = None,
                               status: Annotated[str | None, Query(pattern=r"^(active|paused|failed|cancelled)$")]
                               = None) -> dict[str, Any]:
    """Managers: the recurring base, failed ones included (they are reminded, never silent)."""
    require_staff(who)
    return await forward(request, qry(g.LIST_RECURRING_GIFTS), g.ListRecurringGifts(member_id=member_id,
                                                                                    status=status), who)


@router.post("/api/v1/recurring-gifts/checkout", status_code=201, tags=TAGS, response_model=g.RecurringCheckout,
             responses={**PROBLEMS, 502: {"description": "The payment provider is unavailable"}})
async def start_recurring_gift_online(body: g.StartRecurringGiftOnline, request: Request, who: Who,
                                      idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """A monthly or yearly gift charged automatically (alumni: their own): the hosted checkout
    pays the first period and saves the card; the provider's signed webhook makes the recurring
    gift (`recurring_gift_started`, `donation_received`); the next periods are charged on their day."""
    result = await forward(request, cmd(g.START_RECURRING_GIFT_ONLINE), body, who, idempotency_key)
    return created(result, result["url"])


@router.post("/api/v1/recurring-gifts/charge-due", tags=TAGS, response_model=g.ChargeRunView, responses=PROBLEMS)
async def charge_due_recurring_gifts(request: Request, who: Who, body: g.ChargeDueIn | None = None) -> dict[str, Any]:
    """Managers: charge this tenant's recurring gifts due now (the scheduler does it every hour;
    running it again charges nothing twice). `as_of` in the future: test clock only (422 otherwise)."""
    require_staff(who)
    return await forward(request, cmd(g.CHARGE_DUE_RECURRING_GIFTS), body or g.ChargeDueIn(), who)


@router.post("/api/v1/recurring-gifts/{recurring_gift_id}/payment-method", status_code=201, tags=TAGS,
             response_model=g.RecurringCheckout,
             responses={**PROBLEMS, 502: {"description": "The payment provider is unavailable"}})
async def update_recurring_payment_method(recurring_gift_id: Id, request: Request, who: Who,
                                          body: g.PaymentMethodIn | None = None,
                                          idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """A failed recurring gift (alumni: their own; the reminder's link): a hosted checkout pays the
    overdue period with a new card, saved for the next ones; the gift is `active` again (409 when
    it is not `failed`)."""
    result = await forward(request, cmd(g.UPDATE_RECURRING_PAYMENT_METHOD),
                           g.UpdateRecurringPaymentMethod(recurring_gift_id=recurring_gift_id,
                                                          return_url=body.return_url if body else None),
                           who, idempotency_key)
    return created(result, result["url"])


@router.post("/api/v1/recurring-gifts/{recurring_gift_id}/charges", tags=TAGS, response_model=g.RecurringGiftView,
             responses=PROBLEMS)
async def record_recurring_charge(recurring_gift_id: Id, body: g.RecurringChargeIn, request: Request, who: Who,
                                  idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """The outcome of one charge: a success is a gift; a failure sets `failed` and publishes
    `recurring_gift_failed` (the donor's reminder)."""
    require_staff(who)
    return await forward(request, cmd(g.RECORD_RECURRING_CHARGE),
                         g.RecordRecurringCharge(recurring_gift_id=recurring_gift_id, **body.model_dump()), who,
                         idempotency_key)


@router.post("/api/v1/recurring-gifts/{recurring_gift_id}/{action}", tags=TAGS, response_model=g.RecurringGiftView,
             responses=PROBLEMS)
async def change_recurring_gift(recurring_gift_id: Id, action: g.RecurringAction, request: Request, who: Who,
                                body: g.RecurringChangeIn | None = None,
                                idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """`pause`, `resume` or `cancel` (alumni: their own); a cancel publishes `recurring_gift_cancelled`."""
    reason = body.reason if body else None
    return await forward(request, cmd(g.CHANGE_RECURRING_GIFT),
                         g.ChangeRecurringGift(recurring_gift_id=recurring_gift_id, action=action, reason=reason),
                         who, idempotency_key)


@router.post("/api/v1/pledges", status_code=201, tags=TAGS, response_model=g.PledgeView, responses=PROBLEMS)
async def make_pledge(body: g.MakePledge, request: Request, who: Who,
                      idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """A promise paid in instalments (gifts with `pledge_id`); `pledge_made`, then `pledge_fulfilled`."""
    result = await forward(request, cmd(g.MAKE_PLEDGE), body, who, idempotency_key)
    return created(result, f"/api/v1/pledges?member_id={result['member_id']}")


@router.get("/api/v1/pledges", tags=TAGS, response_model=g.PledgeList)
async def list_pledges(request: Request, who: Who, member_id: OptionalId = None) -> dict[str, Any]:
    require_staff(who)
    return await forward(request, qry(g.LIST_PLEDGES), g.ListPledges(member_id=member_id), who)


@router.get("/api/v1/giving/report", tags=TAGS, response_model=g.GivingReport)
async def giving_report(request: Request, who: Who, year: Annotated[int, Query(ge=2000, le=2100)]) -> dict[str, Any]:
    """Managers: donors this year and last, retention, LYBUNT and SYBUNT lists, recurring base
    and churn."""
    require_staff(who)
    return await forward(request, qry(g.GIVING_REPORT), g.GivingReportQuery(year=year), who)
