"""Request/reply entry points of groups."""

from __future__ import annotations

from collections.abc import Callable

from alumni_contracts.members import commands as c
from alumni_contracts.rpc import Principal, Role
from members_service.domain.groups import GroupKind, GroupRole, JoinPolicy
from members_service.entrypoints import views
from members_service.entrypoints.requests import actor, command, query
from members_service.service_layer import groups
from members_service.service_layer.ports import MemberReader, MembersUnitOfWork
from servicekit.rpc import RequestHandler

STAFF = frozenset({Role.MANAGER, Role.ADMIN})
ALUMNI_AND_STAFF = frozenset({Role.ALUMNUS, *STAFF})


def group_request_handlers(uow_factory: Callable[[], MembersUnitOfWork], reader: MemberReader) -> list[RequestHandler]:
    async def create(req: c.CreateGroup, who: Principal) -> c.GroupOut:
        return views.group(await groups.create_group(groups.CreateGroup(
            who.tenant, actor(who), GroupKind(req.kind), req.name, req.description, JoinPolicy(req.policy.value)),
            uow_factory()))

    async def list_(req: c.ListGroups, who: Principal) -> c.GroupList:
        found = await groups.list_groups(who.tenant, GroupKind(req.kind.value) if req.kind else None, uow_factory())
        return c.GroupList(items=[views.group(g) for g in found])

    async def mine(_: c.MyGroups, who: Principal) -> c.MyGroupList:
        found = await groups.my_groups(who.tenant, actor(who), uow_factory())
        return c.MyGroupList(items=[c.MyGroup(group=views.group(g), membership=views.membership(m)) for g, m in found])

    async def members(req: c.GroupRef, who: Principal) -> c.GroupMembers:
        group, listed = await groups.group_members(who.tenant, req.group_id, actor(who), uow_factory(), reader)
        return c.GroupMembers(group=views.group(group), members=[c.GroupMemberOut(
            member_id=gm.member.id, first_name=gm.member.display_names()[0], last_name=gm.member.display_names()[1],
            role=c.GroupRole(gm.role.value)) for gm in listed])

    async def join(req: c.GroupRef, who: Principal) -> c.MembershipOut:
        return views.membership(await groups.join_group(who.tenant, req.group_id, actor(who), uow_factory()))

    async def leave(req: c.GroupRef, who: Principal) -> c.MembershipOut:
        return views.membership(await groups.leave_group(who.tenant, req.group_id, actor(who), uow_factory()))

    async def invite(req: c.InviteToGroup, who: Principal) -> c.MembershipOut:
        return views.membership(await groups.invite(who.tenant, req.group_id, req.member_id, actor(who),
                                                    uow_factory()))

    async def set_role(req: c.SetGroupRole, who: Principal) -> c.MembershipOut:
        return views.membership(await groups.set_role(who.tenant, req.group_id, req.member_id,
                                                      GroupRole(req.role.value), actor(who), uow_factory()))

    return [
        RequestHandler(command(c.CREATE_GROUP), c.CreateGroup, create, STAFF, idempotent=True,
                       description="Create a regional chapter or a club."),
        RequestHandler(query(c.LIST_GROUPS), c.ListGroups, list_, ALUMNI_AND_STAFF, description="The tenant's groups."),
        RequestHandler(query(c.MY_GROUPS), c.MyGroups, mine, ALUMNI_AND_STAFF,
                       description="My cohort groups and the groups I joined or was invited to."),
        RequestHandler(query(c.GROUP_MEMBERS), c.GroupRef, members, ALUMNI_AND_STAFF,
                       description="Active members of a group (alumni see those listed in the directory)."),
        RequestHandler(command(c.JOIN_GROUP), c.GroupRef, join, ALUMNI_AND_STAFF, idempotent=True,
                       description="Join a group (open, or invited; cohort groups: one's own cohorts)."),
        RequestHandler(command(c.LEAVE_GROUP), c.GroupRef, leave, ALUMNI_AND_STAFF, idempotent=True,
                       description="Leave a group (or decline an invitation)."),
        RequestHandler(command(c.INVITE_TO_GROUP), c.InviteToGroup, invite, ALUMNI_AND_STAFF, idempotent=True,
                       description="Invite a member (the group's moderators and managers, and staff)."),
        RequestHandler(command(c.SET_GROUP_ROLE), c.SetGroupRole, set_role, ALUMNI_AND_STAFF, idempotent=True,
                       description="Set a member's role in the group (its managers, and staff)."),
    ]
