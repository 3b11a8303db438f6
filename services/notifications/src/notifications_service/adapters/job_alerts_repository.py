"""MongoDB storage of members' job alerts (collection `job_alerts`, id: the member id)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from notifications_service.domain.job_alerts import ANY, JobAlert, PostedJob, fold
from servicekit.domain import AggregateRoot, ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec

JOB_ALERTS = "job_alerts"

INDEXES = [
    IndexSpec(JOB_ALERTS, [("tenant", 1), ("_id", 1)], "job_alerts_by_tenant_id"),
    # The fan-out: a tenant's enabled alerts, by member id (paged).
    IndexSpec(JOB_ALERTS, [("tenant", 1), ("enabled", 1), ("_id", 1)], "job_alerts_enabled"),
]


def to_document(a: JobAlert) -> Document:
    return {"_id": a.id, "tenant": a.tenant, "version": a.version, "member_id": a.member_id, "enabled": a.enabled,
            "sectors": a.sectors, "cities": a.cities, "contracts": a.contracts, "updated_at": a.updated_at,
            # Folded keys (ANY for "any"), what the candidates query selects on.
            "sector_keys": a.sector_keys, "city_keys": a.city_keys, "contract_keys": a.contract_keys}


def from_document(d: Document) -> JobAlert:
    at: datetime | None = d.get("updated_at")
    return JobAlert(id=d["_id"], tenant=d["tenant"], version=d["version"], member_id=d["member_id"],
                    enabled=bool(d.get("enabled")), sectors=list(d.get("sectors", [])),
                    cities=list(d.get("cities", [])), contracts=list(d.get("contracts", [])),
                    updated_at=None if at is None else at if at.tzinfo else at.replace(tzinfo=UTC))


class MongoJobAlerts:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None,
                 track: Callable[[AggregateRoot], None] | None = None) -> None:
        self._col, self._session, self._track = db[JOB_ALERTS], session, track

    async def get(self, tenant: str, member_id: str) -> JobAlert | None:
        doc = await self._col.find_one({"tenant": tenant, "_id": member_id}, session=self._session)
        return None if doc is None else from_document(doc)

    async def save(self, alert: JobAlert) -> None:
        if alert.persisted_version == 0:
            await self._col.insert_one(to_document(alert), session=self._session)
        else:
            result = await self._col.replace_one(
                {"tenant": alert.tenant, "_id": alert.id, "version": alert.persisted_version}, to_document(alert),
                session=self._session)
            if result.matched_count != 1:
                raise ConcurrencyConflict(alert.id)
        if self._track is not None:
            self._track(alert)

    async def candidates(self, tenant: str, job: PostedJob, after: str | None, limit: int) -> list[JobAlert]:
        query: dict[str, Any] = {"tenant": tenant, "enabled": True,
                                 "sector_keys": {"$in": [fold(job.sector), ANY]},
                                 "city_keys": {"$in": [fold(job.city), ANY]},
                                 "contract_keys": {"$in": [job.contract, ANY]}}
        if after is not None:
            query["_id"] = {"$gt": after}
        cursor = self._col.find(query, session=self._session).sort("_id", 1).limit(limit)
        return [from_document(d) async for d in cursor]

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_one({"tenant": tenant, "_id": member_id}, session=self._session)
        return result.deleted_count
