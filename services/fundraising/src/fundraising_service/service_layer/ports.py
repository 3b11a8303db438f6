from __future__ import annotations

from typing import Protocol

from fundraising_service.domain.model import Donation
from fundraising_service.service_layer.commands import ProjectMember
from servicekit.uow import ErasingUnitOfWork


class DonationRepository(Protocol):
    async def add(self, donation: Donation) -> None: ...
    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int: ...


class DonorProjection(Protocol):
    async def apply(self, member: ProjectMember) -> bool: ...
    async def exists(self, tenant: str, member_id: str) -> bool: ...
    async def erase(self, tenant: str, member_id: str) -> int: ...


class FundraisingUnitOfWork(ErasingUnitOfWork, Protocol):
    @property
    def donations(self) -> DonationRepository: ...

    @property
    def members(self) -> DonorProjection: ...
