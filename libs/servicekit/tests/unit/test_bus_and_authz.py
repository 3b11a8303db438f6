"""The message bus (dependency injection, one handler per message type), use-case declarations
and the one authorisation rule set."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from pydantic import BaseModel

from alumni_contracts.rpc import ALUMNI_AND_STAFF, EVERYONE, STAFF, Principal, Role
from servicekit.authz import MemberNotLinked, Ownership, acting_member, allowed, is_staff
from servicekit.bus import Caller, MessageBus, UnknownMessage, UseCase, fresh, serve
from servicekit.worker import repeating


@dataclass(frozen=True)
class Rename:
    tenant: str
    member_id: str
    name: str


@dataclass(frozen=True)
class Count:
    tenant: str


class Uow:
    made = 0

    def __init__(self) -> None:
        Uow.made += 1
        self.id = Uow.made


async def rename(cmd: Rename, uow: Uow, log: list[str], clock: Callable[[], datetime] = datetime.now) -> str:
    log.append(f"{uow.id}:{cmd.member_id}:{cmd.name}")
    return cmd.name


async def count(query: Count, log: list[str]) -> int:
    return len(log)


def who(*roles: Role, member_id: str | None = "m-self") -> Principal:
    return Principal(tenant="demo", subject="u", member_id=member_id, roles=frozenset(roles))


async def test_the_bus_injects_dependencies_by_name_and_a_fresh_unit_of_work_per_message() -> None:
    log: list[str] = []
    bus = MessageBus.wire([rename, count], uow=fresh(Uow), log=log)
    assert bus.message_types == {Rename, Count}
    await bus.handle(Rename("demo", "m1", "a"))
    await bus.handle(Rename("demo", "m2", "b"))
    first, second = (int(entry.split(":")[0]) for entry in log)
    assert second == first + 1, "each message gets its own unit of work"
    assert await bus.handle(Count("demo")) == 2, "a plain dependency is shared"


async def test_the_bus_refuses_unknown_messages_and_wiring_errors() -> None:
    bus = MessageBus.wire([count], log=[])
    with pytest.raises(UnknownMessage, match="Rename"):
        await bus.handle(Rename("demo", "m1", "a"))
    with pytest.raises(TypeError, match="uow"):
        MessageBus.wire([rename], log=[])  # no unit of work to inject
    with pytest.raises(ValueError, match="two handlers"):
        MessageBus.wire([count, count], log=[])


class RenameIn(BaseModel):
    member_id: str | None = None
    name: str


class Renamed(BaseModel):
    name: str


def rename_case(ownership: Ownership, roles: frozenset[Role] = ALUMNI_AND_STAFF, subject: str = "cmd.x.rename"
                ) -> UseCase[RenameIn]:
    return UseCase(subject=subject, request=RenameIn, roles=roles, ownership=ownership, idempotent=True,
                   message=lambda req, who: Rename(who.tenant, who.target, req.name),
                   reply=lambda name: Renamed(name=name), description="Rename a member.")


async def test_a_declaration_builds_the_command_applies_the_ownership_rule_and_shapes_the_reply() -> None:
    log: list[str] = []
    bus = MessageBus.wire([rename], uow=fresh(Uow), log=log)
    [self_] = serve([rename_case(Ownership.SELF)], bus)
    assert self_.idempotent and self_.roles == ALUMNI_AND_STAFF and self_.description == "Rename a member."
    # An alumnus naming another member acts on themselves; staff act on the member they name.
    assert await self_.handler(RenameIn(member_id="m-other", name="a"), who(Role.ALUMNUS)) == Renamed(name="a")
    await self_.handler(RenameIn(member_id="m-other", name="b"), who(Role.MANAGER))
    await self_.handler(RenameIn(name="c"), who(Role.ADMIN))
    assert [entry.split(":", 1)[1] for entry in log] == ["m-self:a", "m-other:b", "m-self:c"]
    # The strict rule refuses an alumnus naming someone else, as "not found".
    [named] = serve([rename_case(Ownership.NAMED)], bus)
    with pytest.raises(MemberNotLinked):
        await named.handler(RenameIn(member_id="m-other", name="d"), who(Role.ALUMNUS))
    await named.handler(RenameIn(member_id="m-self", name="e"), who(Role.ALUMNUS))
    assert log[-1].endswith("m-self:e") and len(log) == 4


def test_a_subject_is_declared_once_and_every_declaration_names_roles() -> None:
    bus = MessageBus.wire([count], log=[])
    with pytest.raises(ValueError, match="declared twice"):
        serve([rename_case(Ownership.SELF), rename_case(Ownership.NAMED)], bus)
    with pytest.raises(ValueError, match="names no role"):
        serve([rename_case(Ownership.SELF, roles=frozenset())], bus)


@pytest.mark.parametrize(("principal", "requested", "rule", "expected"), [
    (who(Role.ALUMNUS), None, Ownership.SELF, "m-self"),
    (who(Role.ALUMNUS), "m-other", Ownership.SELF, "m-self"),
    (who(Role.ALUMNUS), "m-other", Ownership.NAMED, MemberNotLinked),
    (who(Role.ALUMNUS, member_id=None), None, Ownership.SELF, MemberNotLinked),
    (who(Role.MANAGER), "m-other", Ownership.NAMED, "m-other"),
    (who(Role.ADMIN, member_id=None), "m-other", Ownership.SELF, "m-other"),
    (who(Role.MANAGER, member_id=None), None, Ownership.SELF, MemberNotLinked),
    (who(Role.PARTNER), "m-other", Ownership.SELF, "m-self"),  # not staff: a partner names no one
])
def test_alumni_act_on_themselves_and_staff_may_name_a_member(principal: Principal, requested: str | None,
                                                              rule: Ownership, expected: Any) -> None:
    if isinstance(expected, str):
        assert acting_member(principal, requested, rule) == expected
    else:
        with pytest.raises(expected):
            acting_member(principal, requested, rule)


def test_role_sets_and_access() -> None:
    assert {Role.MANAGER, Role.ADMIN} == STAFF and STAFF | {Role.ALUMNUS} == ALUMNI_AND_STAFF
    assert ALUMNI_AND_STAFF | {Role.PUBLIC} == EVERYONE and Role.PARTNER not in EVERYONE
    assert is_staff(who(Role.ADMIN)) and not is_staff(who(Role.ALUMNUS, Role.PARTNER))
    assert allowed(who(Role.PUBLIC), EVERYONE) and not allowed(who(Role.PUBLIC), ALUMNI_AND_STAFF)
    assert not allowed(who(), STAFF), "no role, no access"
    assert Caller(who(Role.MANAGER)).staff and Caller(who(Role.ALUMNUS), "m-self").target == "m-self"


async def test_repeating_calls_while_the_block_runs_survives_failures_and_stops_with_it() -> None:
    calls: list[int] = []

    async def beat() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("a missed beat")

    async with repeating(0.01, beat, "beat"):
        await asyncio.sleep(0.1)
    seen = len(calls)
    assert seen >= 3, "kept going after a failing call"
    await asyncio.sleep(0.05)
    assert len(calls) == seen, "stopped with the block"
