"""What the use cases need from the outside world; adapters implement it."""

from __future__ import annotations

from typing import Protocol

from members_service.domain.consent import ConsentRecord
from members_service.domain.model import Member
from members_service.service_layer.commands import SearchDirectory
from servicekit.uow import UnitOfWork


class MemberRepository(Protocol):
    async def add(self, member: Member) -> None: ...
    async def get(self, tenant: str, member_id: str) -> Member | None: ...
    async def by_email(self, tenant: str, email: str) -> Member | None: ...
    async def save(self, member: Member) -> None: ...


class MemberReader(Protocol):
    """Read side (no transaction): lookups, pages and the directory."""

    async def get(self, tenant: str, member_id: str) -> Member | None: ...
    async def page(self, tenant: str, limit: int, after: str | None) -> list[Member]: ...
    async def search(self, query: SearchDirectory) -> tuple[list[tuple[str, Member]], str | None]: ...
    async def consent_history(self, tenant: str, member_id: str) -> list[ConsentRecord]: ...


class MembersUnitOfWork(UnitOfWork, Protocol):
    @property
    def members(self) -> MemberRepository: ...
