from __future__ import annotations

from typing import Protocol, Self

from events_service.domain.model import Event
from events_service.service_layer.commands import ProjectMember


class EventRepository(Protocol):
    async def add(self, event: Event) -> None: ...


class MemberProjection(Protocol):
    async def apply(self, member: ProjectMember) -> bool: ...


class EventsUnitOfWork(Protocol):
    events: EventRepository
    members: MemberProjection

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...
