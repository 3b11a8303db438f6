"""Groups: the cohort groups every alumnus belongs to, regional chapters and clubs.

Cohort groups (*promotions*) exist for every cohort that has a member — created the first
time someone of that cohort is registered — and their membership is the cohort itself: no
rows to keep in step, an alumnus only leaves (or rejoins) explicitly. Chapters and clubs are
created by the office; alumni join them (open groups) or are invited. Roles: member,
moderator (invites), manager (invites, sets roles, removes).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from members_service.domain.profile import Cohort
from servicekit.domain import AggregateRoot, Conflict, DomainEvent, Forbidden, NotFound, new_id


class GroupKind(StrEnum):
    COHORT = "cohort"
    REGION = "region"  # a regional chapter (*groupe régional*)
    CLUB = "club"  # a professional or interest club


class JoinPolicy(StrEnum):
    OPEN = "open"  # any alumnus of the tenant joins
    INVITATION = "invitation"  # only invited alumni join


class GroupRole(StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"
    MANAGER = "manager"


class MembershipStatus(StrEnum):
    ACTIVE = "active"
    INVITED = "invited"
    LEFT = "left"


class GroupNotFound(NotFound):
    code = "group-not-found"
    title = "Group not found"


class GroupForbidden(Forbidden):
    code = "group-forbidden"
    title = "Not allowed in this group"


class GroupConflict(Conflict):
    code = "group-conflict"
    title = "Group conflict"


@dataclass(frozen=True)
class GroupCreated(DomainEvent):
    group_id: str
    kind: GroupKind
    name: str
    cohort: Cohort | None
    at: datetime


@dataclass(frozen=True)
class MembershipChanged(DomainEvent):
    """joined, left, invited or role changed — the status and role after the change."""

    group_id: str
    group_name: str
    member_id: str
    change: str
    status: MembershipStatus
    role: GroupRole
    by: str
    at: datetime


def cohort_group_id(tenant: str, cohort: Cohort) -> str:
    """Deterministic: every registration of the cohort finds the same group."""
    digest = hashlib.sha256(f"{tenant}|{cohort.program}|{cohort.graduation_year}".encode()).hexdigest()[:24]
    return f"cohort-{digest}"


@dataclass(eq=False)
class Group(AggregateRoot):
    kind: GroupKind = GroupKind.CLUB
    name: str = ""
    description: str = ""
    policy: JoinPolicy = JoinPolicy.OPEN
    cohort: Cohort | None = None
    created_at: datetime | None = None

    @classmethod
    def for_cohort(cls, tenant: str, cohort: Cohort, now: datetime) -> Group:
        group = cls(id=cohort_group_id(tenant, cohort), tenant=tenant, kind=GroupKind.COHORT,
                    name=f"{cohort.program} {cohort.graduation_year}", policy=JoinPolicy.OPEN, cohort=cohort,
                    created_at=now)
        group.record(GroupCreated(group.id, group.kind, group.name, cohort, now))
        return group

    @classmethod
    def create(cls, *, tenant: str, kind: GroupKind, name: str, description: str, policy: JoinPolicy,
               now: datetime) -> Group:
        if kind is GroupKind.COHORT:
            raise GroupConflict("cohort groups are created automatically")
        if not name.strip():
            raise GroupConflict("a group needs a name")
        group = cls(id=new_id(), tenant=tenant, kind=kind, name=name.strip(), description=description.strip(),
                    policy=policy, created_at=now)
        group.record(GroupCreated(group.id, kind, group.name, None, now))
        return group


@dataclass(eq=False)
class Membership(AggregateRoot):
    """One member's relation to one group (id `<group>:<member>`). For cohort groups a row
    exists only once the member left, rejoined or got a role: the cohort is the membership."""

    group_id: str = ""
    group_name: str = ""  # carried by the events (invitation emails name the group)
    member_id: str = ""
    status: MembershipStatus = MembershipStatus.LEFT
    role: GroupRole = GroupRole.MEMBER
    since: datetime | None = None

    @classmethod
    def blank(cls, tenant: str, group: Group, member_id: str, implicit_member: bool) -> Membership:
        return cls(id=f"{group.id}:{member_id}", tenant=tenant, group_id=group.id, group_name=group.name,
                   member_id=member_id,
                   status=MembershipStatus.ACTIVE if implicit_member else MembershipStatus.LEFT)

    @property
    def active(self) -> bool:
        return self.status is MembershipStatus.ACTIVE

    def _change(self, change: str, status: MembershipStatus, role: GroupRole, by: str, now: datetime) -> None:
        self.status, self.role, self.since = status, role, now
        self.record(MembershipChanged(self.group_id, self.group_name, self.member_id, change, status, role, by, now))

    def join(self, group: Group, in_cohort: bool, now: datetime) -> None:
        if self.active:
            return
        if group.kind is GroupKind.COHORT and not in_cohort:
            raise GroupForbidden("this cohort group is for the members of the cohort")
        if group.policy is JoinPolicy.INVITATION and self.status is not MembershipStatus.INVITED:
            raise GroupForbidden("this group is joined by invitation")
        self._change("joined", MembershipStatus.ACTIVE, self.role, self.member_id, now)

    def leave(self, now: datetime) -> None:
        if not self.active and self.status is not MembershipStatus.INVITED:
            return
        self._change("left", MembershipStatus.LEFT, GroupRole.MEMBER, self.member_id, now)

    def invite(self, by: str, now: datetime) -> None:
        if self.status in (MembershipStatus.ACTIVE, MembershipStatus.INVITED):
            return
        self._change("invited", MembershipStatus.INVITED, GroupRole.MEMBER, by, now)

    def set_role(self, role: GroupRole, by: str, now: datetime) -> None:
        if not self.active:
            raise GroupConflict("only an active member has a role")
        if role is not self.role:
            self._change("role-changed", self.status, role, by, now)


def may_invite(actor_staff: bool, actor_membership: Membership | None) -> bool:
    return actor_staff or (actor_membership is not None and actor_membership.active
                           and actor_membership.role in (GroupRole.MODERATOR, GroupRole.MANAGER))


def may_manage(actor_staff: bool, actor_membership: Membership | None) -> bool:
    return actor_staff or (actor_membership is not None and actor_membership.active
                           and actor_membership.role is GroupRole.MANAGER)
