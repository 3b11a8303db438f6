"""Request/reply entry points: parse, build the command, call the use case, shape the result."""

from __future__ import annotations

import base64
from collections.abc import Callable

from alumni_contracts import naming
from alumni_contracts.members import commands as c
from alumni_contracts.privacy import ERASURE_DEADLINE_DAYS
from alumni_contracts.rpc import Principal, Role
from alumni_contracts.subscriptions import erasure_confirmers
from members_service.domain.ambassador import AmbassadorScope
from members_service.domain.consent import Channel, Purpose
from members_service.domain.directory import DirectoryCriteria
from members_service.domain.model import MemberNotFound, ProfileChanges
from members_service.domain.profile import Cohort, Education, EmailAddress, Position, Section, Visibility
from members_service.domain.sectors import Sector
from members_service.domain.showcase import ShowcaseChannel, ShowcaseField, ShowcaseProfile, ShowcaseScope
from members_service.entrypoints import views
from members_service.service_layer import commands as cmd
from members_service.service_layer import handlers
from members_service.service_layer.ports import DirectorySearch, MemberReader, MembersUnitOfWork
from servicekit.domain import DomainError, utcnow
from servicekit.rpc import RequestHandler

STAFF = frozenset({Role.MANAGER, Role.ADMIN})
ALUMNI_AND_STAFF = frozenset({Role.ALUMNUS, Role.MANAGER, Role.ADMIN})


class InvalidCursor(DomainError):
    code = "invalid-cursor"
    title = "Invalid cursor"


def actor(who: Principal) -> cmd.Actor:
    return cmd.Actor(subject=who.subject, member_id=who.member_id, staff=who.has_any(*STAFF))


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        key = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        key = ""
    if key.count("\x1f") != 2:  # last name, first name, id: see the repository's sort key
        raise InvalidCursor("the cursor was not produced by this directory")
    return key


def command(name: str) -> str:
    return naming.command_subject("members", name)


def query(name: str) -> str:
    return naming.query_subject("members", name)


def own_id(who: Principal) -> str:
    if who.member_id is None:
        raise MemberNotFound("this account is not linked to a member")
    return who.member_id


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


def showcase_scope(s: c.ShowcaseScopeIn | None) -> ShowcaseScope | None:
    if s is None:
        return None
    return ShowcaseScope(frozenset(ShowcaseField(f.value) for f in s.fields),
                         frozenset(ShowcaseChannel(x.value) for x in s.channels), s.expires_at)


def whose(requested: str | None, who: Principal) -> str:
    """Staff may name a member; alumni always act on themselves."""
    return requested if (requested and who.has_any(*STAFF)) else own_id(who)


def request_handlers(uow_factory: Callable[[], MembersUnitOfWork], reader: MemberReader,
                     directory: DirectorySearch) -> list[RequestHandler]:
    async def register(req: c.RegisterMember, who: Principal) -> c.MemberRegisteredResult:
        member_id = await handlers.register_member(cmd.RegisterMember(
            tenant=who.tenant, first_name=req.first_name, last_name=req.last_name, email=str(req.email),
            locale=req.locale.value, cohort=Cohort(req.cohort.program, req.cohort.graduation_year)), uow_factory())
        return c.MemberRegisteredResult(member_id=member_id)

    async def get(req: c.GetMember, who: Principal) -> c.MemberView:
        member = await handlers.get_member(cmd.GetMember(
            tenant=who.tenant, member_id=req.member_id, viewer_member_id=who.member_id,
            viewer_is_staff=who.has_any(*STAFF)), reader)
        return views.member_view(member)

    async def list_(req: c.ListMembers, who: Principal) -> c.MemberPage:
        members, cursor = await handlers.list_members(cmd.ListMembers(
            who.tenant, req.limit, req.after, newest_first=req.order is c.MemberOrder.NEWEST,
            name_prefix=req.q or None), reader)
        return c.MemberPage(items=[views.member_view(m) for m in members], next_cursor=cursor)

    async def update_mine(req: c.UpdateMyProfile, who: Principal) -> c.MemberView:
        member = await handlers.update_profile(cmd.UpdateProfile(
            tenant=who.tenant, member_id=own_id(who), actor=actor(who), expected_version=req.version,
            changes=profile_changes(req), visibility=visibility(req)), uow_factory())
        return views.member_view(member)

    async def update_member(req: c.UpdateMember, who: Principal) -> c.MemberView:
        member = await handlers.update_profile(cmd.UpdateProfile(
            tenant=who.tenant, member_id=req.member_id, actor=actor(who), expected_version=req.version,
            changes=profile_changes(req), visibility=visibility(req), email_bounced=req.email_bounced,
            mail_returned=req.mail_returned), uow_factory())
        return views.member_view(member)

    async def suggest_deceased(req: c.SuggestDeceased, who: Principal) -> c.MemberRegisteredResult:
        await handlers.suggest_deceased(cmd.SuggestDeceased(who.tenant, req.member_id, actor(who)), uow_factory())
        return c.MemberRegisteredResult(member_id=req.member_id)

    async def confirm_deceased(req: c.ConfirmDeceased, who: Principal) -> c.MemberView:
        member = await handlers.confirm_deceased(cmd.ConfirmDeceased(who.tenant, req.member_id, actor(who)),
                                                 uow_factory())
        return views.member_view(member)

    async def set_consent(req: c.SetConsent, who: Principal) -> c.ConsentLedger:
        who_acts = actor(who)
        member = await handlers.set_consent(cmd.SetConsent(
            tenant=who.tenant, member_id=whose(req.member_id, who), actor=who_acts, purpose=Purpose(req.purpose.value),
            granted=req.granted, text_version=req.text_version, language=req.language.value,
            channel=Channel(req.channel.value), scope=showcase_scope(req.scope)), uow_factory())
        _, history = await handlers.consent_ledger(who.tenant, member.id, who_acts, reader)
        return views.consent_ledger(member, history)

    async def get_consents(req: c.GetConsents, who: Principal) -> c.ConsentLedger:
        member, history = await handlers.consent_ledger(who.tenant, whose(req.member_id, who), actor(who), reader)
        return views.consent_ledger(member, history)

    async def search(req: c.SearchDirectory, who: Principal) -> c.DirectoryPage:
        year_from, year_to = (req.year, req.year) if req.year else (req.year_from, req.year_to)
        criteria = DirectoryCriteria(name_prefix=req.q, program=req.program, year_from=year_from, year_to=year_to,
                                     employer_prefix=req.employer, sector=req.sector, city=req.city, country=req.country,
                                     ambassadors_only=req.ambassadors)
        cards, after = await handlers.search_directory(cmd.SearchDirectory(
            tenant=who.tenant, viewer=actor(who).viewer, criteria=criteria, limit=req.limit,
            after=decode_cursor(req.cursor) if req.cursor else None), directory)
        return c.DirectoryPage(items=[views.directory_entry(card) for card in cards],
                               next_cursor=encode_cursor(after) if after else None)

    async def set_showcase(req: c.SetShowcase, who: Principal) -> c.MemberView:
        showcase = ShowcaseProfile(quote=req.quote, story=req.story,
                                   photo_url=str(req.photo_url) if req.photo_url else None,
                                   employer=req.employer, job_title=req.job_title)
        member = await handlers.set_showcase(cmd.SetShowcase(who.tenant, whose(req.member_id, who), actor(who),
                                                             showcase), uow_factory())
        return views.member_view(member)

    async def remove_showcase(req: c.RemoveShowcase, who: Principal) -> c.MemberView:
        member = await handlers.set_showcase(cmd.SetShowcase(who.tenant, whose(req.member_id, who), actor(who),
                                                             None), uow_factory())
        return views.member_view(member)

    async def public_showcase(req: c.PublicShowcaseQuery, who: Principal) -> c.ShowcasePage:
        entries = await handlers.public_showcase(cmd.PublicShowcaseQuery(who.tenant, ShowcaseChannel(req.channel.value)),
                                                 reader)
        return c.ShowcasePage(items=[views.showcase_entry(e) for e in entries])

    async def appoint(req: c.AppointAmbassador, who: Principal) -> c.MemberView:
        scope = AmbassadorScope(tuple(Cohort(k.program, k.graduation_year) for k in req.cohorts),
                                tuple(req.programs), tuple(req.cities))
        member = await handlers.appoint_ambassador(cmd.AppointAmbassador(who.tenant, req.member_id, actor(who), scope),
                                                   uow_factory())
        return views.member_view(member)

    async def revoke(req: c.RevokeAmbassador, who: Principal) -> c.MemberView:
        member = await handlers.revoke_ambassador(cmd.RevokeAmbassador(who.tenant, req.member_id, actor(who)),
                                                  uow_factory())
        return views.member_view(member)

    async def get_sectors(_: c.GetSectors, who: Principal) -> c.SectorListOut:
        return views.sector_list(await reader.sectors(who.tenant))

    async def set_sectors(req: c.SetSectors, who: Principal) -> c.SectorListOut:
        sectors = tuple(Sector(x.code, x.label_fr, x.label_en) for x in req.sectors)
        return views.sector_list(await handlers.set_sectors(
            cmd.SetSectors(who.tenant, actor(who), sectors, req.version), uow_factory()))

    async def request_erasure(req: c.RequestErasure, who: Principal) -> c.ErasureStatus:
        erasure = await handlers.request_erasure(cmd.RequestErasure(
            tenant=who.tenant, member_id=whose(req.member_id, who), actor=actor(who),
            confirmers=erasure_confirmers(), deadline_days=ERASURE_DEADLINE_DAYS), uow_factory())
        return views.erasure_status(erasure, utcnow())

    async def get_erasure(req: c.GetErasure, who: Principal) -> c.ErasureStatus:
        erasure = await handlers.get_erasure(cmd.GetErasure(who.tenant, req.erasure_id, actor(who)), uow_factory())
        return views.erasure_status(erasure, utcnow())

    return [
        RequestHandler(command(c.REGISTER_MEMBER), c.RegisterMember, register, STAFF, idempotent=True,
                       description="Register an alumnus in the tenant's register."),
        RequestHandler(query(c.GET_MEMBER), c.GetMember, get, ALUMNI_AND_STAFF,
                       description="One member's full record (staff: any; alumnus: self)."),
        RequestHandler(query(c.LIST_MEMBERS), c.ListMembers, list_, STAFF,
                       description="Members of the tenant, by id, with a cursor."),
        RequestHandler(command(c.UPDATE_MY_PROFILE), c.UpdateMyProfile, update_mine, ALUMNI_AND_STAFF,
                       idempotent=True, description="An alumnus edits their own profile."),
        RequestHandler(command(c.UPDATE_MEMBER), c.UpdateMember, update_member, STAFF, idempotent=True,
                       description="Staff edit any member of the tenant, including data-hygiene flags."),
        RequestHandler(command(c.SUGGEST_DECEASED), c.SuggestDeceased, suggest_deceased, ALUMNI_AND_STAFF,
                       idempotent=True, description="Suggest that a member is deceased (a manager confirms)."),
        RequestHandler(command(c.CONFIRM_DECEASED), c.ConfirmDeceased, confirm_deceased, STAFF, idempotent=True,
                       description="Confirm a member is deceased: out of the directory, no more contact."),
        RequestHandler(command(c.SET_CONSENT), c.SetConsent, set_consent, ALUMNI_AND_STAFF, idempotent=True,
                       description="Grant or withdraw one consent; appended to the ledger."),
        RequestHandler(query(c.GET_CONSENTS), c.GetConsents, get_consents, ALUMNI_AND_STAFF,
                       description="Current consents and their full history."),
        RequestHandler(query(c.SEARCH_DIRECTORY), c.SearchDirectory, search, ALUMNI_AND_STAFF,
                       description="Search the directory; results carry only what the viewer may see."),
        RequestHandler(command(c.SET_SHOWCASE), c.SetShowcase, set_showcase, ALUMNI_AND_STAFF, idempotent=True,
                       description="Write one's showcase text (published only under a showcase consent)."),
        RequestHandler(command("remove_showcase"), c.RemoveShowcase, remove_showcase, ALUMNI_AND_STAFF,
                       idempotent=True, description="Remove one's showcase text: unpublished at once."),
        RequestHandler(query(c.PUBLIC_SHOWCASE), c.PublicShowcaseQuery, public_showcase,
                       frozenset({Role.PUBLIC, *ALUMNI_AND_STAFF}),
                       description="Published showcase entries of one channel, consented fields only (public)."),
        RequestHandler(command(c.APPOINT_AMBASSADOR), c.AppointAmbassador, appoint, STAFF, idempotent=True,
                       description="Appoint an ambassador, or change their scope."),
        RequestHandler(command(c.REVOKE_AMBASSADOR), c.RevokeAmbassador, revoke, STAFF, idempotent=True,
                       description="Revoke an ambassador."),
        RequestHandler(query(c.GET_SECTORS), c.GetSectors, get_sectors, ALUMNI_AND_STAFF,
                       description="The tenant's sector list (the default one until a manager edits it)."),
        RequestHandler(command(c.SET_SECTORS), c.SetSectors, set_sectors, STAFF, idempotent=True,
                       description="Replace the tenant's sector list (optimistic locking on `version`)."),
        RequestHandler(command(c.REQUEST_ERASURE), c.RequestErasure, request_erasure, ALUMNI_AND_STAFF,
                       idempotent=True, description="Erase a member everywhere (GDPR art. 17); returns the status."),
        RequestHandler(query(c.GET_ERASURE), c.GetErasure, get_erasure, ALUMNI_AND_STAFF,
                       description="Status of an erasure: which services confirmed, deadline, completion."),
    ]
