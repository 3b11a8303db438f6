"""What the community service does over request/reply: its use cases, each declared once."""

from __future__ import annotations

from typing import Any

from alumni_contracts import naming
from alumni_contracts.community import commands as cc
from alumni_contracts.community.v1 import HelpOutcome, HelpTopic
from alumni_contracts.rpc import ALUMNI_AND_STAFF, STAFF, Role
from community_service.domain import figures
from community_service.domain.helping import Helper, Target
from community_service.service_layer import commands as c
from community_service.service_layer.helping import Figures, Viewed
from servicekit.authz import Ownership
from servicekit.bus import UseCase
from servicekit.domain import utcnow

ALUMNI = frozenset({Role.ALUMNUS})


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
                          by_cohort=[_row(r) for r in f.by_cohort], helpers_active=f.helpers_active,
                          helpers_near_capacity=f.helpers_near_capacity)


def _target(t: cc.HelpTarget) -> Target:
    return Target(sector=t.sector, city=t.city, employer=t.employer, cohort_year=t.cohort_year)


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
            message=lambda req, who: c.GetHelperProfile(tenant=who.tenant, member_id=who.target),
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
