"""Use cases of member records: register, read, list, edit, deaths."""

from __future__ import annotations

from typing import Any

from alumni_contracts.members import commands as c
from alumni_contracts.rpc import ALUMNI_AND_STAFF, STAFF
from members_service.domain.model import ProfileChanges
from members_service.domain.profile import Cohort, Education, EmailAddress, Position, Section, Visibility
from members_service.entrypoints import views
from members_service.entrypoints.use_cases.common import actor, command, query
from members_service.service_layer import profiles
from servicekit.authz import Ownership
from servicekit.bus import Caller, UseCase


def profile_changes(p: c.ProfilePatch) -> ProfileChanges:
    return ProfileChanges(
        first_name=p.first_name, last_name=p.last_name, usage_name=p.usage_name, birth_name=p.birth_name,
        emails=None if p.emails is None else tuple(EmailAddress(str(e.address), e.primary) for e in p.emails),
        phone=p.phone, locale=p.locale.value if p.locale else None,
        photo_url=str(p.photo_url) if p.photo_url else None,
        linkedin_url=str(p.linkedin_url) if p.linkedin_url else None, city=p.city, country=p.country,
        education=None if p.education is None else tuple(
            Education(e.program, e.graduation_year, e.degree, e.campus) for e in p.education),
        career=None if p.career is None else tuple(
            Position(x.employer, x.job_title, x.sector, x.city, x.country, x.start, x.end) for x in p.career))


def visibility(p: c.ProfilePatch) -> dict[Section, Visibility] | None:
    return None if p.visibility is None else {Section(k.value): Visibility(v.value) for k, v in p.visibility.items()}


def _register(req: c.RegisterMember, who: Caller) -> profiles.RegisterMember:
    return profiles.RegisterMember(tenant=who.tenant, first_name=req.first_name, last_name=req.last_name,
                              email=str(req.email), locale=req.locale.value,
                              cohort=Cohort(req.cohort.program, req.cohort.graduation_year))


def _update_mine(req: c.UpdateMyProfile, who: Caller) -> profiles.UpdateProfile:
    return profiles.UpdateProfile(tenant=who.tenant, member_id=who.target, actor=actor(who), expected_version=req.version,
                             changes=profile_changes(req), visibility=visibility(req))


def _update_member(req: c.UpdateMember, who: Caller) -> profiles.UpdateProfile:
    return profiles.UpdateProfile(tenant=who.tenant, member_id=req.member_id, actor=actor(who),
                             expected_version=req.version, changes=profile_changes(req), visibility=visibility(req),
                             email_bounced=req.email_bounced, mail_returned=req.mail_returned)


def _page(found: tuple[list[Any], str | None]) -> c.MemberPage:
    members, cursor = found
    return c.MemberPage(items=[views.member_view(m) for m in members], next_cursor=cursor)


USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=command(c.REGISTER_MEMBER), request=c.RegisterMember, roles=STAFF, idempotent=True,
            message=_register, reply=lambda member_id: c.MemberRegisteredResult(member_id=member_id),
            description="Register an alumnus in the tenant's register."),
    UseCase(subject=query(c.GET_MEMBER), request=c.GetMember, roles=ALUMNI_AND_STAFF, ownership=Ownership.NAMED,
            message=lambda req, who: profiles.GetMember(who.tenant, who.target, actor(who)),
            reply=views.member_view, description="One member's full record (staff: any; alumnus: self)."),
    UseCase(subject=query(c.LIST_MEMBERS), request=c.ListMembers, roles=STAFF,
            message=lambda req, who: profiles.ListMembers(who.tenant, req.limit, req.after,
                                                     newest_first=req.order is c.MemberOrder.NEWEST,
                                                     name_prefix=req.q or None),
            reply=_page, description="Members of the tenant, by id, with a cursor."),
    UseCase(subject=command(c.UPDATE_MY_PROFILE), request=c.UpdateMyProfile, roles=ALUMNI_AND_STAFF,
            ownership=Ownership.SELF, idempotent=True, message=_update_mine, reply=views.member_view,
            description="An alumnus edits their own profile."),
    UseCase(subject=command(c.UPDATE_MEMBER), request=c.UpdateMember, roles=STAFF, idempotent=True,
            message=_update_member, reply=views.member_view,
            description="Staff edit any member of the tenant, including data-hygiene flags."),
    UseCase(subject=command(c.SUGGEST_DECEASED), request=c.SuggestDeceased, roles=ALUMNI_AND_STAFF, idempotent=True,
            message=lambda req, who: profiles.SuggestDeceased(who.tenant, req.member_id, actor(who)),
            reply=lambda member: c.MemberRegisteredResult(member_id=member.id),
            description="Suggest that a member is deceased (a manager confirms)."),
    UseCase(subject=command(c.CONFIRM_DECEASED), request=c.ConfirmDeceased, roles=STAFF, idempotent=True,
            message=lambda req, who: profiles.ConfirmDeceased(who.tenant, req.member_id, actor(who)),
            reply=views.member_view, description="Confirm a member is deceased: out of the directory, no more contact."),
]
