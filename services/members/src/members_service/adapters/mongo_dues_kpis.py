"""The dues KPIs read model in MongoDB (aggregates only) and its bookkeeping.

- `dues_kpis`: one counter document per (tenant, key) of `domain.dues_kpis` — the figures.
- `dues_kpi_counted`: per member, the contribution last counted (cohort cell, counters; no
  name, email or payment detail), so an event's handler applies only the difference; deleted
  when the member is erased.
- `dues_kpi_residue`: per tenant, the flows and revenue of erased members (aggregates without
  any member reference), which a rebuild adds to what it recomputes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Mapping

from pymongo import DeleteMany, InsertOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from members_service.adapters.mongo_dues_memberships import DUES_MEMBERSHIPS, membership_of
from members_service.adapters.mongo_member_documents import from_document
from members_service.adapters.mongo_members import MEMBERS
from members_service.domain.dues_kpis import Contribution, Key
from members_service.domain.membership import Membership
from members_service.domain.model import Member
from servicekit.mongo import Document, IndexSpec

DUES_KPIS = "dues_kpis"
DUES_KPI_COUNTED = "dues_kpi_counted"
DUES_KPI_RESIDUE = "dues_kpi_residue"

INDEXES = [
    IndexSpec(DUES_KPIS, [("tenant", 1), ("kind", 1), ("d", 1)], "dues_kpis_by_tenant_kind_month"),
    IndexSpec(DUES_KPI_COUNTED, [("tenant", 1), ("_id", 1)], "dues_kpi_counted_by_member"),
    IndexSpec(DUES_KPI_RESIDUE, [("tenant", 1), ("kind", 1)], "dues_kpi_residue_by_tenant"),
]


def _doc_id(tenant: str, key: Key) -> str:
    return "|".join([tenant, key[0], str(key[1]), key[2], key[3], key[4]])


def _key_fields(key: Key) -> Document:
    return {"kind": key[0], "a": key[1], "b": key[2], "c": key[3], "d": key[4]}


def _key(d: Document) -> Key:
    return (d["kind"], int(d["a"]), d["b"], d["c"], d["d"])


def _pairs(c: Mapping[Key, int]) -> list[list[object]]:
    return [[*k, v] for k, v in sorted(c.items()) if v]


def _from_pairs(rows: list[list[object]]) -> Contribution:
    out: Contribution = Counter()
    for r in rows:
        kind, a, b, c, d, n = r
        out[(str(kind), int(str(a)), str(b), str(c), str(d))] = int(str(n))
    return out


class MongoDuesKpiRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None) -> None:
        self._db = db
        self._figures = db[DUES_KPIS]
        self._counted = db[DUES_KPI_COUNTED]
        self._residue = db[DUES_KPI_RESIDUE]
        self._session = session

    async def counted(self, tenant: str, member_id: str) -> Contribution | None:
        d = await self._counted.find_one({"tenant": tenant, "_id": member_id}, session=self._session)
        return None if d is None else _from_pairs(d["c"])

    async def set_counted(self, tenant: str, member_id: str, contribution: Contribution) -> None:
        await self._counted.update_one({"tenant": tenant, "_id": member_id},
                                       {"$set": {"tenant": tenant, "c": _pairs(contribution)}}, upsert=True,
                                       session=self._session)

    async def forget_counted(self, tenant: str, member_id: str) -> None:
        await self._counted.delete_one({"tenant": tenant, "_id": member_id}, session=self._session)

    async def _increment(self, collection: str, tenant: str, change: Mapping[Key, int]) -> None:
        ops = [UpdateOne({"_id": _doc_id(tenant, k), "tenant": tenant},
                         {"$inc": {"n": v}, "$setOnInsert": _key_fields(k)}, upsert=True)
               for k, v in sorted(change.items()) if v]
        if ops:
            await self._db[collection].bulk_write(ops, ordered=True, session=self._session)

    async def apply(self, tenant: str, change: Mapping[Key, int]) -> None:
        await self._increment(DUES_KPIS, tenant, change)

    async def add_residue(self, tenant: str, kept: Mapping[Key, int]) -> None:
        await self._increment(DUES_KPI_RESIDUE, tenant, kept)

    async def _read(self, collection: str, query: Document) -> Contribution:
        out: Contribution = Counter()
        async for d in self._db[collection].find(query, session=self._session):
            if d["n"]:
                out[_key(d)] += d["n"]
        return out

    async def figures(self, tenant: str, from_month: str | None = None, to_month: str | None = None) -> Contribution:
        """Every figure, or the gauges and the flows and revenue of the months [from, to] only."""
        if from_month is None or to_month is None:
            return await self._read(DUES_KPIS, {"tenant": tenant})
        out = await self._read(DUES_KPIS, {"tenant": tenant, "kind": "cell"})
        for kind in ("flow", "rev"):
            out.update(await self._read(DUES_KPIS, {"tenant": tenant, "kind": kind,
                                                    "d": {"$gte": from_month, "$lte": to_month}}))
        return out

    async def residue(self, tenant: str) -> Contribution:
        return await self._read(DUES_KPI_RESIDUE, {"tenant": tenant})

    async def members_with_memberships(self, tenant: str) -> AsyncIterator[tuple[Member, Membership | None]]:
        """The durable source of a rebuild: the register and the memberships (with their stored
        transitions and payments), member by member."""
        memberships: dict[str, Membership] = {}
        async for d in self._db[DUES_MEMBERSHIPS].find({"tenant": tenant}, session=self._session):
            m = membership_of(d)
            memberships[m.member_id] = m
        async for d in self._db[MEMBERS].find({"tenant": tenant}, session=self._session):
            member = from_document(d)
            yield member, memberships.get(member.id)

    async def replace_all(self, tenant: str, figures: Mapping[Key, int],
                          counted: Mapping[str, Mapping[Key, int]]) -> None:
        """The rebuild's result replaces the tenant's figures and bookkeeping (one transaction)."""
        await self._figures.bulk_write(
            [DeleteMany({"tenant": tenant}),
             *(InsertOne({"_id": _doc_id(tenant, k), "tenant": tenant, **_key_fields(k), "n": v})
               for k, v in sorted(figures.items()) if v)], ordered=True, session=self._session)
        await self._counted.bulk_write(
            [DeleteMany({"tenant": tenant}),
             *(InsertOne({"_id": member_id, "tenant": tenant, "c": _pairs(c)}) for member_id, c in counted.items())],
            ordered=True, session=self._session)
