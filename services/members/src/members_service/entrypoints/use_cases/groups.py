"""Use cases of groups: regional chapters, clubs and cohort groups."""

from __future__ import annotations

from typing import Any

from alumni_contracts.members import commands as c
from alumni_contracts.rpc import ALUMNI_AND_STAFF, STAFF
from members_service.domain.groups import GroupKind, GroupRole, JoinPolicy
from members_service.entrypoints import views
from members_service.entrypoints.use_cases.common import actor, command, query
from members_service.service_layer import groups as g
from servicekit.bus import UseCase


def _members(found: Any) -> c.GroupMembers:
    group, listed = found
    return c.GroupMembers(group=views.group(group), members=[c.GroupMemberOut(
        member_id=gm.member.id, first_name=gm.member.display_names()[0], last_name=gm.member.display_names()[1],
        role=c.GroupRole(gm.role.value)) for gm in listed])


def _mine(found: Any) -> c.MyGroupList:
    return c.MyGroupList(items=[c.MyGroup(group=views.group(gr), membership=views.membership(m)) for gr, m in found])


USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=command(c.CREATE_GROUP), request=c.CreateGroup, roles=STAFF, idempotent=True,
            message=lambda req, who: g.CreateGroup(who.tenant, actor(who), GroupKind(req.kind), req.name,
                                                   req.description, JoinPolicy(req.policy.value)),
            reply=views.group, description="Create a regional chapter or a club."),
    UseCase(subject=query(c.LIST_GROUPS), request=c.ListGroups, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: g.ListGroups(who.tenant, GroupKind(req.kind.value) if req.kind else None),
            reply=lambda found: c.GroupList(items=[views.group(gr) for gr in found]),
            description="The tenant's groups."),
    UseCase(subject=query(c.MY_GROUPS), request=c.MyGroups, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: g.MyGroups(who.tenant, actor(who)), reply=_mine,
            description="My cohort groups and the groups I joined or was invited to."),
    UseCase(subject=query(c.GROUP_MEMBERS), request=c.GroupRef, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: g.GroupMembersQuery(who.tenant, req.group_id, actor(who)), reply=_members,
            description="Active members of a group (alumni see those listed in the directory)."),
    UseCase(subject=command(c.JOIN_GROUP), request=c.GroupRef, roles=ALUMNI_AND_STAFF, idempotent=True,
            message=lambda req, who: g.JoinGroup(who.tenant, req.group_id, actor(who)), reply=views.membership,
            description="Join a group (open, or invited; cohort groups: one's own cohorts)."),
    UseCase(subject=command(c.LEAVE_GROUP), request=c.GroupRef, roles=ALUMNI_AND_STAFF, idempotent=True,
            message=lambda req, who: g.LeaveGroup(who.tenant, req.group_id, actor(who)), reply=views.membership,
            description="Leave a group (or decline an invitation)."),
    UseCase(subject=command(c.INVITE_TO_GROUP), request=c.InviteToGroup, roles=ALUMNI_AND_STAFF, idempotent=True,
            message=lambda req, who: g.InviteToGroup(who.tenant, req.group_id, req.member_id, actor(who)),
            reply=views.membership, description="Invite a member (the group's moderators and managers, and staff)."),
    UseCase(subject=command(c.SET_GROUP_ROLE), request=c.SetGroupRole, roles=ALUMNI_AND_STAFF, idempotent=True,
            message=lambda req, who: g.SetGroupRole(who.tenant, req.group_id, req.member_id,
                                                    GroupRole(req.role.value), actor(who)),
            reply=views.membership, description="Set a member's role in the group (its managers, and staff)."),
]
