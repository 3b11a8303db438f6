"""Ports of the desk slice (check-in, tickets, calendars, figures)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from events_service.domain.event_figures import AttendanceRecord, Cohort
from events_service.domain.registrations import Registration
from events_service.service_layer.ports import EventsUnitOfWork


@dataclass(frozen=True)
class EventInfo:
    """What a calendar file or a ticket shows of a gathering (read from the events collection)."""

    event_id: str
    titles: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str = ""
    online_url: str = ""
    descriptions: dict[str, str] = field(default_factory=dict)
    cancelled: bool = False
    sequence: int = 0
    draft: bool = False
    invited_only: bool = False  # visibility `invited`: the invited segment only


@dataclass(frozen=True)
class Person:
    name: str
    folded: str  # "first last" folded (accents, case)
    folded_reversed: str  # "last first"
    cohort: Cohort | None


class Attendances(Protocol):
    """The figures' projection: one record per (gathering, member), fed by the events' own
    domain events (lane `events.figures`)."""

    async def get(self, tenant: str, event_id: str, key: str) -> AttendanceRecord | None: ...
    async def save(self, record: AttendanceRecord) -> None: ...
    async def for_event(self, tenant: str, event_id: str) -> list[AttendanceRecord]: ...
    async def attended_since(self, tenant: str, since: datetime) -> list[tuple[str, datetime]]: ...
    async def erase_member(self, tenant: str, member_id: str) -> int: ...


class Tickets(Protocol):
    async def by_code(self, tenant: str, code: str) -> Registration | None:
        """The registration holding this ticket code (tracked by the unit of work, saved through
        `registrations.save`)."""
        ...


class EventCatalogue(Protocol):
    async def get(self, tenant: str, event_id: str) -> EventInfo | None: ...
    async def many(self, tenant: str, event_ids: list[str]) -> dict[str, EventInfo]: ...


class People(Protocol):
    async def of(self, tenant: str, member_ids: list[str]) -> dict[str, Person]: ...
    async def alumni_by_year(self, tenant: str) -> dict[int, int]: ...


class CalendarFeeds(Protocol):
    async def replace(self, tenant: str, member_id: str, token_hash: str, now: datetime) -> None: ...
    async def revoke(self, tenant: str, member_id: str) -> bool: ...
    async def member_of(self, tenant: str, token_hash: str) -> str | None: ...


class DeskUnitOfWork(EventsUnitOfWork, Protocol):
    @property
    def attendance(self) -> Attendances: ...
    @property
    def tickets(self) -> Tickets: ...
    @property
    def catalogue(self) -> EventCatalogue: ...
    @property
    def people(self) -> People: ...
    @property
    def feeds(self) -> CalendarFeeds: ...
