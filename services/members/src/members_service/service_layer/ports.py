"""What the use cases need from the outside world; adapters implement it."""

from __future__ import annotations

from typing import Protocol

from members_service.domain.model import Member
from servicekit.uow import UnitOfWork


class MemberRepository(Protocol):
    async def add(self, member: Member) -> None: ...
    async def get(self, tenant: str, member_id: str) -> Member | None: ...
    async def by_email(self, tenant: str, email: str) -> Member | None: ...


class MemberReader(Protocol):
    """Read side (no transaction): lookups and pages for queries."""

    async def get(self, tenant: str, member_id: str) -> Member | None: ...
    async def page(self, tenant: str, limit: int, after: str | None) -> list[Member]: ...


class MembersUnitOfWork(UnitOfWork, Protocol):
    @property
    def members(self) -> MemberRepository: ...
