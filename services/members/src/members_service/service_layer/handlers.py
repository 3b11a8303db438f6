"""Use cases of the members service: plain functions over a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from members_service.domain.model import EmailAlreadyRegistered, Member, MemberNotFound, normalize_email
from members_service.service_layer.commands import GetMember, ListMembers, RegisterMember
from members_service.service_layer.ports import MemberReader, MembersUnitOfWork
from servicekit.domain import utcnow


async def register_member(cmd: RegisterMember, uow: MembersUnitOfWork,
                          clock: Callable[[], datetime] = utcnow) -> str:
    async with uow:
        existing = await uow.members.by_email(cmd.tenant, normalize_email(cmd.email))
        if existing is not None:
            raise EmailAlreadyRegistered(cmd.email, existing.id)
        member = Member.register(tenant=cmd.tenant, first_name=cmd.first_name, last_name=cmd.last_name,
                                 email=cmd.email, locale=cmd.locale, cohort=cmd.cohort, now=clock())
        await uow.members.add(member)
        await uow.commit()
    return member.id


async def get_member(query: GetMember, reader: MemberReader) -> Member:
    # An alumnus sees only their own record for now; others' records are "not found" rather
    # than "forbidden" so that ids cannot be probed for existence.
    if not query.viewer_is_staff and query.viewer_member_id != query.member_id:
        raise MemberNotFound(query.member_id)
    member = await reader.get(query.tenant, query.member_id)
    if member is None:
        raise MemberNotFound(query.member_id)
    return member


async def list_members(query: ListMembers, reader: MemberReader) -> tuple[list[Member], str | None]:
    page = await reader.page(query.tenant, query.limit + 1, query.after)
    more = len(page) > query.limit
    page = page[: query.limit]
    return page, (page[-1].id if more and page else None)
