"""Request/reply entry points of dues membership (current `RequestHandler` shape)."""

from __future__ import annotations

import base64
from collections.abc import Callable

from alumni_contracts.members import membership as ms
from alumni_contracts.members.membership_v1 import MembershipState
from alumni_contracts.members.membership_v1 import PlanKind as ContractPlanKind
from alumni_contracts.rpc import Principal, Role
from members_service.adapters.certificate_pdf import CertificateInput, render_certificate
from members_service.domain.membership import Due, Eligibility, Membership, Plan, PlanKind, PlanTerms
from members_service.domain.model import MemberNotFound
from members_service.entrypoints.requests import actor, command, query
from members_service.service_layer import membership
from members_service.service_layer.ports import MemberReader, MembersUnitOfWork
from servicekit.domain import utcnow
from servicekit.rpc import RequestHandler

STAFF = frozenset({Role.MANAGER, Role.ADMIN})
ALUMNI_AND_STAFF = frozenset({Role.ALUMNUS, *STAFF})


def terms_in(req: ms.PlanTermsIn) -> PlanTerms:
    return PlanTerms(name=req.name, kind=PlanKind(req.kind.value), price_minor=req.price_minor, currency=req.currency,
                     period_months=req.period_months, instalments=req.instalments,
                     instalment_interval_months=req.instalment_interval_months, grace_days=req.grace_days,
                     legal_entity=req.legal_entity or "", tax_deductible_minor=req.tax_deductible_minor,
                     description=req.description or "",
                     eligibility=Eligibility(req.max_years_since_graduation, req.free_first_year_within_years))


def plan_out(p: Plan) -> ms.MembershipPlanOut:
    t = p.terms
    return ms.MembershipPlanOut(
        plan_id=p.id, revision=p.revision, retired=p.retired, retired_at=p.retired_at, name=t.name,
        description=t.description, kind=ContractPlanKind(t.kind.value), price_minor=t.price_minor,
        currency=t.currency, period_months=t.period_months, instalments=t.instalments,
        instalment_interval_months=t.instalment_interval_months, grace_days=t.grace_days,
        legal_entity=t.legal_entity, tax_deductible_minor=t.tax_deductible_minor,
        max_years_since_graduation=t.eligibility.max_years_since_graduation,
        free_first_year_within_years=t.eligibility.free_first_year_within_years)


def due_out(d: Due | None) -> ms.DueOut | None:
    return None if d is None else ms.DueOut(amount_minor=d.amount_minor, currency=d.currency, instalment=d.instalment,
                                            instalments=d.instalments, requested_at=d.requested_at)


def membership_out(m: Membership) -> ms.MembershipOut:
    f = m.last_failure
    return ms.MembershipOut(
        membership_id=m.id, member_id=m.member_id, plan_id=m.plan.plan_id, plan_name=m.terms.name,
        plan_kind=ContractPlanKind(m.terms.kind.value), plan_revision=m.plan.revision,
        status=MembershipState(m.status.value), status_reason=m.status_reason, status_since=m.status_since,
        paid_until=m.paid_until, grace_until=m.grace_until, paid_instalments=m.paid_instalments,
        instalments=m.terms.instalments, missed_instalment=m.missed_instalment, due=due_out(m.due),
        last_failure=None if f is None else ms.FailureOut(payment_id=f.payment_id, reason=f.reason, at=f.at,
                                                          instalment=f.instalment),
        legal_entity=m.terms.legal_entity,
        periods=[ms.PeriodOut(start=p.start, end=p.end, payment_id=p.payment_id, free=p.free, instalment=p.instalment)
                 for p in m.periods],
        payments=[ms.MembershipPaymentOut(
            payment_id=p.payment_id, amount_minor=p.amount_minor, currency=p.currency, paid_at=p.paid_at,
            method=p.method, provider=p.provider, instalment=p.instalment, reference=p.reference, applied=p.applied,
            note=p.note, refunded_minor=p.refunded_minor) for p in m.payments],
        transitions=[ms.TransitionOut(from_status=MembershipState(t.from_status.value),
                                      to_status=MembershipState(t.to_status.value), reason=t.reason, at=t.at)
                     for t in m.transitions])


def membership_request_handlers(uow_factory: Callable[[], MembersUnitOfWork],
                                reader: MemberReader) -> list[RequestHandler]:
    async def create_plan(req: ms.CreateMembershipPlan, who: Principal) -> ms.MembershipPlanOut:
        return plan_out(await membership.create_plan(who.tenant, actor(who), terms_in(req), uow_factory()))

    async def update_plan(req: ms.UpdateMembershipPlan, who: Principal) -> ms.MembershipPlanOut:
        return plan_out(await membership.edit_plan(who.tenant, actor(who), req.plan_id, terms_in(req), uow_factory()))

    async def retire_plan(req: ms.MembershipPlanRef, who: Principal) -> ms.MembershipPlanOut:
        return plan_out(await membership.retire_plan(who.tenant, actor(who), req.plan_id, uow_factory()))

    async def list_plans(req: ms.ListMembershipPlans, who: Principal) -> ms.MembershipPlanList:
        found = await membership.list_plans(who.tenant, actor(who), req.include_retired, uow_factory())
        return ms.MembershipPlanList(items=[plan_out(p) for p in found])

    async def get_plan(req: ms.MembershipPlanRef, who: Principal) -> ms.MembershipPlanOut:
        return plan_out(await membership.get_plan(who.tenant, req.plan_id, uow_factory()))

    async def join(req: ms.JoinMembership, who: Principal) -> ms.MembershipJoined:
        joined = await membership.join_membership(who.tenant, actor(who), req.plan_id, uow_factory(), req.member_id)
        return ms.MembershipJoined(membership=membership_out(joined.membership), due=due_out(joined.due))

    async def get(req: ms.MembershipQuery, who: Principal) -> ms.MembershipOut:
        return membership_out(await membership.get_membership(who.tenant, actor(who), uow_factory(), req.member_id))

    async def cancel(req: ms.CancelMembership, who: Principal) -> ms.MembershipOut:
        return membership_out(await membership.cancel_membership(who.tenant, actor(who), req.member_id, req.reason,
                                                                 uow_factory()))

    async def certificate(req: ms.MembershipCertificateQuery, who: Principal) -> ms.MembershipCertificate:
        now = utcnow()
        m = await membership.get_membership(who.tenant, actor(who), uow_factory(), req.member_id, clock=lambda: now)
        member = await reader.get(who.tenant, m.member_id)
        if member is None:
            raise MemberNotFound(m.member_id)
        first, last = member.display_names()
        pdf = render_certificate(CertificateInput(f"{first} {last}", m, req.language.value, now))
        return ms.MembershipCertificate(filename=f"attestation-{m.id}-{req.language.value}.pdf",
                                        pdf_base64=base64.b64encode(pdf).decode())

    return [
        RequestHandler(command(ms.CREATE_MEMBERSHIP_PLAN), ms.CreateMembershipPlan, create_plan, STAFF,
                       idempotent=True, description="Create a membership plan (annual tier or lifetime)."),
        RequestHandler(command(ms.UPDATE_MEMBERSHIP_PLAN), ms.UpdateMembershipPlan, update_plan, STAFF,
                       idempotent=True, description="Edit a plan: a new revision (members keep theirs until renewal)."),
        RequestHandler(command(ms.RETIRE_MEMBERSHIP_PLAN), ms.MembershipPlanRef, retire_plan, STAFF, idempotent=True,
                       description="Retire a plan: no new members; its members keep it."),
        RequestHandler(query(ms.LIST_MEMBERSHIP_PLANS), ms.ListMembershipPlans, list_plans, ALUMNI_AND_STAFF,
                       description="The tenant's membership plans."),
        RequestHandler(query(ms.GET_MEMBERSHIP_PLAN), ms.MembershipPlanRef, get_plan, ALUMNI_AND_STAFF,
                       description="One membership plan."),
        RequestHandler(command(ms.JOIN_MEMBERSHIP), ms.JoinMembership, join, ALUMNI_AND_STAFF, idempotent=True,
                       description="Join, renew or rejoin on a plan: the membership waits for payment of `due`."),
        RequestHandler(query(ms.GET_MEMBERSHIP), ms.MembershipQuery, get, ALUMNI_AND_STAFF,
                       description="A member's dues membership (one's own; staff: anyone's)."),
        RequestHandler(command(ms.CANCEL_MEMBERSHIP), ms.CancelMembership, cancel, STAFF, idempotent=True,
                       description="Cancel a membership (staff)."),
        RequestHandler(query(ms.MEMBERSHIP_CERTIFICATE), ms.MembershipCertificateQuery, certificate,
                       ALUMNI_AND_STAFF, description="Membership certificate (attestation d'adhésion), PDF."),
    ]
