"""Groups: automatic cohort groups, chapters and clubs, join/leave/invite and roles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alumni_contracts.members.v1 import GroupCreated, GroupMembershipChanged
from members_service.domain.consent import Channel, Purpose
from members_service.domain.groups import GroupForbidden, GroupKind, GroupRole, JoinPolicy, MembershipStatus
from members_service.domain.model import NotAllowed
from members_service.domain.profile import Cohort
from members_service.service_layer import consents, groups, profiles
from members_service.service_layer.commands import Actor
from members_service.service_layer.consents import SetConsent
from members_service.service_layer.profiles import RegisterMember

from .fakes import FakeMembers, FakeMembersUnitOfWork
from .test_profiles_and_consents import MANAGER, alumnus, registered

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)


async def test_registration_creates_the_cohort_group_once_and_members_belong_to_it() -> None:
    store = FakeMembers()
    uow = FakeMembersUnitOfWork(store)
    await profiles.register_member(RegisterMember("demo", "Zoé", "Martin", "zoe@example.org", "fr",
                                                  Cohort("MSc Finance", 2012)), uow)
    created = [e.data for e in uow.published if isinstance(e.data, GroupCreated)]
    assert [g.name for g in created] == ["MSc Finance 2012"]
    again = FakeMembersUnitOfWork(store)
    await profiles.register_member(RegisterMember("demo", "Léo", "Petit", "leo@example.org", "fr",
                                                  Cohort("MSc Finance", 2012)), again)
    assert not any(isinstance(e.data, GroupCreated) for e in again.published), "one group per cohort"
    zoe = next(m for m in store.rows.values() if m.first_name == "Zoé")
    [(group, membership)] = await groups.my_groups(groups.MyGroups("demo", alumnus(zoe)), FakeMembersUnitOfWork(store))
    assert group.kind is GroupKind.COHORT and membership.status is MembershipStatus.ACTIVE


async def test_cohort_group_lists_only_directory_members_to_alumni_and_members_can_leave() -> None:
    store = FakeMembers()
    zoe = await registered(store)
    other = await registered(store, "other@example.org")
    [group] = store.groups.values()
    await consents.set_consent(SetConsent("demo", other.id, alumnus(other), Purpose.DIRECTORY, True, "v1", "fr",
                                          Channel.WEB), FakeMembersUnitOfWork(store))
    _, seen = await groups.group_members(groups.GroupMembersQuery("demo", group.id, alumnus(zoe)),
                                         FakeMembersUnitOfWork(store), store)
    assert {gm.member.id for gm in seen} == {zoe.id, other.id}, "myself and the listed member"
    stranger = Actor("s", "not-in-it", staff=False)
    _, seen = await groups.group_members(groups.GroupMembersQuery("demo", group.id, stranger),
                                         FakeMembersUnitOfWork(store), store)
    assert {gm.member.id for gm in seen} == {other.id}, "an unlisted member stays hidden from other alumni"
    uow = FakeMembersUnitOfWork(store)
    await groups.leave_group(groups.LeaveGroup("demo", group.id, alumnus(zoe)), uow, clock=lambda: NOW)
    [left] = [e.data for e in uow.published]
    assert isinstance(left, GroupMembershipChanged) and left.change == "left"
    _, seen = await groups.group_members(groups.GroupMembersQuery("demo", group.id, MANAGER), FakeMembersUnitOfWork(store), store)
    assert {gm.member.id for gm in seen} == {other.id}
    await groups.join_group(groups.JoinGroup("demo", group.id, alumnus(zoe)), FakeMembersUnitOfWork(store))
    _, seen = await groups.group_members(groups.GroupMembersQuery("demo", group.id, MANAGER), FakeMembersUnitOfWork(store), store)
    assert {gm.member.id for gm in seen} == {zoe.id, other.id}, "rejoined"


async def test_invitation_groups_roles_and_who_may_do_what() -> None:
    store = FakeMembers()
    zoe = await registered(store)
    leo = await registered(store, "leo@example.org")
    with pytest.raises(NotAllowed):
        await groups.create_group(groups.CreateGroup("demo", alumnus(zoe), GroupKind.CLUB, "Club", "", JoinPolicy.OPEN),
                                  FakeMembersUnitOfWork(store))
    club = await groups.create_group(groups.CreateGroup("demo", MANAGER, GroupKind.CLUB, "Club Finance", "",
                                                        JoinPolicy.INVITATION), FakeMembersUnitOfWork(store))
    with pytest.raises(GroupForbidden, match="invitation"):
        await groups.join_group(groups.JoinGroup("demo", club.id, alumnus(zoe)), FakeMembersUnitOfWork(store))
    with pytest.raises(GroupForbidden):
        await groups.invite(groups.InviteToGroup("demo", club.id, leo.id, alumnus(zoe)), FakeMembersUnitOfWork(store))
    await groups.invite(groups.InviteToGroup("demo", club.id, zoe.id, MANAGER), FakeMembersUnitOfWork(store))
    joined = await groups.join_group(groups.JoinGroup("demo", club.id, alumnus(zoe)), FakeMembersUnitOfWork(store))
    assert joined.status is MembershipStatus.ACTIVE
    await groups.set_role(groups.SetGroupRole("demo", club.id, zoe.id, GroupRole.MODERATOR, MANAGER),
                          FakeMembersUnitOfWork(store))
    await groups.invite(groups.InviteToGroup("demo", club.id, leo.id, alumnus(zoe)),
                        FakeMembersUnitOfWork(store))  # a moderator invites
    with pytest.raises(GroupForbidden):  # but only managers set roles
        await groups.set_role(groups.SetGroupRole("demo", club.id, zoe.id, GroupRole.MANAGER, alumnus(zoe)),
                              FakeMembersUnitOfWork(store))
    mine = await groups.my_groups(groups.MyGroups("demo", alumnus(leo)), FakeMembersUnitOfWork(store))
    assert [(g.name, m.status) for g, m in mine if g.kind is GroupKind.CLUB] == [("Club Finance",
                                                                                 MembershipStatus.INVITED)]
    chapter = await groups.create_group(groups.CreateGroup("demo", MANAGER, GroupKind.REGION, "Lyon", "",
                                                           JoinPolicy.OPEN), FakeMembersUnitOfWork(store))
    joined = await groups.join_group(groups.JoinGroup("demo", chapter.id, alumnus(leo)), FakeMembersUnitOfWork(store))
    assert joined.status is MembershipStatus.ACTIVE, "an open chapter: anyone joins"
    await profiles.register_member(RegisterMember("demo", "Al", "Bo", "al@example.org", "fr", Cohort("MBA", 2001)),
                                   FakeMembersUnitOfWork(store))
    mba = next(g for g in store.groups.values() if g.name == "MBA 2001")
    with pytest.raises(GroupForbidden, match="cohort"):  # a cohort group is for its cohort only
        await groups.join_group(groups.JoinGroup("demo", mba.id, alumnus(leo)), FakeMembersUnitOfWork(store))
