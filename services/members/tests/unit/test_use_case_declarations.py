"""The members service's use-case declarations, served through `bootstrap(...)` with fakes:
each subject declared once, the access rules (roles) and the ownership rule (alumni act on
themselves, staff may name a member) as a caller meets them."""

from __future__ import annotations

from typing import Any, cast

from alumni_contracts import naming
from alumni_contracts.members import commands as c
from alumni_contracts.rpc import ALUMNI_AND_STAFF, EVERYONE, STAFF, Principal, Role
from members_service.bootstrap import bootstrap, message_bus
from members_service.domain.profile import Cohort
from members_service.entrypoints.use_cases import USE_CASES
from members_service.service_layer import profiles
from members_service.service_layer.profiles import RegisterMember
from servicekit.authz import MemberNotLinked, Ownership
from servicekit.rpc import RequestHandler, RequestServer

from .fakes import FakeFileStore, FakeMembers, FakeMembersUnitOfWork


async def setup() -> tuple[dict[str, RequestHandler], str, str]:
    store = FakeMembers()
    ids = [await profiles.register_member(RegisterMember("demo", first, "Martin", f"{first}@example.org", "fr",
                                                         Cohort("MSc", 2012)), FakeMembersUnitOfWork(store))
           for first in ("zoe", "hugo")]
    parts = bootstrap(lambda: FakeMembersUnitOfWork(store), store, FakeFileStore(), directory=store)
    return {s.subject: s for s in parts.requests}, ids[0], ids[1]


def principal(*roles: Role, member_id: str | None = None) -> Principal:
    return Principal(tenant="demo", subject="u1", member_id=member_id, roles=frozenset(roles))


def headers(who: Principal) -> dict[str, str]:
    return {naming.HEADER_TENANT: who.tenant, naming.HEADER_PRINCIPAL: who.model_dump_json()}


async def ask(spec: RequestHandler, who: Principal, payload: bytes = b"{}") -> Any:
    """A query as the service serves it (queries run outside a transaction: no database needed)."""
    assert not spec.idempotent
    return await RequestServer(cast(Any, None)).serve(spec, payload, headers(who))


def consent(**extra: Any) -> c.SetConsent:
    return c.SetConsent.model_validate({"purpose": "directory", "granted": True, "text_version": "v1",
                                        "language": "fr", **extra})


async def test_every_subject_is_declared_once_each_naming_roles_and_all_are_served() -> None:
    subjects = [u.subject for u in USE_CASES]
    assert len(subjects) == len(set(subjects)) == 46
    assert all(u.roles and u.roles <= EVERYONE and u.description for u in USE_CASES)
    specs, _, _ = await setup()
    assert set(specs) == set(subjects)  # every request served is declared (the export is added by `build`)
    for u in USE_CASES:  # the served handler is the declaration's, not a copy with other rules
        assert (specs[u.subject].roles, specs[u.subject].idempotent) == (u.roles, u.idempotent)
        assert u.idempotent == u.subject.startswith("cmd."), u.subject
    # Each message type has one handler on the bus (a second one is refused when wiring).
    bus = message_bus(lambda: FakeMembersUnitOfWork(FakeMembers()), FakeMembers(), FakeFileStore(), FakeMembers())
    # Two pairs of use cases share a command: set/remove showcase, update my profile/a member.
    assert len(bus.message_types) == len(subjects) - 2


async def test_an_alumnus_naming_another_member_acts_on_themselves() -> None:
    specs, zoe, hugo = await setup()
    ledger = await specs["cmd.members.set_consent"].handler(consent(member_id=hugo), principal(Role.ALUMNUS,
                                                                                                member_id=zoe))
    assert ledger.member_id == zoe  # type: ignore[attr-defined]
    read = await specs["qry.members.get_consents"].handler(c.GetConsents(member_id=hugo),
                                                           principal(Role.ALUMNUS, member_id=zoe))
    assert read.member_id == zoe and [s.purpose for s in read.current] == ["directory"]  # type: ignore[attr-defined]


async def test_staff_may_name_a_member() -> None:
    specs, zoe, hugo = await setup()
    ledger = await specs["cmd.members.set_consent"].handler(consent(member_id=hugo, channel="console"),
                                                            principal(Role.MANAGER))
    assert ledger.member_id == hugo  # type: ignore[attr-defined]
    reply = await ask(specs["qry.members.get_member"], principal(Role.ADMIN), f'{{"member_id": "{zoe}"}}'.encode())
    assert reply.ok and reply.result["member_id"] == zoe


async def test_another_members_record_is_not_found_and_an_unlinked_account_has_none() -> None:
    specs, zoe, hugo = await setup()
    reply = await ask(specs["qry.members.get_member"], principal(Role.ALUMNUS, member_id=zoe),
                      f'{{"member_id": "{hugo}"}}'.encode())
    assert not reply.ok and reply.problem is not None
    assert (reply.problem.status, reply.problem.type) == (404, "urn:alumni:problem:member-not-found")
    own = await ask(specs["qry.members.get_member"], principal(Role.ALUMNUS, member_id=zoe),
                    f'{{"member_id": "{zoe}"}}'.encode())
    assert own.ok and own.result["member_id"] == zoe
    unlinked = await ask(specs["qry.members.get_consents"], principal(Role.ALUMNUS))
    assert unlinked.problem is not None and unlinked.problem.status == 404
    try:
        await specs["cmd.members.update_my_profile"].handler(c.UpdateMyProfile(version=1), principal(Role.ALUMNUS))
    except MemberNotLinked:
        pass
    else:
        raise AssertionError("an account without a member has no profile to edit")


async def test_dues_membership_follows_the_same_rules() -> None:
    specs, zoe, hugo = await setup()
    # An alumnus naming another member's membership finds no one; staff find that it has none.
    reply = await ask(specs["qry.members.get_membership"], principal(Role.ALUMNUS, member_id=zoe),
                      f'{{"member_id": "{hugo}"}}'.encode())
    assert reply.problem is not None and reply.problem.type == "urn:alumni:problem:member-not-found"
    for who, body in ((principal(Role.MANAGER), f'{{"member_id": "{hugo}"}}'), (principal(Role.ALUMNUS, member_id=zoe),
                                                                                 "{}")):
        reply = await ask(specs["qry.members.get_membership"], who, body.encode())
        assert reply.problem is not None and reply.problem.type == "urn:alumni:problem:membership-not-found"
    # Plans and cancellations are the office's; alumni read plans.
    staff_only = [specs[f"cmd.members.{n}"] for n in ("create_membership_plan", "update_membership_plan",
                                                      "retire_membership_plan", "cancel_membership")]
    assert all(s.roles == STAFF and s.idempotent for s in staff_only)
    assert specs["qry.members.list_membership_plans"].roles == ALUMNI_AND_STAFF


async def test_public_roles_reach_public_use_cases_only() -> None:
    specs, _, _ = await setup()
    visitor = principal(Role.PUBLIC)
    assert (await ask(specs["qry.members.public_showcase"], visitor)).ok
    for subject in ("qry.members.search_directory", "qry.members.get_sectors", "qry.members.list_members"):
        reply = await ask(specs[subject], visitor)
        assert reply.problem is not None and reply.problem.status == 403, subject


async def test_staff_only_use_cases_refuse_alumni_and_unknown_roles() -> None:
    specs, zoe, _ = await setup()
    staff_only = [u.subject for u in USE_CASES if u.roles == STAFF]
    assert "cmd.members.register_member" in staff_only and "qry.members.list_imports" in staff_only
    for who in (principal(Role.ALUMNUS, member_id=zoe), principal(Role.PARTNER), principal()):
        reply = await ask(specs["qry.members.list_members"], who)
        assert reply.problem is not None and reply.problem.status == 403
    assert (await ask(specs["qry.members.list_members"], principal(Role.MANAGER))).ok
    assert (await ask(specs["qry.members.get_sectors"], principal(Role.ALUMNUS, member_id=zoe))).ok
    reply = await RequestServer(cast(Any, None)).serve(specs["qry.members.get_sectors"], b"{}", {})
    assert reply.problem is not None and reply.problem.status == 401


def test_ownership_rules_are_declared_where_alumni_may_name_a_member() -> None:
    ruled = {u.subject: u.ownership for u in USE_CASES if u.ownership is not Ownership.NONE}
    assert ruled == {
        "qry.members.get_member": Ownership.NAMED, "cmd.members.update_my_profile": Ownership.SELF,
        "cmd.members.set_consent": Ownership.SELF, "qry.members.get_consents": Ownership.SELF,
        "cmd.members.set_showcase": Ownership.SELF, "cmd.members.remove_showcase": Ownership.SELF,
        "cmd.members.request_erasure": Ownership.SELF, "cmd.members.join_membership": Ownership.NAMED,
        "qry.members.get_membership": Ownership.NAMED, "qry.members.membership_certificate": Ownership.NAMED,
    }
    assert all(u.roles == ALUMNI_AND_STAFF for u in USE_CASES if u.subject in ruled)
