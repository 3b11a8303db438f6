"""Use cases of dues membership: plans, joining and renewing, a member's membership, staff
actions, the certificate."""

from __future__ import annotations

import base64
from typing import Any

from alumni_contracts.members import membership as ms
from alumni_contracts.members.membership_v1 import MembershipState
from alumni_contracts.members.membership_v1 import PlanKind as ContractPlanKind
from alumni_contracts.rpc import ALUMNI_AND_STAFF, STAFF
from members_service.adapters.certificate_pdf import CertificateInput, render_certificate
from members_service.domain.membership import Due, Eligibility, Membership, Plan, PlanKind, PlanTerms
from members_service.entrypoints.use_cases.common import actor, command, query
from members_service.service_layer import membership as dues
from servicekit.authz import Ownership
from servicekit.bus import UseCase


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


def _plans(found: list[Plan]) -> ms.MembershipPlanList:
    return ms.MembershipPlanList(items=[plan_out(p) for p in found])


def _joined(joined: dues.Joined) -> ms.MembershipJoined:
    return ms.MembershipJoined(membership=membership_out(joined.membership), due=due_out(joined.due))


def _certificate(c: dues.Certified) -> ms.MembershipCertificate:
    pdf = render_certificate(CertificateInput(c.member_name, c.membership, c.language, c.now))
    return ms.MembershipCertificate(filename=f"attestation-{c.membership.id}-{c.language}.pdf",
                                    pdf_base64=base64.b64encode(pdf).decode())


USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=command(ms.CREATE_MEMBERSHIP_PLAN), request=ms.CreateMembershipPlan, roles=STAFF, idempotent=True,
            message=lambda req, who: dues.CreatePlan(who.tenant, actor(who), terms_in(req)), reply=plan_out,
            description="Create a membership plan (annual tier or lifetime)."),
    UseCase(subject=command(ms.UPDATE_MEMBERSHIP_PLAN), request=ms.UpdateMembershipPlan, roles=STAFF, idempotent=True,
            message=lambda req, who: dues.EditPlan(who.tenant, actor(who), req.plan_id, terms_in(req)), reply=plan_out,
            description="Edit a plan: a new revision (members keep theirs until renewal)."),
    UseCase(subject=command(ms.RETIRE_MEMBERSHIP_PLAN), request=ms.MembershipPlanRef, roles=STAFF, idempotent=True,
            message=lambda req, who: dues.RetirePlan(who.tenant, actor(who), req.plan_id), reply=plan_out,
            description="Retire a plan: no new members; its members keep it."),
    UseCase(subject=query(ms.LIST_MEMBERSHIP_PLANS), request=ms.ListMembershipPlans, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: dues.ListPlans(who.tenant, actor(who), req.include_retired), reply=_plans,
            description="The tenant's membership plans."),
    UseCase(subject=query(ms.GET_MEMBERSHIP_PLAN), request=ms.MembershipPlanRef, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: dues.GetPlan(who.tenant, req.plan_id), reply=plan_out,
            description="One membership plan."),
    UseCase(subject=command(ms.JOIN_MEMBERSHIP), request=ms.JoinMembership, roles=ALUMNI_AND_STAFF, idempotent=True,
            ownership=Ownership.NAMED,
            message=lambda req, who: dues.JoinMembership(who.tenant, actor(who), req.plan_id, who.target),
            reply=_joined, description="Join, renew or rejoin on a plan: the membership waits for payment of `due`."),
    UseCase(subject=query(ms.GET_MEMBERSHIP), request=ms.MembershipQuery, roles=ALUMNI_AND_STAFF,
            ownership=Ownership.NAMED, message=lambda req, who: dues.GetMembership(who.tenant, actor(who), who.target),
            reply=membership_out, description="A member's dues membership (one's own; staff: anyone's)."),
    UseCase(subject=command(ms.CANCEL_MEMBERSHIP), request=ms.CancelMembership, roles=STAFF, idempotent=True,
            message=lambda req, who: dues.CancelMembership(who.tenant, actor(who), req.member_id, req.reason),
            reply=membership_out, description="Cancel a membership (staff)."),
    UseCase(subject=query(ms.MEMBERSHIP_CERTIFICATE), request=ms.MembershipCertificateQuery, roles=ALUMNI_AND_STAFF,
            ownership=Ownership.NAMED,
            message=lambda req, who: dues.CertifyMembership(who.tenant, actor(who), req.language.value, who.target),
            reply=_certificate, description="Membership certificate (attestation d'adhésion), PDF."),
]
