"""Dues membership: plans, joining (members' `join_membership`, then fundraising's
`create_checkout`), a member's membership, staff actions and the certificate."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from alumni_contracts import naming
from alumni_contracts.common import Identifier
from alumni_contracts.fundraising import commands as fc
from alumni_contracts.members import membership as ms
from alumni_contracts.text import ShortText
from gateway_service.entrypoints.edge import IdempotencyKey, MemberId, Who, created, forward, require_staff

router = APIRouter()
PLANS = "/api/v1/membership-plans"


def members(name: str, write: bool = True) -> str:
    return naming.command_subject("members", name) if write else naming.query_subject("members", name)


class JoinBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: Identifier
    methods: list[fc.OnlineMethod] = Field(default_factory=lambda: [fc.OnlineMethod.CARD], min_length=1, max_length=2)
    return_url: HttpUrl | None = None


class StaffJoinBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: Identifier


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ShortText


class MembershipCheckout(BaseModel):
    """The membership waiting for payment, what is due, and where to pay it."""

    membership: ms.MembershipOut
    due: ms.DueOut | None = None
    checkout: fc.CheckoutCreated | None = Field(None, description="null when nothing is due (free first year).")


@router.get(PLANS, tags=["membership"], response_model=ms.MembershipPlanList)
async def list_plans(request: Request, who: Who, include_retired: bool = False) -> dict[str, Any]:
    """The tenant's plans (staff may include retired ones)."""
    return await forward(request, members(ms.LIST_MEMBERSHIP_PLANS, False),
                         ms.ListMembershipPlans(include_retired=include_retired), who)


@router.post(PLANS, status_code=201, tags=["membership"], response_model=ms.MembershipPlanOut)
async def create_plan(body: ms.PlanTermsIn, request: Request, who: Who,
                      idempotency_key: IdempotencyKey = None) -> Response:
    """Managers create a plan: an annual tier, or lifetime dues payable at once or in instalments."""
    result = await forward(request, members(ms.CREATE_MEMBERSHIP_PLAN),
                           ms.CreateMembershipPlan(**body.model_dump()), who, idempotency_key)
    return created(result, f"{PLANS}/{result['plan_id']}")


@router.get(PLANS + "/{plan_id}", tags=["membership"], response_model=ms.MembershipPlanOut)
async def get_plan(plan_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, members(ms.GET_MEMBERSHIP_PLAN, False), ms.MembershipPlanRef(plan_id=plan_id), who)


@router.put(PLANS + "/{plan_id}", tags=["membership"], response_model=ms.MembershipPlanOut)
async def edit_plan(plan_id: MemberId, body: ms.PlanTermsIn, request: Request, who: Who,
                    idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """A new revision; current members keep the terms they bought until they renew. A term the
    body leaves out keeps its current value (`name`, `kind` and `price_minor` are always sent):
    raising a price must not silently drop the receiving entity or the tax-deductible share."""
    terms = body.model_dump(include=body.model_fields_set)
    missing = set(ms.PlanTermsIn.model_fields) - body.model_fields_set
    if missing:
        current = await forward(request, members(ms.GET_MEMBERSHIP_PLAN, False), ms.MembershipPlanRef(plan_id=plan_id),
                                who)
        # The plan answers "" for an optional text it does not have; the request spells it null.
        terms |= {k: current.get(k) or None if k in ("description", "legal_entity") else current.get(k)
                  for k in missing if k in current}
    update = ms.UpdateMembershipPlan(plan_id=plan_id, **terms)  # the merged terms checked again (422)
    return await forward(request, members(ms.UPDATE_MEMBERSHIP_PLAN), update, who, idempotency_key)


@router.post(PLANS + "/{plan_id}/retire", tags=["membership"], response_model=ms.MembershipPlanOut)
async def retire_plan(plan_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    """No new members; the plan's members keep it (and may renew on it)."""
    return await forward(request, members(ms.RETIRE_MEMBERSHIP_PLAN), ms.MembershipPlanRef(plan_id=plan_id), who)


@router.get("/api/v1/me/membership", tags=["membership"], response_model=ms.MembershipOut)
async def my_membership(request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, members(ms.GET_MEMBERSHIP, False), ms.MembershipQuery(), who)


@router.post("/api/v1/me/membership", status_code=201, tags=["membership"], response_model=MembershipCheckout,
             responses={422: {"description": "Not eligible for the plan (the problem names the rule)"}})
async def join(body: JoinBody, request: Request, who: Who, idempotency_key: IdempotencyKey = None) -> Response:
    """Join or renew: members records the membership waiting for payment, then fundraising
    opens a hosted checkout for what is due; pay at `checkout.url`. The membership becomes
    active when members hears `dues_paid`, never from this call."""
    joined = await forward(request, members(ms.JOIN_MEMBERSHIP), ms.JoinMembership(plan_id=body.plan_id), who,
                           idempotency_key)
    due, membership = joined.get("due"), joined["membership"]
    checkout = None
    if due is not None:
        checkout = await forward(request, naming.command_subject("fundraising", fc.CREATE_CHECKOUT), fc.CreateCheckout(
            purpose=fc.PaymentPurpose.DUES, reference_id=membership["membership_id"],
            member_id=membership["member_id"], plan_id=membership["plan_id"], amount_minor=due["amount_minor"],
            currency=due["currency"], instalment=due.get("instalment"), instalments=due.get("instalments"),
            description=_description(membership, due), methods=body.methods, return_url=body.return_url),
            who, idempotency_key)
    return created({"membership": membership, "due": due, "checkout": checkout}, "/api/v1/me/membership")


def _description(membership: dict[str, Any], due: dict[str, Any]) -> str:
    text = f"Cotisation — {membership['plan_name']}"
    if due.get("instalment"):
        text += f" ({due['instalment']}/{due['instalments']})"
    return text[:120]


def _pdf(result: dict[str, Any]) -> Response:
    return Response(base64.b64decode(result["pdf_base64"]), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{result["filename"]}"'})


Lang = Annotated[ms.CertificateLanguage, Query(description="fr or en")]


@router.get("/api/v1/me/membership/certificate", tags=["membership"], response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
async def my_certificate(request: Request, who: Who, lang: Lang = ms.CertificateLanguage.FR) -> Response:
    """Membership certificate (*attestation d'adhésion*), PDF."""
    return _pdf(await forward(request, members(ms.MEMBERSHIP_CERTIFICATE, False),
                              ms.MembershipCertificateQuery(language=lang), who))


@router.get("/api/v1/members/{member_id}/membership", tags=["membership"], response_model=ms.MembershipOut)
async def member_membership(member_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    """A member's membership (staff; an alumnus only their own)."""
    return await forward(request, members(ms.GET_MEMBERSHIP, False), ms.MembershipQuery(member_id=member_id), who)


@router.post("/api/v1/members/{member_id}/membership", status_code=201, tags=["membership"],
             response_model=ms.MembershipJoined)
async def staff_join(member_id: MemberId, body: StaffJoinBody, request: Request, who: Who,
                     idempotency_key: IdempotencyKey = None) -> Response:
    """Staff put a member on a plan (then record a manual payment, or send them to pay)."""
    require_staff(who)
    result = await forward(request, members(ms.JOIN_MEMBERSHIP),
                           ms.JoinMembership(plan_id=body.plan_id, member_id=member_id), who, idempotency_key)
    return created(result, f"/api/v1/members/{member_id}/membership")


@router.post("/api/v1/members/{member_id}/membership/cancel", tags=["membership"], response_model=ms.MembershipOut)
async def cancel(member_id: MemberId, body: CancelBody, request: Request, who: Who,
                 idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Staff cancel a membership (a refund, if any, is a separate step)."""
    return await forward(request, members(ms.CANCEL_MEMBERSHIP),
                         ms.CancelMembership(member_id=member_id, reason=body.reason), who, idempotency_key)


@router.get("/api/v1/members/{member_id}/membership/certificate", tags=["membership"], response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
async def member_certificate(member_id: MemberId, request: Request, who: Who,
                             lang: Lang = ms.CertificateLanguage.FR) -> Response:
    return _pdf(await forward(request, members(ms.MEMBERSHIP_CERTIFICATE, False),
                              ms.MembershipCertificateQuery(member_id=member_id, language=lang), who))
