from __future__ import annotations

from typing import Protocol, Self

from fundraising_service.domain.model import Donation
from fundraising_service.service_layer.commands import ProjectMember


class DonationRepository(Protocol):
    async def add(self, donation: Donation) -> None: ...


class DonorProjection(Protocol):
    async def apply(self, member: ProjectMember) -> bool: ...
    async def exists(self, tenant: str, member_id: str) -> bool: ...


class FundraisingUnitOfWork(Protocol):
    donations: DonationRepository
    members: DonorProjection

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...
