from __future__ import annotations

from typing import Protocol

from events_service.domain.model import Event
from events_service.service_layer.commands import ProjectMember
from servicekit.uow import ErasingUnitOfWork


class EventRepository(Protocol):
    async def add(self, event: Event) -> None: ...


class MemberProjection(Protocol):
    async def apply(self, member: ProjectMember) -> bool: ...
    async def erase(self, tenant: str, member_id: str) -> int: ...


class EventsUnitOfWork(ErasingUnitOfWork, Protocol):
    @property
    def events(self) -> EventRepository: ...

    @property
    def members(self) -> MemberProjection: ...
