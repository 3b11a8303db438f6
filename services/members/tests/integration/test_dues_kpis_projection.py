"""Dues KPIs against real nats-server and the MongoDB-wire stand-in: the members service runs
(relay, subscribers); registrations, `dues_paid` and the membership events it causes reach the
KPI projection; a replayed event counts once; the rebuild finds the same figures; an erasure
keeps revenue and drops the member from the denominators; tenant B never sees tenant A."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from nats.js import JetStreamContext

from alumni_contracts import naming
from alumni_contracts.envelope import CloudEvent
from alumni_contracts.fundraising.v1 import DuesPaid, PaymentMethod, PaymentProviderName
from alumni_contracts.subscriptions import erasure_confirmers
from members_service.adapters.kpi_unit_of_work import MongoKpiUnitOfWork
from members_service.adapters.mongo_dues_kpis import DUES_KPI_COUNTED, DUES_KPIS
from members_service.bootstrap import build
from members_service.config import MembersSettings
from members_service.domain import dues_kpis as k
from members_service.domain.membership import PlanKind, PlanTerms
from members_service.domain.model import NotAllowed
from members_service.domain.profile import Cohort
from members_service.entrypoints import kpi_cli
from members_service.service_layer import kpis, membership, privacy, profiles
from members_service.service_layer.commands import Actor
from members_service.service_layer.contract_mapping import to_contract
from members_service.service_layer.privacy import RequestErasure
from members_service.service_layer.profiles import RegisterMember
from servicekit.runtime import ServiceHost
from servicekit.topology import TopologySettings

pytestmark = pytest.mark.integration
STAFF = Actor("staff-1", None, staff=True)
NOW = datetime.now(UTC)
THIS_MONTH = NOW.strftime("%Y-%m")


@pytest_asyncio.fixture
async def members_host(nats_url: str, mongo_uri: str, db_name: str, mongo_client: Any,
                       topology: TopologySettings) -> AsyncIterator[ServiceHost]:
    settings = MembersSettings(nats_url=nats_url, mongo_uri=mongo_uri, mongo_db=db_name, http_port=0,
                               relay_poll_seconds=0.2)
    host = ServiceHost("members", settings, build)
    await host.start()
    yield host
    await host.stop()
    await mongo_client.drop_database(db_name)


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def dues_paid(tenant: str, membership_id: str, member_id: str, plan_id: str, payment_id: str) -> CloudEvent[Any]:
    data = DuesPaid(payment_id=payment_id, membership_id=membership_id, member_id=member_id, plan_id=plan_id,
                    amount_minor=6000, currency="EUR", paid_at=NOW, method=PaymentMethod.CARD,
                    provider=PaymentProviderName.LOCAL)
    return CloudEvent.wrap(data, tenant=tenant, subject=payment_id, aggregate_version=1, correlation_id="corr-kpi")


async def test_events_feed_the_kpis_once_rebuild_agrees_erasure_and_tenants(
        members_host: ServiceHost, js: JetStreamContext, mongo_client: Any, db_name: str, mongo_uri: str) -> None:
    db = mongo_client[db_name]

    def uow() -> MongoKpiUnitOfWork:
        return MongoKpiUnitOfWork(mongo_client, db_name, to_contract)

    async def report(tenant: str, by: k.Dimension = k.Dimension.COHORT) -> k.KpiReport:
        q = kpis.KpiQuery(tenant, STAFF, by, THIS_MONTH, THIS_MONTH)
        return (await kpis.membership_kpis(q, uow())).report

    async def register(tenant: str, name: str, year: int, program: str = "MSc") -> str:
        return await profiles.register_member(RegisterMember(tenant, name, "Martin", f"{name}@example.org", "fr",
                                                             Cohort(program, year)), uow())

    zoe = await register("demo", "zoe", NOW.year)
    hugo = await register("demo", "hugo", 2015, "MBA")
    other = await register("other", "ana", 2015)
    plan = await membership.create_plan(membership.CreatePlan("demo", STAFF, PlanTerms("Standard", PlanKind.ANNUAL, 6000,
                                                                                   "EUR")), uow())
    joined = await membership.join_membership(membership.JoinMembership("demo", Actor("s", zoe, False), plan.id), uow())

    async def alumni_counted() -> bool:
        return (await report("demo")).total.alumni == 2 and (await report("other")).total.alumni == 1

    await eventually(alumni_counted, "the registrations")

    # Fundraising's dues_paid: members' rules apply it (membership_activated), the KPIs count it —
    # and a replay of the same event past JetStream's duplicate window counts once.
    paid = dues_paid("demo", joined.membership.id, zoe, plan.id, "pay-kpi-1")
    await js.publish(paid.nats_subject(), paid.to_json(), headers={naming.HEADER_MSG_ID: paid.id})
    await js.publish(paid.nats_subject(), paid.to_json(), headers={naming.HEADER_MSG_ID: "replay-" + paid.id})

    async def paid_counted() -> bool:
        r = await report("demo")
        return r.total.members == 1 and bool(r.revenue)

    await eventually(paid_counted, "the payment")
    await asyncio.sleep(1.0)  # the replay and the membership_activated event have arrived too
    r = await report("demo")
    assert [(x.plan_id, x.month, x.currency, x.amount_minor) for x in r.revenue] == [(plan.id, THIS_MONTH, "EUR", 6000)]
    [new_grads, older] = r.rows
    assert (new_grads.key, new_grads.alumni, new_grads.members) == (str(NOW.year), 1, 1)
    assert new_grads.participation.rate == 1.0 and new_grads.conversion.rate == 1.0
    assert (older.key, older.members, older.participation.rate) == ("2015", 0, 0.0)
    assert {x.key: x.alumni for x in (await report("demo", k.Dimension.PROGRAM)).rows} == {"MBA": 1, "MSc": 1}

    # Tenant isolation: B's figures hold B's member only, none of A's payment or members.
    b = await report("other")
    assert b.total.alumni == 1 and b.total.members == 0 and b.revenue == []
    assert await db[DUES_KPIS].count_documents({"tenant": "other", "kind": "rev"}) == 0
    with pytest.raises(NotAllowed):
        await kpis.membership_kpis(kpis.KpiQuery("demo", Actor("s", zoe, False), k.Dimension.COHORT, THIS_MONTH,
                                                 THIS_MONTH), uow())

    # The rebuild from the register and the stored memberships finds the incremental figures.
    incremental = await uow().__aenter__()
    figures_before = await incremental.dues_kpis.figures("demo")
    await incremental.__aexit__(None, None, None)
    rebuilt = await kpis.rebuild("demo", STAFF, uow())
    assert (rebuilt.members, rebuilt.memberships, rebuilt.changed_keys) == (2, 1, 0)

    # Drift (a lost write, a bug fixed later) is what the rebuild repairs.
    await db[DUES_KPIS].update_many({"tenant": "demo", "c": "alumni"}, {"$inc": {"n": 5}})
    assert (await kpis.rebuild("demo", STAFF, uow())).changed_keys == 2
    async with uow() as u:
        assert await u.dues_kpis.figures("demo") == figures_before

    # Erasure: zoe leaves the denominators and the members; her payment stays in the revenue.
    await privacy.request_erasure(RequestErasure("demo", zoe, STAFF, erasure_confirmers(), 30), uow())

    async def erased_counted() -> bool:
        return (await report("demo")).total.alumni == 1

    await eventually(erased_counted, "the erasure")
    r = await report("demo")
    assert r.total.members == 0 and [x.amount_minor for x in r.revenue] == [6000]
    assert await db[DUES_KPI_COUNTED].count_documents({"tenant": "demo", "_id": zoe}) == 0
    assert (await kpis.rebuild("demo", STAFF, uow())).changed_keys == 0  # the residue keeps history
    # The operators' CLI runs the same rebuild straight against the database.
    cli = await kpi_cli.rebuild(MembersSettings(mongo_uri=mongo_uri, mongo_db=db_name), ["demo", "other"])
    assert (cli["demo"].members, cli["demo"].changed_keys, cli["other"].members, cli["other"].changed_keys) == (1, 0, 1, 0)
    assert hugo and other
