"""Use cases of member records: register, read, list, edit, deaths."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from members_service.domain.model import EmailAlreadyRegistered, Member, MemberNotFound, NotAllowed, ProfileChanges
from members_service.domain.profile import Cohort, Section, Visibility, normalize_email
from members_service.service_layer.commands import Actor
from members_service.service_layer.ports import MemberReader, MembersUnitOfWork
from servicekit.domain import ConcurrencyConflict, utcnow

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class RegisterMember:
    tenant: str
    first_name: str
    last_name: str
    email: str
    locale: str
    cohort: Cohort


@dataclass(frozen=True)
class GetMember:
    tenant: str
    member_id: str
    actor: Actor


@dataclass(frozen=True)
class ListMembers:
    tenant: str
    limit: int
    after: str | None
    newest_first: bool = False
    name_prefix: str | None = None  # raw text; the repository folds it like the directory does


@dataclass(frozen=True)
class UpdateProfile:
    tenant: str
    member_id: str
    actor: Actor
    expected_version: int
    changes: ProfileChanges
    visibility: dict[Section, Visibility] | None = None
    email_bounced: bool | None = None  # staff only
    mail_returned: bool | None = None  # staff only


@dataclass(frozen=True)
class SuggestDeceased:
    tenant: str
    member_id: str
    actor: Actor


@dataclass(frozen=True)
class ConfirmDeceased:
    tenant: str
    member_id: str
    actor: Actor


async def register_member(cmd: RegisterMember, uow: MembersUnitOfWork, clock: Clock = utcnow) -> str:
    async with uow:
        existing = await uow.members.by_email(cmd.tenant, normalize_email(cmd.email))
        if existing is not None:
            raise EmailAlreadyRegistered(cmd.email, existing.id)
        member = Member.register(tenant=cmd.tenant, first_name=cmd.first_name, last_name=cmd.last_name,
                                 email=cmd.email, locale=cmd.locale, cohort=cmd.cohort, now=clock())
        await uow.members.add(member)
        await uow.groups.ensure_cohort_groups(cmd.tenant, {cmd.cohort}, member.registered_at or clock())
        await uow.commit()
    return member.id


async def get_member(query: GetMember, reader: MemberReader) -> Member:
    # An alumnus reads their own full record only; another member's record is "not found"
    # rather than "forbidden" so that ids cannot be probed (the directory shows the rest).
    if not query.actor.may_act_on(query.member_id):
        raise MemberNotFound(query.member_id)
    member = await reader.get(query.tenant, query.member_id)
    if member is None:
        raise MemberNotFound(query.member_id)
    return member


async def list_members(query: ListMembers, reader: MemberReader) -> tuple[list[Member], str | None]:
    page = await reader.page(query.tenant, query.limit + 1, query.after, newest_first=query.newest_first,
                             name_prefix=query.name_prefix)
    more = len(page) > query.limit
    page = page[: query.limit]
    return page, (page[-1].id if more and page else None)


async def load_for_change(uow: MembersUnitOfWork, tenant: str, member_id: str, actor: Actor) -> Member:
    if not actor.may_act_on(member_id):
        raise MemberNotFound(member_id)
    member = await uow.members.get(tenant, member_id)
    if member is None:
        raise MemberNotFound(member_id)
    return member


async def update_profile(cmd: UpdateProfile, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Member:
    if not cmd.actor.staff and (cmd.email_bounced is not None or cmd.mail_returned is not None):
        raise NotAllowed("only the alumni office records bounces and returned mail")
    async with uow:
        member = await load_for_change(uow, cmd.tenant, cmd.member_id, cmd.actor)
        if member.version != cmd.expected_version:
            raise ConcurrencyConflict(
                f"member {member.id} is at version {member.version}, not {cmd.expected_version}: reload and retry")
        now = clock()
        if cmd.changes.emails is not None:
            primary = next((e.address for e in cmd.changes.emails if e.primary), None)
            if primary is not None:
                owner = await uow.members.by_email(cmd.tenant, normalize_email(primary))
                if owner is not None and owner.id != member.id:
                    raise EmailAlreadyRegistered(primary, owner.id)
        if cmd.changes.career is not None:
            sectors = await uow.settings.sectors(cmd.tenant)
            sectors.check({p.sector for p in cmd.changes.career if p.sector}
                          - {p.sector for p in member.career if p.sector})  # codes already held stay valid
        member.update_profile(cmd.changes, now, by_member=cmd.actor.member_id == member.id)
        if cmd.changes.education is not None:
            await uow.groups.ensure_cohort_groups(cmd.tenant, {e.cohort for e in member.education}, now)
        if cmd.visibility:
            member.set_visibility(cmd.visibility)
        member.set_contactability(email_bounced=cmd.email_bounced, mail_returned=cmd.mail_returned, now=now)
        await uow.members.save(member)
        await uow.commit()
    return member


async def change_member(uow: MembersUnitOfWork, tenant: str, member_id: str, change: Callable[[Member], None]) -> Member:
    """Load any member of the tenant, apply one domain change, save, commit (the caller
    checked who may make it)."""
    async with uow:
        member = await uow.members.get(tenant, member_id)
        if member is None:
            raise MemberNotFound(member_id)
        change(member)
        await uow.members.save(member)
        await uow.commit()
    return member


async def suggest_deceased(cmd: SuggestDeceased, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Member:
    """Anyone of the tenant may suggest it; it changes nothing visible until a manager confirms."""
    return await change_member(uow, cmd.tenant, cmd.member_id, lambda m: m.suggest_deceased(cmd.actor.subject, clock()))


async def confirm_deceased(cmd: ConfirmDeceased, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Member:
    cmd.actor.require_staff("confirms a death")
    return await change_member(uow, cmd.tenant, cmd.member_id, lambda m: m.confirm_deceased(clock()))


# The handlers the message bus routes requests to (`bootstrap.message_bus`).
HANDLERS = (register_member, get_member, list_members, update_profile, suggest_deceased, confirm_deceased)
