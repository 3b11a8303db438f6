"""The members repository and unit of work against a real MongoDB-wire server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from members_service.adapters.mongo_indexes import INDEXES
from members_service.adapters.mongo_members import MEMBERS
from members_service.adapters.unit_of_work import MongoMembersUnitOfWork
from members_service.domain.model import EmailAlreadyRegistered
from members_service.domain.profile import Cohort
from members_service.service_layer import profiles
from members_service.service_layer.contract_mapping import to_contract
from members_service.service_layer.profiles import RegisterMember
from servicekit.domain import ConcurrencyConflict
from servicekit.mongo import ensure_indexes
from servicekit.outbox import OUTBOX, outbox_indexes

pytestmark = pytest.mark.integration


def cmd(email: str, tenant: str = "demo") -> RegisterMember:
    return RegisterMember(tenant=tenant, first_name="Zoé", last_name="Martin", email=email, locale="en",
                          cohort=Cohort("Grande École", 2019))


@pytest.fixture
async def uow_factory(mongo_client: Any, db: Any, db_name: str) -> Any:
    await ensure_indexes(db, [*INDEXES, *outbox_indexes(7)])
    return lambda: MongoMembersUnitOfWork(mongo_client, db_name, to_contract)


async def test_registration_writes_member_and_outbox_atomically(uow_factory: Any, db: Any) -> None:
    member_id = await profiles.register_member(cmd("zoe@example.org"), uow_factory())
    doc = await db[MEMBERS].find_one({"_id": member_id})
    assert doc["tenant"] == "demo" and doc["last_key"] == "martin" and doc["version"] == 1
    record, record_v2, group = await db[OUTBOX].find({}).sort("_id", 1).to_list()
    assert record["subject"] == "evt.demo.members.member_registered.v1" and record["tenant"] == "demo"
    assert record_v2["subject"] == "evt.demo.members.member_registered.v2", "v1 and v2 until consumers moved"
    assert group["subject"] == "evt.demo.members.group_created.v1", "the cohort's first member creates its group"
    assert await db["groups"].count_documents({"kind": "cohort"}) == 1


async def test_concurrent_registrations_of_one_email_leave_one_member(uow_factory: Any, db: Any) -> None:
    results = await asyncio.gather(*(profiles.register_member(cmd("same@example.org"), uow_factory())
                                     for _ in range(5)), return_exceptions=True)
    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if not isinstance(r, str)]
    assert len(winners) == 1
    assert all(isinstance(e, EmailAlreadyRegistered | Exception) for e in losers)
    assert await db[MEMBERS].count_documents({}) == 1
    assert await db[OUTBOX].count_documents({}) == 3, "the losers' events were never written (winner: member v1+v2, group)"


async def test_stale_update_is_a_conflict_not_an_overwrite(uow_factory: Any, db: Any) -> None:
    member_id = await profiles.register_member(cmd("v@example.org"), uow_factory())
    async with uow_factory() as first:
        a = await first.members.get("demo", member_id)
    async with uow_factory() as second:
        b = await second.members.get("demo", member_id)
        b.first_name = "Second"
        b.version += 1
        await second.members.save(b)
        await second.commit()
    async with uow_factory() as third:
        a.first_name = "First"
        a.version += 1
        with pytest.raises(ConcurrencyConflict):
            await third.members.save(a)
    assert (await db[MEMBERS].find_one({"_id": member_id}))["first_name"] == "Second"


async def test_reads_are_tenant_scoped(uow_factory: Any) -> None:
    member_id = await profiles.register_member(cmd("t@example.org", tenant="alpha"), uow_factory())
    async with uow_factory() as uow:
        assert await uow.members.get("beta", member_id) is None
        assert await uow.members.get("alpha", member_id) is not None
