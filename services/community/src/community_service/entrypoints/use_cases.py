"""What the community service does over request/reply: its use cases, each declared once."""

from __future__ import annotations

from typing import Any

from alumni_contracts import naming
from alumni_contracts.community import commands as cc
from alumni_contracts.community.v1 import ContractType, HelpOutcome, HelpTopic, RemotePolicy
from alumni_contracts.rpc import ALUMNI_AND_STAFF, STAFF, Role
from community_service.domain import figures
from community_service.domain.helping import Helper, Target
from community_service.entrypoints.mentoring_use_cases import MENTORING_USE_CASES
from community_service.service_layer import commands as c
from community_service.service_layer.benefits import BenefitView
from community_service.service_layer.helping import Figures, Viewed
from community_service.service_layer.jobs import JobView
from servicekit.authz import MemberNotLinked, Ownership
from servicekit.bus import Caller, UseCase
from servicekit.domain import utcnow

ALUMNI = frozenset({Role.ALUMNUS})
POSTERS = frozenset({Role.ALUMNUS, Role.PARTNER, *STAFF})


def _cmd(name: str) -> str:
    return naming.command_subject("community", name)


def _qry(name: str) -> str:
    return naming.query_subject("community", name)


def helper_out(h: Helper) -> cc.HelperProfileOut:
    return cc.HelperProfileOut(member_id=h.member_id, topics=[HelpTopic(t) for t in h.topics],
                               monthly_capacity=h.monthly_capacity, active=h.active, sector=h.sector, city=h.city,
                               employer=h.employer, offers_this_month=h.load(utcnow()),
                               opted_in=h.updated_at is not None, updated_at=h.updated_at)


def request_out(v: Viewed) -> cc.HelpRequestOut:
    r, t = v.request, v.request.target
    mine = v.staff or v.viewer_id == r.requester_id
    offers = [cc.OfferOut(helper_id=o.helper_id, status=cc.OfferStatus(o.status.value), round=o.round,
                          offered_at=o.offered_at, answered_at=o.answered_at)
              for o in r.offers if mine or o.helper_id == v.viewer_id]
    contact = None if v.contact is None else cc.ContactOut(
        member_id=v.contact.member_id, first_name=v.contact.first_name, last_name=v.contact.last_name,
        email=v.contact.email)
    assert r.created_at is not None
    return cc.HelpRequestOut(
        request_id=r.id, requester_id=r.requester_id, requester_first_name=v.requester_first_name,
        requester_cohort_year=r.requester_cohort_year, topic=HelpTopic(r.topic), summary=r.summary,
        target=cc.HelpTarget(sector=t.sector, city=t.city, employer=t.employer, cohort_year=t.cohort_year),
        status=cc.HelpStatus(r.status.value), round=r.round, created_at=r.created_at,
        first_answer_at=r.first_answer_at, accepted_at=r.accepted_at, met_at=r.met_at,
        outcome=HelpOutcome(r.outcome) if r.outcome else None,
        helper_id=r.helper_id if (mine or v.viewer_id == r.helper_id) else None, offers=offers, contact=contact)


def _row(f: figures.FigureRow) -> cc.HelpFigureRow:
    return cc.HelpFigureRow(group=f.group, suppressed=f.suppressed, requests=f.requests, by_status=f.by_status,
                            acceptance_rate=f.acceptance_rate,
                            median_hours_to_first_answer=f.median_hours_to_first_answer, outcomes=f.outcomes)


def figures_out(f: Figures) -> cc.HelpFigures:
    return cc.HelpFigures(min_group_size=figures.MIN_GROUP_SIZE, total=_row(f.total),
                          by_cohort=[_row(r) for r in f.by_cohort], by_program=[_row(r) for r in f.by_program],
                          helpers_active=f.helpers_active,
                          helpers_near_capacity=f.helpers_near_capacity)


def _target(t: cc.HelpTarget) -> Target:
    return Target(sector=t.sector, city=t.city, employer=t.employer, cohort_year=t.cohort_year)


def poster_of(who: Caller) -> tuple[str | None, str | None]:
    """Who posts or manages an offer: staff, a partner recruiter (token subject), an alumnus."""
    if who.staff:
        return "staff", who.subject
    if who.principal.has_any(Role.PARTNER):
        return "partner", who.subject
    return ("alumnus", who.own_member_id) if who.own_member_id else (None, None)


def job_out(v: JobView) -> cc.JobOut:
    j = v.job
    insider = v.mine or v.staff
    assert j.created_at is not None
    return cc.JobOut(job_id=j.id, status=cc.JobStatus(j.status.value), title=j.title, company=j.company, city=j.city,
                     country=j.country, sector=j.sector, contract=ContractType(j.contract),
                     remote=RemotePolicy(j.remote), description_fr=j.description_fr,
                     description_en=j.description_en, html_fr=j.html_fr, html_en=j.html_en, apply_url=j.apply_url,
                     apply_email=j.apply_email, posted_by_partner=j.poster.kind == "partner",
                     created_at=j.created_at, published_at=j.published_at, expires_at=j.expires_at, saved=v.saved,
                     saves=j.saves if insider else None, mine=v.mine,
                     review_reason=j.review_reason if insider else None)


def jobs_out(found: list[JobView]) -> cc.JobList:
    return cc.JobList(items=[job_out(v) for v in found])


def _job_action(action: str, reason: str = "") -> Any:
    def build(req: Any, who: Caller) -> c.JobAction:
        kind, poster_id = poster_of(who)
        return c.JobAction(tenant=who.tenant, job_id=req.job_id, action=action, poster_kind=kind,
                           poster_id=poster_id, staff=who.staff, reason=getattr(req, "reason", reason))
    return build


def _post(req: cc.PostJob, who: Caller) -> c.PostJob:
    kind, poster_id = poster_of(who)
    if kind is None or poster_id is None:
        raise MemberNotLinked("this account is not linked to a member")
    return c.PostJob(tenant=who.tenant, poster_kind=kind, poster_id=poster_id, title=req.title, company=req.company,
                     city=req.city, country=req.country, sector=req.sector, contract=req.contract.value,
                     remote=req.remote.value, description_fr=req.description_fr, description_en=req.description_en,
                     apply_url=str(req.apply_url) if req.apply_url else None,
                     apply_email=str(req.apply_email) if req.apply_email else None)


def _list(which: str) -> Any:
    def build(req: Any, who: Caller) -> c.ListJobs:
        kind, poster_id = poster_of(who)
        return c.ListJobs(tenant=who.tenant, which=which, poster_kind=kind, poster_id=poster_id,
                          viewer_id=who.own_member_id, staff=who.staff)
    return build


def _get(req: cc.JobRef, who: Caller) -> c.GetJob:
    kind, poster_id = poster_of(who)
    return c.GetJob(tenant=who.tenant, job_id=req.job_id, poster_kind=kind, poster_id=poster_id,
                    viewer_id=who.own_member_id, staff=who.staff)


JOB_USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=_cmd(cc.POST_JOB), request=cc.PostJob, roles=POSTERS, idempotent=True, message=_post,
            reply=job_out, description="Post an offer (alumni and partners: to the approval queue; staff: published)."),
    UseCase(subject=_cmd(cc.REVIEW_JOB), request=cc.ReviewJob, roles=STAFF, idempotent=True,
            message=lambda req, who: c.JobAction(tenant=who.tenant, job_id=req.job_id,
                                                 action="approve" if req.approve else "reject", poster_kind=None,
                                                 poster_id=None, staff=who.staff, reason=req.reason),
            reply=job_out, description="Approve (published for 30 days, `job_posted`) or reject an offer."),
    UseCase(subject=_cmd(cc.RENEW_JOB), request=cc.JobRef, roles=POSTERS, idempotent=True,
            message=_job_action("renew"), reply=job_out, description="Another 30 days (poster or staff)."),
    UseCase(subject=_cmd(cc.WITHDRAW_JOB), request=cc.JobRef, roles=POSTERS, idempotent=True,
            message=_job_action("withdraw"), reply=job_out, description="Take an offer down (poster or staff)."),
    UseCase(subject=_cmd(cc.SAVE_JOB), request=cc.SaveJob, roles=ALUMNI, ownership=Ownership.SELF, idempotent=True,
            message=lambda req, who: c.SaveJob(tenant=who.tenant, member_id=who.target, job_id=req.job_id,
                                               saved=req.saved),
            reply=job_out, description="Save (or unsave) a listed offer."),
    UseCase(subject=_qry(cc.SEARCH_JOBS), request=cc.SearchJobs, roles=POSTERS,
            message=lambda req, who: c.SearchJobs(
                tenant=who.tenant, viewer_id=who.own_member_id, contract=req.contract.value if req.contract else None,
                remote=req.remote.value if req.remote else None, city=req.city, sector=req.sector, q=req.q,
                limit=req.limit),
            reply=jobs_out, description="Listed offers (published, not expired), filtered."),
    UseCase(subject=_qry(cc.GET_JOB), request=cc.JobRef, roles=POSTERS, message=_get, reply=job_out,
            description="One offer: listed ones for everyone, others for their poster and staff."),
    UseCase(subject=_qry(cc.MY_JOBS), request=cc.NoQuery, roles=POSTERS, message=_list("mine"), reply=jobs_out,
            description="The caller's own offers, every status, with their saves count."),
    UseCase(subject=_qry(cc.JOB_REVIEW_QUEUE), request=cc.NoQuery, roles=STAFF, message=_list("review"),
            reply=jobs_out, description="Offers waiting for approval (staff)."),
    UseCase(subject=_qry(cc.SAVED_JOBS), request=cc.NoQuery, roles=ALUMNI, message=_list("saved"), reply=jobs_out,
            description="The offers I saved that are still listed."),
]

USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=_cmd(cc.SET_HELPER_PROFILE), request=cc.SetHelperProfile, roles=ALUMNI_AND_STAFF,
            ownership=Ownership.SELF, idempotent=True,
            message=lambda req, who: c.SetHelperProfile(
                tenant=who.tenant, member_id=who.target, topics=tuple(t.value for t in req.topics),
                monthly_capacity=req.monthly_capacity, active=req.active, sector=req.sector, city=req.city,
                employer=req.employer),
            reply=helper_out, description="Opt in (or out) as a helper: topics, monthly capacity, on/off."),
    UseCase(subject=_qry(cc.GET_HELPER_PROFILE), request=cc.HelperProfileQuery, roles=ALUMNI_AND_STAFF,
            ownership=Ownership.SELF,
            message=lambda req, who: c.GetHelperProfile(tenant=who.tenant, member_id=who.target,
                                                                  own=who.target == who.own_member_id),
            reply=helper_out, description="A helper profile (one's own; staff: anyone's)."),
    UseCase(subject=_cmd(cc.REQUEST_HELP), request=cc.RequestHelp, roles=ALUMNI, ownership=Ownership.SELF,
            member_field="requester_id", idempotent=True,
            message=lambda req, who: c.RequestHelp(tenant=who.tenant, requester_id=who.target, topic=req.topic.value,
                                                   summary=req.summary, target=_target(req.target)),
            reply=request_out, description="Ask the network for help; routed to helpers with capacity."),
    UseCase(subject=_qry(cc.GET_HELP_REQUEST), request=cc.HelpRequestRef, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: c.GetHelpRequest(tenant=who.tenant, request_id=req.request_id,
                                                      viewer_id=who.own_member_id, staff=who.staff),
            reply=request_out, description="One help request (requester, helpers offered it, staff)."),
    UseCase(subject=_qry(cc.LIST_HELP_REQUESTS), request=cc.ListHelpRequests, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: c.ListHelpRequests(
                tenant=who.tenant, viewer_id=who.own_member_id, staff=who.staff, scope=req.scope.value,
                status=req.status.value if req.status else None, limit=req.limit),
            reply=lambda found: cc.HelpRequestList(items=[request_out(v) for v in found]),
            description="My requests, those offered to me, or (staff) all of the tenant's."),
    UseCase(subject=_cmd(cc.RESPOND_TO_HELP), request=cc.RespondToHelp, roles=ALUMNI, ownership=Ownership.SELF,
            member_field="helper_id", idempotent=True,
            message=lambda req, who: c.RespondToHelp(tenant=who.tenant, request_id=req.request_id,
                                                     helper_id=who.target, accept=req.accept),
            reply=request_out, description="A helper accepts or declines a request offered to them."),
    UseCase(subject=_cmd(cc.MARK_HELP_MET), request=cc.HelpRequestRef, roles=ALUMNI_AND_STAFF, idempotent=True,
            message=lambda req, who: c.MarkHelpMet(tenant=who.tenant, request_id=req.request_id,
                                                   member_id=who.own_member_id, staff=who.staff),
            reply=request_out, description="Requester or helper: we met."),
    UseCase(subject=_cmd(cc.REPORT_HELP_OUTCOME), request=cc.ReportHelpOutcome, roles=ALUMNI,
            ownership=Ownership.SELF, member_field="requester_id", idempotent=True,
            message=lambda req, who: c.ReportHelpOutcome(tenant=who.tenant, request_id=req.request_id,
                                                         requester_id=who.target, outcome=req.outcome.value),
            reply=request_out, description="The requester reports how the help went."),
    UseCase(subject=_qry(cc.HELP_FIGURES), request=cc.HelpFiguresQuery, roles=STAFF,
            message=lambda req, who: c.HelpFigures(tenant=who.tenant, cohort_year=req.cohort_year),
            reply=figures_out, description="Outcome figures of mutual aid (groups under 5 suppressed)."),
]
USE_CASES += JOB_USE_CASES


def benefit_out(v: BenefitView) -> cc.BenefitOut:
    b = v.benefit
    return cc.BenefitOut(benefit_id=b.id, title=b.title, partner=b.partner, description=b.description,
                         conditions=b.conditions, members_only=b.members_only, valid_from=b.valid_from,
                         valid_until=b.valid_until, eligible=v.eligible, code=v.code,
                         redemptions=b.redemptions if v.staff else None)


USE_CASES += [
    UseCase(subject=_cmd(cc.PUBLISH_BENEFIT), request=cc.PublishBenefit, roles=STAFF, idempotent=True,
            message=lambda req, who: c.PublishBenefit(
                tenant=who.tenant, title=req.title, partner=req.partner, description=req.description,
                conditions=req.conditions, members_only=req.members_only, code=req.code, valid_from=req.valid_from,
                valid_until=req.valid_until),
            reply=benefit_out, description="Publish a partner discount or perk (`benefit_published`)."),
    UseCase(subject=_qry(cc.LIST_BENEFITS), request=cc.NoQuery, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: c.ListBenefits(tenant=who.tenant, member_id=who.own_member_id, staff=who.staff),
            reply=lambda found: cc.BenefitList(items=[benefit_out(v) for v in found]),
            description="Benefits valid now, with whether the caller may reveal each code."),
    UseCase(subject=_cmd(cc.REDEEM_BENEFIT), request=cc.BenefitRef, roles=ALUMNI, ownership=Ownership.SELF,
            idempotent=True,
            message=lambda req, who: c.RedeemBenefit(tenant=who.tenant, benefit_id=req.benefit_id,
                                                     member_id=who.target),
            reply=benefit_out, description="Reveal a benefit's code (members-only: dues-paying members)."),
]
USE_CASES += MENTORING_USE_CASES
