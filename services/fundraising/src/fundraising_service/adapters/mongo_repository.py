from __future__ import annotations

from collections.abc import Callable

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from fundraising_service.domain.model import Donation
from fundraising_service.service_layer.commands import ProjectMember
from servicekit.domain import AggregateRoot
from servicekit.mongo import Document, IndexSpec
from servicekit.projections import apply_versioned

DONATIONS = "donations"
MEMBERS = "members"

INDEXES = [
    IndexSpec(DONATIONS, [("tenant", 1), ("member_id", 1), ("received_at", 1)], "donations_by_member"),
    IndexSpec(DONATIONS, [("tenant", 1), ("campaign_id", 1)], "donations_by_campaign"),
]


class MongoDonationRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[DONATIONS]
        self._session = session
        self._track = track

    async def add(self, donation: Donation) -> None:
        await self._col.insert_one({
            "_id": donation.id, "tenant": donation.tenant, "version": donation.version,
            "member_id": donation.member_id,
            "amount": {"minor_units": donation.amount.minor_units, "currency": donation.amount.currency},
            "campaign_id": donation.campaign_id, "received_at": donation.received_at}, session=self._session)
        self._track(donation)

    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int:
        """Accounting records stay (the law requires keeping them); the donor becomes a pseudonym."""
        result = await self._col.update_many({"tenant": tenant, "member_id": member_id},
                                             {"$set": {"member_id": pseudonym, "pseudonymised": True}},
                                             session=self._session)
        return result.modified_count


class MongoDonorProjection:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[MEMBERS]
        self._session = session

    async def apply(self, member: ProjectMember) -> bool:
        return await apply_versioned(self._col, member.tenant, member.member_id, member.version,
                                     {"first_name": member.first_name, "last_name": member.last_name},
                                     self._session)

    async def erase(self, tenant: str, member_id: str) -> int:
        result = await self._col.delete_one({"_id": member_id, "tenant": tenant}, session=self._session)
        return result.deleted_count

    async def exists(self, tenant: str, member_id: str) -> bool:
        return await self._col.find_one({"_id": member_id, "tenant": tenant}, {"_id": 1},
                                        session=self._session) is not None
