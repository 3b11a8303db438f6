from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alumni_contracts.members import commands as c
from alumni_contracts.members.v1 import MemberRegistered
from alumni_contracts.rpc import Principal, Role
from members_service.bootstrap import bootstrap
from members_service.domain.model import EmailAlreadyRegistered, MemberNotFound
from members_service.domain.profile import Cohort, search_key
from members_service.service_layer import profiles
from members_service.service_layer.commands import Actor
from members_service.service_layer.profiles import GetMember, RegisterMember

from .fakes import FakeFileStore, FakeMembers, FakeMembersUnitOfWork

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def cmd(email: str = "Beatrice.Dupont@Example.org", tenant: str = "demo") -> RegisterMember:
    return RegisterMember(tenant=tenant, first_name=" Béatrice ", last_name="Dupont", email=email, locale="fr",
                          cohort=Cohort("MSc Finance", 2012))


async def test_register_member_stores_and_publishes_exactly_one_member_event() -> None:
    uow = FakeMembersUnitOfWork(FakeMembers())
    member_id = await profiles.register_member(cmd(), uow, clock=lambda: NOW)
    assert uow.commits == 1
    # The member (v1 and v2 while consumers move), and the cohort group (the cohort's first member).
    event, event_v2, group = uow.published
    assert group.type.endswith("group_created.v1")
    assert isinstance(event.data, MemberRegistered) and event_v2.type.endswith("member_registered.v2")
    assert event_v2.data.model_dump() == event.data.model_dump() and event_v2.aggregateversion == 1
    assert event.subject == member_id and event.tenant == "demo" and event.aggregateversion == 1
    assert event.data.email == "beatrice.dupont@example.org"
    assert event.data.first_name == "Béatrice"
    assert event.data.cohort.graduation_year == 2012 and event.data.registered_at == NOW


async def test_same_email_in_the_same_tenant_is_a_conflict_naming_the_member() -> None:
    members = FakeMembers()
    first = await profiles.register_member(cmd(), FakeMembersUnitOfWork(members))
    uow = FakeMembersUnitOfWork(members)
    with pytest.raises(EmailAlreadyRegistered, match=first):
        await profiles.register_member(cmd(email="beatrice.dupont@example.org"), uow)
    assert uow.commits == 0 and uow.published == []


async def test_same_email_in_another_tenant_is_another_member() -> None:
    members = FakeMembers()
    await profiles.register_member(cmd(tenant="alpha"), FakeMembersUnitOfWork(members))
    await profiles.register_member(cmd(tenant="beta"), FakeMembersUnitOfWork(members))
    assert len(members.rows) == 2


async def test_alumnus_cannot_read_another_member() -> None:
    members = FakeMembers()
    member_id = await profiles.register_member(cmd(), FakeMembersUnitOfWork(members))
    with pytest.raises(MemberNotFound):
        await profiles.get_member(GetMember("demo", member_id, Actor("u", "someone-else", staff=False)), members)
    own = await profiles.get_member(GetMember("demo", member_id, Actor("u", member_id, staff=False)), members)
    assert own.id == member_id


async def test_other_tenant_cannot_read_a_member() -> None:
    members = FakeMembers()
    member_id = await profiles.register_member(cmd(tenant="alpha"), FakeMembersUnitOfWork(members))
    with pytest.raises(MemberNotFound):
        await profiles.get_member(GetMember("beta", member_id, Actor("u", None, staff=True)), members)


async def test_bootstrapped_entrypoint_uses_the_principal_tenant_and_shapes_the_result() -> None:
    members = FakeMembers()
    parts = bootstrap(lambda: FakeMembersUnitOfWork(members), members, FakeFileStore(), directory=members)
    specs = {s.subject: s for s in parts.requests}
    manager = Principal(tenant="demo", subject="u", roles=frozenset({Role.MANAGER}))
    register = specs["cmd.members.register_member"]
    result = await register.handler(c.RegisterMember.model_validate(
        {"first_name": "A", "last_name": "B", "email": "a@example.org",
         "cohort": {"program": "P", "graduation_year": 2000}}), manager)
    assert members.rows[result.member_id].tenant == "demo"  # type: ignore[attr-defined]
    assert register.idempotent and Role.ALUMNUS not in register.roles
    page = await specs["qry.members.list_members"].handler(c.ListMembers(limit=1), manager)
    assert [m.member_id for m in page.items] == [result.member_id]  # type: ignore[attr-defined]


def test_search_key_folds_accents_and_case() -> None:
    assert search_key("Béatrice") == "beatrice"
    assert search_key("ÉLODIE") == "elodie"
    assert search_key("Müller") == "muller"


async def test_member_list_entrypoint_searches_and_orders_newest_first() -> None:
    members = FakeMembers()
    parts = bootstrap(lambda: FakeMembersUnitOfWork(members), members, FakeFileStore(), directory=members)
    specs = {s.subject: s for s in parts.requests}
    manager = Principal(tenant="demo", subject="u", roles=frozenset({Role.MANAGER}))
    for i, (first, last) in enumerate([("Béatrice", "Dupont"), ("Hugo", "Martin"), ("Marie", "Dupuis")]):
        await profiles.register_member(RegisterMember(tenant="demo", first_name=first, last_name=last,
                                                      email=f"m{i}@example.org", locale="fr",
                                                      cohort=Cohort("MSc", 2012)), FakeMembersUnitOfWork(members))
    list_ = specs["qry.members.list_members"].handler
    page = await list_(c.ListMembers(limit=1, q="dup", order=c.MemberOrder.NEWEST), manager)
    assert [m.last_name for m in page.items] == ["Dupuis"] and page.next_cursor  # type: ignore[attr-defined]
    page = await list_(c.ListMembers(limit=1, q="dup", order=c.MemberOrder.NEWEST,
                                     after=page.next_cursor), manager)  # type: ignore[attr-defined]
    assert [m.last_name for m in page.items] == ["Dupont"] and page.next_cursor is None  # type: ignore[attr-defined]
    assert Role.ALUMNUS not in specs["qry.members.list_members"].roles, "staff only"
