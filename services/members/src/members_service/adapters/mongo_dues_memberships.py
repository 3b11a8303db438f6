"""Membership plans (`membership_plans`) and dues memberships (`dues_memberships`).

`next_deadline` is stored with each membership (end of its period when active, end of its
grace when in grace, absent otherwise): the scheduler finds due memberships with one range
read on it, across tenants.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from members_service.domain.membership import (
    Due,
    Eligibility,
    Failure,
    Membership,
    MembershipStatus,
    PaymentLine,
    Period,
    Plan,
    PlanKind,
    PlanRef,
    PlanRevision,
    PlanTerms,
    Transition,
)
from servicekit.domain import AggregateRoot, ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec

PLANS = "membership_plans"
DUES_MEMBERSHIPS = "dues_memberships"
INDEXES = [
    IndexSpec(PLANS, [("tenant", 1), ("_id", 1)], "plans_by_tenant_id"),
    IndexSpec(PLANS, [("tenant", 1), ("retired_at", 1), ("terms.name", 1)], "plans_by_name"),
    IndexSpec(DUES_MEMBERSHIPS, [("tenant", 1), ("member_id", 1)], "dues_memberships_by_member", unique=True),
    IndexSpec(DUES_MEMBERSHIPS, [("tenant", 1), ("_id", 1), ("version", 1)], "dues_memberships_versioned"),
    # The scheduler's read: due transitions of every tenant (no tenant prefix by design).
    IndexSpec(DUES_MEMBERSHIPS, [("next_deadline", 1)], "dues_memberships_due"),
    IndexSpec(DUES_MEMBERSHIPS, [("tenant", 1), ("status", 1)], "dues_memberships_by_status"),
]


def terms_doc(t: PlanTerms) -> Document:
    return {"name": t.name, "kind": t.kind.value, "price_minor": t.price_minor, "currency": t.currency,
            "period_months": t.period_months, "instalments": t.instalments,
            "instalment_interval_months": t.instalment_interval_months, "grace_days": t.grace_days,
            "legal_entity": t.legal_entity, "tax_deductible_minor": t.tax_deductible_minor,
            "description": t.description,
            "eligibility": {"max_years_since_graduation": t.eligibility.max_years_since_graduation,
                            "free_first_year_within_years": t.eligibility.free_first_year_within_years}}


def terms_of(d: Document) -> PlanTerms:
    e = d.get("eligibility") or {}
    return PlanTerms(name=d["name"], kind=PlanKind(d["kind"]), price_minor=d["price_minor"], currency=d["currency"],
                     period_months=d["period_months"], instalments=d["instalments"],
                     instalment_interval_months=d["instalment_interval_months"], grace_days=d["grace_days"],
                     legal_entity=d.get("legal_entity", ""), tax_deductible_minor=d.get("tax_deductible_minor", 0),
                     description=d.get("description", ""),
                     eligibility=Eligibility(e.get("max_years_since_graduation"),
                                             e.get("free_first_year_within_years")))


def plan_doc(p: Plan) -> Document:
    return {"_id": p.id, "tenant": p.tenant, "version": p.version, "revision": p.revision,
            "terms": terms_doc(p.terms), "created_at": p.created_at, "retired_at": p.retired_at,
            "history": [{"revision": h.revision, "terms": terms_doc(h.terms), "at": h.at} for h in p.history]}


def plan_of(d: Document) -> Plan:
    return Plan(id=d["_id"], tenant=d["tenant"], version=d["version"], terms=terms_of(d["terms"]),
                revision=d["revision"], created_at=d.get("created_at"), retired_at=d.get("retired_at"),
                history=[PlanRevision(h["revision"], terms_of(h["terms"]), h["at"]) for h in d.get("history", [])])


def membership_doc(m: Membership) -> Document:
    return {
        "_id": m.id, "tenant": m.tenant, "version": m.version, "member_id": m.member_id,
        "plan": {"plan_id": m.plan.plan_id, "revision": m.plan.revision, "terms": terms_doc(m.plan.terms)},
        "status": m.status.value, "status_reason": m.status_reason, "status_since": m.status_since,
        "periods": [{"start": p.start, "end": p.end, "payment_id": p.payment_id, "free": p.free,
                     "instalment": p.instalment} for p in m.periods],
        "payments": [{"payment_id": p.payment_id, "amount_minor": p.amount_minor, "currency": p.currency,
                      "paid_at": p.paid_at, "method": p.method, "provider": p.provider, "instalment": p.instalment,
                      "reference": p.reference, "applied": p.applied, "note": p.note,
                      "refunded_minor": p.refunded_minor} for p in m.payments],
        "paid_instalments": m.paid_instalments,
        "due": None if m.due is None else {"amount_minor": m.due.amount_minor, "currency": m.due.currency,
                                           "instalment": m.due.instalment, "instalments": m.due.instalments,
                                           "requested_at": m.due.requested_at},
        "grace_until": m.grace_until,
        "last_failure": None if m.last_failure is None else {
            "payment_id": m.last_failure.payment_id, "reason": m.last_failure.reason, "at": m.last_failure.at,
            "instalment": m.last_failure.instalment},
        "transitions": [{"from": t.from_status.value, "to": t.to_status.value, "reason": t.reason, "at": t.at}
                        for t in m.transitions],
        "created_at": m.created_at,
        "paid_until": m.paid_until,
        "next_deadline": m.next_deadline(),
    }


def membership_of(d: Document) -> Membership:
    due, failure = d.get("due"), d.get("last_failure")
    return Membership(
        id=d["_id"], tenant=d["tenant"], version=d["version"], member_id=d["member_id"],
        plan=PlanRef(d["plan"]["plan_id"], d["plan"]["revision"], terms_of(d["plan"]["terms"])),
        status=MembershipStatus(d["status"]), status_reason=d["status_reason"], status_since=d.get("status_since"),
        periods=[Period(p["start"], p["end"], p["payment_id"], p["free"], p["instalment"]) for p in d["periods"]],
        payments=[PaymentLine(p["payment_id"], p["amount_minor"], p["currency"], p["paid_at"], p["method"],
                              p["provider"], p["instalment"], p["reference"], p["applied"], p["note"],
                              p["refunded_minor"]) for p in d["payments"]],
        paid_instalments=d["paid_instalments"],
        due=None if due is None else Due(due["amount_minor"], due["currency"], due["instalment"], due["instalments"],
                                         due["requested_at"]),
        grace_until=d.get("grace_until"),
        last_failure=None if failure is None else Failure(failure["payment_id"], failure["reason"], failure["at"],
                                                          failure["instalment"]),
        transitions=[Transition(MembershipStatus(t["from"]), MembershipStatus(t["to"]), t["reason"], t["at"])
                     for t in d.get("transitions", [])],
        created_at=d.get("created_at"))


class MongoPlanRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[PLANS]
        self._session = session
        self._track = track

    async def add(self, plan: Plan) -> None:
        await self._col.insert_one(plan_doc(plan), session=self._session)
        self._track(plan)

    async def get(self, tenant: str, plan_id: str) -> Plan | None:
        d = await self._col.find_one({"tenant": tenant, "_id": plan_id}, session=self._session)
        return plan_of(d) if d else None

    async def save(self, plan: Plan) -> None:
        if plan.version == plan.persisted_version:
            return
        doc = plan_doc(plan)
        del doc["_id"]
        result = await self._col.update_one({"tenant": plan.tenant, "_id": plan.id, "version": plan.persisted_version},
                                            {"$set": doc}, session=self._session)
        if result.matched_count == 0:
            raise ConcurrencyConflict(f"plan {plan.id} changed meanwhile")
        self._track(plan)

    async def list(self, tenant: str, include_retired: bool) -> list[Plan]:
        query: Document = {"tenant": tenant}
        if not include_retired:
            query["retired_at"] = None
        cursor = self._col.find(query, session=self._session).sort([("tenant", 1), ("retired_at", 1),
                                                                     ("terms.name", 1)])
        return [plan_of(d) async for d in cursor]


class MongoDuesMembershipRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[DUES_MEMBERSHIPS]
        self._session = session
        self._track = track

    def _loaded(self, d: Document | None) -> Membership | None:
        if d is None:
            return None
        m = membership_of(d)
        self._track(m)
        return m

    async def get(self, tenant: str, membership_id: str) -> Membership | None:
        return self._loaded(await self._col.find_one({"tenant": tenant, "_id": membership_id}, session=self._session))

    async def of_member(self, tenant: str, member_id: str) -> Membership | None:
        return self._loaded(await self._col.find_one({"tenant": tenant, "member_id": member_id},
                                                     session=self._session))

    async def get_many(self, keys: list[tuple[str, str]]) -> list[Membership]:
        """(tenant, id) pairs, read in one query per tenant (the scheduler's batch)."""
        by_tenant: dict[str, list[str]] = {}
        for tenant, membership_id in keys:
            by_tenant.setdefault(tenant, []).append(membership_id)
        out: list[Membership] = []
        for tenant, ids in by_tenant.items():
            async for d in self._col.find({"tenant": tenant, "_id": {"$in": ids}}, session=self._session):
                loaded = self._loaded(d)
                assert loaded is not None
                out.append(loaded)
        return out

    async def save(self, m: Membership) -> None:
        await self.save_many([m])

    async def save_many(self, memberships: list[Membership]) -> None:
        """New ones inserted, changed ones updated conditionally on their version, in one round
        trip each (a bulk write): a batch of the scheduler is one write, not N."""
        changed = [m for m in memberships if m.version != m.persisted_version]
        new = [membership_doc(m) for m in changed if m.persisted_version == 0]
        if new:
            await self._col.insert_many(new, session=self._session)
        updates: list[UpdateOne] = []
        for m in changed:
            if m.persisted_version == 0:
                continue
            doc = membership_doc(m)
            del doc["_id"]
            updates.append(UpdateOne({"tenant": m.tenant, "_id": m.id, "version": m.persisted_version},
                                     {"$set": doc}))
        if updates:
            result = await self._col.bulk_write(updates, ordered=False, session=self._session)
            if result.matched_count != len(updates):
                raise ConcurrencyConflict(f"{len(updates) - result.matched_count} membership(s) changed meanwhile")
        for m in changed:
            self._track(m)

    async def due(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        """(tenant, id) of memberships with a time transition due, oldest deadline first.

        Read outside the unit of work's transaction: a sorted read over a large collection can
        outlive the transaction's lifetime on the stand-in (measured at 100,000: `NoSuchTransaction`),
        and it needs none — each batch's transaction reloads its memberships by id, and `advance`
        on one no longer due does nothing."""
        cursor = self._col.find({"next_deadline": {"$lte": now}}, {"_id": 1, "tenant": 1}) \
            .sort("next_deadline", 1).limit(limit)
        return [(d["tenant"], d["_id"]) async for d in cursor]

    async def delete_of_member(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_many({"tenant": tenant, "member_id": member_id}, session=self._session)
        return int(result.deleted_count)
