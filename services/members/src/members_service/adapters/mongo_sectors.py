"""MongoDB persistence of the sectors slice: one document per tenant in `tenant_settings`
holding the tenant's versioned sector list."""

from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from members_service.domain.sectors import DEFAULT_SECTORS, Sector, SectorList
from servicekit.domain import ConcurrencyConflict
from servicekit.mongo import Document

TENANT_SETTINGS = "tenant_settings"


class MongoSectorRepository:
    """One document per tenant in `tenant_settings`; the sector list is versioned."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None) -> None:
        self._col = db[TENANT_SETTINGS]
        self._session = session

    async def sectors(self, tenant: str) -> SectorList:
        doc = await self._col.find_one({"_id": tenant}, session=self._session)
        if doc is None or "sectors" not in doc:
            return DEFAULT_SECTORS
        return SectorList(tuple(Sector(**s) for s in doc["sectors"]), doc["sectors_version"])

    async def save_sectors(self, tenant: str, sectors: SectorList) -> None:
        """Conditional on the previous version: two managers editing at once do not overwrite."""
        values = {"sectors": [dict(s.__dict__) for s in sectors.sectors], "sectors_version": sectors.version}
        if sectors.version == 1:  # the first list of this tenant replaces the default one
            try:
                await self._col.insert_one({"_id": tenant, "tenant": tenant, **values}, session=self._session)
            except DuplicateKeyError:
                raise ConcurrencyConflict(f"the sector list of {tenant} changed meanwhile") from None
            return
        result = await self._col.update_one({"_id": tenant, "sectors_version": sectors.version - 1},
                                            {"$set": values}, session=self._session)
        if result.matched_count == 0:
            raise ConcurrencyConflict(f"the sector list of {tenant} changed meanwhile")
