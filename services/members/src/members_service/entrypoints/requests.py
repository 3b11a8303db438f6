"""Request/reply entry points: parse, build the command, call the use case, shape the result."""

from __future__ import annotations

from collections.abc import Callable

from alumni_contracts import naming
from alumni_contracts.common import Cohort as ContractCohort
from alumni_contracts.common import Locale
from alumni_contracts.members import commands as c
from alumni_contracts.rpc import Principal, Role
from members_service.domain.model import Cohort, Member
from members_service.service_layer import handlers
from members_service.service_layer.commands import GetMember, ListMembers, RegisterMember
from members_service.service_layer.ports import MemberReader, MembersUnitOfWork
from servicekit.rpc import RequestHandler

STAFF = frozenset({Role.MANAGER, Role.ADMIN})
ANYONE = frozenset({Role.ALUMNUS, Role.MANAGER, Role.ADMIN})


def member_view(member: Member) -> c.MemberView:
    assert member.registered_at is not None
    return c.MemberView(
        member_id=member.id, first_name=member.first_name, last_name=member.last_name, email=member.email,
        locale=Locale(member.locale),
        cohort=ContractCohort(program=member.cohort.program, graduation_year=member.cohort.graduation_year),
        registered_at=member.registered_at, version=member.version)


def request_handlers(uow_factory: Callable[[], MembersUnitOfWork], reader: MemberReader) -> list[RequestHandler]:
    async def register(req: c.RegisterMember, who: Principal) -> c.MemberRegisteredResult:
        member_id = await handlers.register_member(RegisterMember(
            tenant=who.tenant, first_name=req.first_name, last_name=req.last_name, email=str(req.email),
            locale=req.locale.value, cohort=Cohort(req.cohort.program, req.cohort.graduation_year)), uow_factory())
        return c.MemberRegisteredResult(member_id=member_id)

    async def get(req: c.GetMember, who: Principal) -> c.MemberView:
        member = await handlers.get_member(GetMember(
            tenant=who.tenant, member_id=req.member_id, viewer_member_id=who.member_id,
            viewer_is_staff=who.has_any(*STAFF)), reader)
        return member_view(member)

    async def list_(req: c.ListMembers, who: Principal) -> c.MemberPage:
        members, cursor = await handlers.list_members(ListMembers(who.tenant, req.limit, req.after), reader)
        return c.MemberPage(items=[member_view(m) for m in members], next_cursor=cursor)

    return [
        RequestHandler(naming.command_subject("members", c.REGISTER_MEMBER), c.RegisterMember, register,
                       STAFF, idempotent=True, description="Register an alumnus in the tenant's register."),
        RequestHandler(naming.query_subject("members", c.GET_MEMBER), c.GetMember, get, ANYONE,
                       description="One member (staff: any; alumnus: self)."),
        RequestHandler(naming.query_subject("members", c.LIST_MEMBERS), c.ListMembers, list_, STAFF,
                       description="Members of the tenant, by id, with a cursor."),
    ]
