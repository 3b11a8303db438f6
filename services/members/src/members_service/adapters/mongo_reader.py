"""The read side the use cases see as one `MemberReader` (outside any transaction): each read is
served by its slice's adapter — profiles, showcase, sectors, erasures. The directory is
separate (`MongoDirectorySearch`)."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from members_service.adapters.mongo_erasures import MongoErasureRepository
from members_service.adapters.mongo_members import MongoMemberRepository
from members_service.adapters.mongo_sectors import MongoSectorRepository
from members_service.adapters.mongo_showcase import MongoShowcaseRepository
from members_service.domain.consent import ConsentRecord
from members_service.domain.model import Member
from members_service.domain.profile import Cohort
from members_service.domain.sectors import SectorList
from members_service.domain.showcase import PublicShowcase
from servicekit.domain import AggregateRoot
from servicekit.mongo import Document


def _untracked(_aggregate: AggregateRoot) -> None:
    """Reads outside a unit of work publish nothing."""


class MongoMemberReader:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._members = MongoMemberRepository(db, None, _untracked)
        self._showcase = MongoShowcaseRepository(db)
        self._sectors = MongoSectorRepository(db, None)
        self._erasures = MongoErasureRepository(db, None, _untracked)

    async def get(self, tenant: str, member_id: str) -> Member | None:
        return await self._members.get(tenant, member_id)

    async def page(self, tenant: str, limit: int, after: str | None, *, newest_first: bool = False,
                   name_prefix: str | None = None) -> list[Member]:
        return await self._members.page(tenant, limit, after, newest_first=newest_first, name_prefix=name_prefix)

    async def consent_history(self, tenant: str, member_id: str) -> list[ConsentRecord]:
        return await self._members.consent_history(tenant, member_id)

    async def by_emails(self, tenant: str, emails: list[str]) -> dict[str, Member]:
        return await self._members.by_emails(tenant, emails)

    async def by_last_names(self, tenant: str, last_keys: list[str]) -> list[Member]:
        return await self._members.by_last_names(tenant, last_keys)

    async def in_cohort(self, tenant: str, cohort: Cohort) -> list[Member]:
        return await self._members.in_cohort(tenant, cohort)

    async def get_many(self, tenant: str, member_ids: list[str]) -> list[Member]:
        return await self._members.get_many(tenant, member_ids)

    async def published_showcases(self, tenant: str) -> list[PublicShowcase]:
        return await self._showcase.published(tenant)

    async def showcases_expiring(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        return await self._showcase.expiring(now, limit)

    async def sectors(self, tenant: str) -> SectorList:
        return await self._sectors.sectors(tenant)

    async def overdue_erasures(self, now: datetime) -> list[tuple[str, str]]:
        return await self._erasures.overdue(now)
