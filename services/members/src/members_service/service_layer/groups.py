"""Use cases of groups: create, join, leave, invite, roles, listings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from members_service.domain.directory import can_be_listed_to
from members_service.domain.groups import (
    Group,
    GroupForbidden,
    GroupKind,
    GroupNotFound,
    GroupRole,
    JoinPolicy,
    Membership,
    MembershipStatus,
    may_invite,
    may_manage,
)
from members_service.domain.model import Member, MemberNotFound
from members_service.service_layer.commands import Actor
from members_service.service_layer.ports import MemberReader, MembersUnitOfWork
from servicekit.domain import utcnow

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class CreateGroup:
    tenant: str
    actor: Actor
    kind: GroupKind
    name: str
    description: str
    policy: JoinPolicy


@dataclass(frozen=True)
class GroupAction:
    """Join or leave: the actor acts on their own membership."""

    tenant: str
    group_id: str
    actor: Actor


class JoinGroup(GroupAction):
    pass


class LeaveGroup(GroupAction):
    pass


@dataclass(frozen=True)
class InviteToGroup:
    tenant: str
    group_id: str
    member_id: str
    actor: Actor


@dataclass(frozen=True)
class SetGroupRole:
    tenant: str
    group_id: str
    member_id: str
    role: GroupRole
    actor: Actor


@dataclass(frozen=True)
class ListGroups:
    tenant: str
    kind: GroupKind | None


@dataclass(frozen=True)
class MyGroups:
    tenant: str
    actor: Actor


class GroupMembersQuery(GroupAction):
    pass


@dataclass(frozen=True)
class GroupMember:
    member: Member
    role: GroupRole


def in_cohort(member: Member, group: Group) -> bool:
    return group.cohort is not None and group.cohort in {e.cohort for e in member.education}


async def create_group(cmd: CreateGroup, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Group:
    cmd.actor.require_staff("creates groups")
    async with uow:
        group = Group.create(tenant=cmd.tenant, kind=cmd.kind, name=cmd.name, description=cmd.description,
                             policy=cmd.policy, now=clock())
        await uow.groups.add(group)
        await uow.commit()
    return group


async def _group(uow: MembersUnitOfWork, tenant: str, group_id: str) -> Group:
    group = await uow.groups.get(tenant, group_id)
    if group is None:
        raise GroupNotFound(group_id)
    return group


async def _membership(uow: MembersUnitOfWork, group: Group, member: Member) -> Membership:
    found = await uow.memberships.get(group.tenant, group.id, member.id)
    if found is not None:
        found.group_name = group.name
        return found
    return Membership.blank(group.tenant, group, member.id, in_cohort(member, group))


async def _member(uow: MembersUnitOfWork, tenant: str, member_id: str | None) -> Member:
    member = await uow.members.get(tenant, member_id) if member_id else None
    if member is None:
        raise MemberNotFound(member_id or "this account is not linked to a member")
    return member


async def _on_myself(tenant: str, group_id: str, actor: Actor, uow: MembersUnitOfWork,
                     change: Callable[[Group, Member, Membership], None]) -> Membership:
    async with uow:
        group = await _group(uow, tenant, group_id)
        me = await _member(uow, tenant, actor.member_id)
        membership = await _membership(uow, group, me)
        change(group, me, membership)
        await uow.memberships.save(membership)
        await uow.commit()
    return membership


async def join_group(cmd: JoinGroup, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Membership:
    return await _on_myself(cmd.tenant, cmd.group_id, cmd.actor, uow,
                            lambda group, me, membership: membership.join(group, in_cohort(me, group), clock()))


async def leave_group(cmd: LeaveGroup, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Membership:
    return await _on_myself(cmd.tenant, cmd.group_id, cmd.actor, uow, lambda _group, _me, membership: membership.leave(clock()))


async def _on_someone(tenant: str, group_id: str, member_id: str, actor: Actor, uow: MembersUnitOfWork,
                      allowed: Callable[[bool, Membership | None], bool], refusal: str,
                      change: Callable[[Membership], None]) -> Membership:
    """A change to another member's membership, by someone the group's rules allow."""
    async with uow:
        group = await _group(uow, tenant, group_id)
        mine = await uow.memberships.get(tenant, group.id, actor.member_id) if actor.member_id else None
        if not allowed(actor.staff, mine):
            raise GroupForbidden(refusal)
        membership = await _membership(uow, group, await _member(uow, tenant, member_id))
        change(membership)
        await uow.memberships.save(membership)
        await uow.commit()
    return membership


async def invite(cmd: InviteToGroup, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Membership:
    return await _on_someone(cmd.tenant, cmd.group_id, cmd.member_id, cmd.actor, uow, may_invite,
                             "moderators and managers of the group invite",
                             lambda m: m.invite(cmd.actor.subject, clock()))


async def set_role(cmd: SetGroupRole, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Membership:
    return await _on_someone(cmd.tenant, cmd.group_id, cmd.member_id, cmd.actor, uow, may_manage,
                             "managers of the group set roles", lambda m: m.set_role(cmd.role, cmd.actor.subject, clock()))


async def list_groups(query: ListGroups, uow: MembersUnitOfWork) -> list[Group]:
    async with uow:
        return await uow.groups.list(query.tenant, query.kind)


async def my_groups(query: MyGroups, uow: MembersUnitOfWork) -> list[tuple[Group, Membership]]:
    """Cohort groups of my cohorts (unless I left) and the groups I joined or was invited to."""
    tenant, actor = query.tenant, query.actor
    async with uow:
        me = await _member(uow, tenant, actor.member_id)
        explicit = {m.group_id: m for m in await uow.memberships.of_member(tenant, me.id)}
        out: list[tuple[Group, Membership]] = []
        for cohort in dict.fromkeys(e.cohort for e in me.education):
            group = await uow.groups.cohort_group(tenant, cohort)
            if group is not None:
                membership = explicit.pop(group.id) if group.id in explicit else None
                out.append((group, membership or Membership.blank(tenant, group, me.id, True)))
        for membership in explicit.values():
            group = await uow.groups.get(tenant, membership.group_id)
            if group is not None and membership.status is not MembershipStatus.LEFT:
                out.append((group, membership))
    return out


async def group_members(query: GroupMembersQuery, uow: MembersUnitOfWork,
                        reader: MemberReader) -> tuple[Group, list[GroupMember]]:
    """Active members, in name order; alumni see those listed in the directory (and themselves)."""
    tenant, group_id, actor = query.tenant, query.group_id, query.actor
    async with uow:
        group = await _group(uow, tenant, group_id)
        explicit = {m.member_id: m for m in await uow.memberships.of_group(tenant, group.id)}
    if group.cohort is not None:
        candidates = await reader.in_cohort(tenant, group.cohort)
    else:
        candidates = await reader.get_many(tenant, [i for i, m in explicit.items() if m.active])
    out = []
    for member in candidates:
        membership = explicit.get(member.id) or Membership.blank(tenant, group, member.id, in_cohort(member, group))
        if membership.active and can_be_listed_to(member, actor.viewer):
            out.append(GroupMember(member, membership.role))
    out.sort(key=lambda gm: (gm.member.display_names()[1].casefold(), gm.member.first_name.casefold(), gm.member.id))
    return group, out




# The bus maps each message to its handler (`bootstrap`).
HANDLERS = (create_group, join_group, leave_group, invite, set_role, list_groups, my_groups, group_members)
