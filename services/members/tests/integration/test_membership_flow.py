"""Dues membership against a real MongoDB-wire server: join, payments as inputs, the leased
scheduler (catch-up, no double transition with two replicas), tenancy, certificate."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from alumni_contracts.members import membership as ms
from alumni_contracts.rpc import Principal, Role
from members_service.adapters.certificate_pdf import NoCertificate
from members_service.adapters.mongo_dues_memberships import DUES_MEMBERSHIPS
from members_service.adapters.mongo_dues_memberships import INDEXES as MEMBERSHIP_INDEXES
from members_service.adapters.mongo_indexes import INDEXES
from members_service.adapters.mongo_members import MongoMemberRepository
from members_service.adapters.unit_of_work import MongoMembersUnitOfWork
from members_service.bootstrap import message_bus
from members_service.domain.membership import (
    Eligibility,
    MembershipNotFound,
    MembershipStatus,
    Payment,
    PlanKind,
    PlanNotEligible,
    PlanTerms,
)
from members_service.domain.model import NotAllowed
from members_service.domain.profile import Cohort
from members_service.entrypoints import use_cases
from members_service.service_layer import membership, profiles
from members_service.service_layer.commands import Actor
from members_service.service_layer.contract_mapping import to_contract
from members_service.service_layer.membership import CreatePlan, GetMembership, JoinMembership
from members_service.service_layer.profiles import RegisterMember
from servicekit.authz import MemberNotLinked
from servicekit.bus import serve
from servicekit.mongo import ensure_indexes
from servicekit.outbox import OUTBOX, outbox_indexes
from servicekit.retry import is_write_conflict

pytestmark = pytest.mark.integration
STAFF = Actor("staff-1", None, staff=True)
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
STANDARD = PlanTerms("Standard", PlanKind.ANNUAL, 6000, "EUR", legal_entity="Association des diplômés",
                     tax_deductible_minor=4000)
YOUNG = PlanTerms("Jeune diplômé", PlanKind.ANNUAL, 2000, "EUR",
                  eligibility=Eligibility(max_years_since_graduation=3))
LIFE3 = PlanTerms("À vie (3×)", PlanKind.LIFETIME, 90000, "EUR", instalments=3, instalment_interval_months=12)


@pytest.fixture
async def uow_factory(mongo_client: Any, db: Any, db_name: str) -> Any:
    await ensure_indexes(db, [*INDEXES, *MEMBERSHIP_INDEXES, *outbox_indexes(7)])
    return lambda: MongoMembersUnitOfWork(mongo_client, db_name, to_contract)


async def register(uow_factory: Any, email: str, year: int = 2012, tenant: str = "demo") -> Actor:
    member_id = await profiles.register_member(RegisterMember(tenant, "Zoé", "Martin", email, "fr",
                                                              Cohort("MSc", year)), uow_factory())
    return Actor(f"sub-{member_id}", member_id, staff=False)


async def outbox_types(db: Any) -> list[str]:
    return [r["subject"].split(".")[3] async for r in db[OUTBOX].find({}).sort("_id", 1)
            if r["subject"].split(".")[3].startswith("membership_")]


def clock(at: datetime) -> Any:
    return lambda: at


async def test_join_pay_grace_lapse_and_reactivate(uow_factory: Any, db: Any) -> None:
    me = await register(uow_factory, "zoe@example.org")
    plan = await membership.create_plan(CreatePlan("demo", STAFF, STANDARD), uow_factory(), clock(T0))
    with pytest.raises(NotAllowed):
        await membership.create_plan(CreatePlan("demo", me, STANDARD), uow_factory())
    joined = await membership.join_membership(JoinMembership("demo", me, plan.id), uow_factory(), clock=clock(T0))
    assert joined.due is not None and joined.due.amount_minor == 6000
    m_id = joined.membership.id
    assert me.member_id is not None
    pay = Payment("pay-1", plan.id, 6000, "EUR", T0, provider="local")
    assert await membership.on_dues_paid("demo", m_id, me.member_id, pay, uow_factory(), clock(T0))
    # The same payment again (a second webhook, a redelivery past the inbox): nothing changes.
    assert not await membership.on_dues_paid("demo", m_id, me.member_id, pay, uow_factory(), clock(T0))
    got = await membership.get_membership(GetMembership("demo", me), uow_factory(), clock=clock(T0))
    assert got.status is MembershipStatus.ACTIVE and len(got.payments) == 1
    assert await outbox_types(db) == ["membership_activated"]

    # Downtime: the scheduler runs long after the period and the grace ended — both transitions, once.
    late = T0 + timedelta(days=500)
    assert await membership.advance_due_memberships(uow_factory, clock(late)) == 1
    assert await membership.advance_due_memberships(uow_factory, clock(late)) == 0
    assert await outbox_types(db) == ["membership_activated", "membership_entered_grace", "membership_lapsed"]
    doc = await db[DUES_MEMBERSHIPS].find_one({"_id": m_id})
    assert doc["status"] == "lapsed" and doc["next_deadline"] is None
    assert [t["at"].replace(tzinfo=UTC) for t in doc["transitions"][1:]] == [T0.replace(year=2027),
                                                                              T0.replace(year=2027) + timedelta(30)]

    # Rejoin and pay: reactivated.
    await membership.join_membership(JoinMembership("demo", me, plan.id), uow_factory(), clock=clock(late))
    await membership.on_dues_paid("demo", m_id, me.member_id, Payment("pay-2", plan.id, 6000, "EUR", late),
                                  uow_factory(), clock(late))
    got = await membership.get_membership(GetMembership("demo", me), uow_factory(), clock=clock(late))
    assert got.status is MembershipStatus.ACTIVE and got.periods[-1].start == late
    assert (await outbox_types(db))[-1] == "membership_activated"


async def test_refund_and_failure_inputs(uow_factory: Any, db: Any) -> None:
    me = await register(uow_factory, "ref@example.org")
    assert me.member_id is not None
    plan = await membership.create_plan(CreatePlan("demo", STAFF, STANDARD), uow_factory())
    m_id = (await membership.join_membership(JoinMembership("demo", me, plan.id), uow_factory(), clock=clock(T0))).membership.id
    await membership.on_dues_payment_failed("demo", m_id, me.member_id, "pay-f", "card_declined", T0, None,
                                            uow_factory(), clock(T0))
    got = await membership.get_membership(GetMembership("demo", me), uow_factory(), clock=clock(T0))
    assert got.status is MembershipStatus.PENDING_PAYMENT and got.last_failure is not None
    await membership.on_dues_paid("demo", m_id, me.member_id, Payment("pay-1", plan.id, 6000, "EUR", T0),
                                  uow_factory(), clock(T0))
    assert not await membership.on_dues_refunded("demo", m_id, me.member_id, "unknown", 100, T0, uow_factory(),
                                                 clock(T0))
    await membership.on_dues_refunded("demo", m_id, me.member_id, "pay-1", 6000, T0 + timedelta(days=2),
                                      uow_factory(), clock(T0 + timedelta(days=2)))
    got = await membership.get_membership(GetMembership("demo", me), uow_factory(), clock=clock(T0 + timedelta(days=2)))
    assert got.status is MembershipStatus.LAPSED and got.status_reason == "payment-refunded"
    assert (await outbox_types(db))[-1] == "membership_lapsed"


async def test_lifetime_in_three_instalments_and_eligibility(uow_factory: Any, db: Any) -> None:
    me = await register(uow_factory, "life@example.org", year=2001)
    assert me.member_id is not None
    young = await membership.create_plan(CreatePlan("demo", STAFF, YOUNG), uow_factory())
    with pytest.raises(PlanNotEligible, match="young-graduate"):
        await membership.join_membership(JoinMembership("demo", me, young.id), uow_factory(), clock=clock(T0))
    life = await membership.create_plan(CreatePlan("demo", STAFF, LIFE3), uow_factory())
    joined = await membership.join_membership(JoinMembership("demo", me, life.id), uow_factory(), clock=clock(T0))
    m_id = joined.membership.id
    for k in (1, 2, 3):
        at = T0 + timedelta(days=30 * k)
        if k > 1:
            joined = await membership.join_membership(JoinMembership("demo", me, life.id), uow_factory(), clock=clock(at))
        assert joined.due is not None and joined.due.instalment == k and joined.due.amount_minor == 30000
        await membership.on_dues_paid("demo", m_id, me.member_id, Payment(f"i{k}", life.id, 30000, "EUR", at,
                                                                          instalment=k, instalments=3),
                                      uow_factory(), clock(at))
    assert await membership.advance_due_memberships(uow_factory, clock(T0.replace(year=2080))) == 0
    got = await membership.get_membership(GetMembership("demo", me), uow_factory(), clock=clock(T0.replace(year=2080)))
    assert got.status is MembershipStatus.LIFETIME
    assert await outbox_types(db) == ["membership_activated", "membership_renewed", "membership_became_lifetime"]


async def test_two_scheduler_replicas_never_double_a_transition(uow_factory: Any, db: Any) -> None:
    plan = await membership.create_plan(CreatePlan("demo", STAFF, STANDARD), uow_factory())
    ids = []
    for i in range(30):
        me = await register(uow_factory, f"m{i}@example.org")
        assert me.member_id is not None
        joined = await membership.join_membership(JoinMembership("demo", me, plan.id), uow_factory(), clock=clock(T0))
        m_id = joined.membership.id
        await membership.on_dues_paid("demo", m_id, me.member_id, Payment(f"p{i}", plan.id, 6000, "EUR", T0),
                                      uow_factory(), clock(T0))
        ids.append(m_id)
    at = T0 + timedelta(days=370)

    async def replica() -> int:
        try:
            return await membership.advance_due_memberships(uow_factory, clock(at), batch=7)
        except Exception as exc:  # noqa: BLE001 — a replica that lost every retry gives up this round
            assert is_write_conflict(exc)
            return 0

    results = await asyncio.gather(replica(), replica())
    await membership.advance_due_memberships(uow_factory, clock(at))  # the next round finishes any leftover
    counts = Counter(await outbox_types(db))
    assert counts["membership_entered_grace"] == 30, counts
    assert sum(results) <= 30
    assert await db[DUES_MEMBERSHIPS].count_documents({"status": "in_grace"}) == 30


async def test_tenancy_and_certificate(uow_factory: Any, db: Any, mongo_client: Any) -> None:
    me = await register(uow_factory, "cert@example.org")
    assert me.member_id is not None
    plan = await membership.create_plan(CreatePlan("demo", STAFF, STANDARD), uow_factory())
    joined = await membership.join_membership(JoinMembership("demo", me, plan.id), uow_factory(),
                                              clock=clock(T0))
    m_id = joined.membership.id
    # Another tenant's event naming this membership finds nothing (dead-lettered, changes nothing).
    with pytest.raises(MembershipNotFound):
        await membership.on_dues_paid("other", m_id, me.member_id, Payment("x", plan.id, 6000, "EUR", T0),
                                      uow_factory(), clock(T0))
    with pytest.raises(MembershipNotFound):
        await membership.get_membership(GetMembership("other", STAFF, me.member_id), uow_factory())
    # Another alumnus cannot read mine.
    with pytest.raises(NotAllowed):
        await membership.get_membership(
            GetMembership("demo", Actor("s2", "someone-else", False), me.member_id), uow_factory())

    reader = MongoMemberRepository(db, None, lambda _m: None)
    bus = message_bus(uow_factory, reader, cast(Any, None), cast(Any, None))
    handlers_by_name = {h.subject.rsplit(".", 1)[-1]: h for h in serve(use_cases.membership.USE_CASES, bus)}
    certificate = handlers_by_name["membership_certificate"]
    who = Principal(tenant="demo", subject=me.subject, member_id=me.member_id, roles=frozenset({Role.ALUMNUS}))
    with pytest.raises(NoCertificate):  # not paid yet
        await certificate.handler(ms.MembershipCertificateQuery(), who)
    await membership.on_dues_paid("demo", m_id, me.member_id, Payment("p", plan.id, 6000, "EUR", datetime.now(UTC)),
                                  uow_factory())
    for language in ("fr", "en"):
        reply = await certificate.handler(ms.MembershipCertificateQuery(language=ms.CertificateLanguage(language)), who)
        pdf = base64.b64decode(reply.pdf_base64)
        assert pdf.startswith(b"%PDF") and len(pdf) > 800
    # Through the use case, another alumnus naming me finds no one (the platform's ownership rule);
    # staff name me and get my certificate.
    stranger = Principal(tenant="demo", subject="s2", member_id="someone-else", roles=frozenset({Role.ALUMNUS}))
    with pytest.raises(MemberNotLinked):
        await certificate.handler(ms.MembershipCertificateQuery(member_id=me.member_id), stranger)
    office = Principal(tenant="demo", subject="staff-1", roles=frozenset({Role.MANAGER}))
    reply = await certificate.handler(ms.MembershipCertificateQuery(member_id=me.member_id), office)
    assert reply.filename == f"attestation-{m_id}-fr.pdf"


async def test_the_scheduler_reads_due_keys_a_window_at_a_time(uow_factory: Any, db: Any) -> None:
    """Due keys read several batches at a time (a read of due keys scans every due entry on the
    stand-in): windows of 2 batches of 7 over 30 due memberships move all 30, once, and
    `max_batches` still bounds a run."""
    plan = await membership.create_plan(CreatePlan("demo", STAFF, STANDARD), uow_factory())
    for i in range(30):
        me = await register(uow_factory, f"w{i}@example.org")
        assert me.member_id is not None
        m_id = (await membership.join_membership(JoinMembership("demo", me, plan.id), uow_factory(),
                                                 clock=clock(T0))).membership.id
        await membership.on_dues_paid("demo", m_id, me.member_id, Payment(f"w{i}", plan.id, 6000, "EUR", T0),
                                      uow_factory(), clock(T0))
    at = T0 + timedelta(days=370)
    assert await membership.advance_due_memberships(uow_factory, clock(at), batch=7, window=2, max_batches=3) == 21
    assert await membership.advance_due_memberships(uow_factory, clock(at), batch=7, window=2) == 9
    assert await membership.advance_due_memberships(uow_factory, clock(at), batch=7, window=2) == 0
    assert Counter(await outbox_types(db))["membership_entered_grace"] == 30
