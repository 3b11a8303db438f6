"""A gathering (*événement*) of the alumni community; not to be confused with a bus message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from servicekit.domain import AggregateRoot, DomainError, DomainEvent, new_id


@dataclass(frozen=True)
class EventScheduled(DomainEvent):
    event_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str
    capacity: int


class InvalidSchedule(DomainError):
    code = "invalid-schedule"
    title = "Invalid schedule"


@dataclass(eq=False)
class Event(AggregateRoot):
    title: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    timezone: str = "Europe/Paris"
    venue: str = ""
    capacity: int = 0

    @classmethod
    def schedule(cls, *, tenant: str, title: str, starts_at: datetime, ends_at: datetime, timezone: str,
                 venue: str, capacity: int, now: datetime) -> Event:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidSchedule(f"unknown timezone {timezone!r}") from None
        if starts_at.tzinfo is None or ends_at.tzinfo is None:
            raise InvalidSchedule("start and end need a UTC offset")
        if ends_at <= starts_at:
            raise InvalidSchedule("the event must end after it starts")
        if ends_at <= now:
            raise InvalidSchedule("cannot schedule an event that is already over")
        if capacity < 1:
            raise InvalidSchedule("capacity must be at least 1")
        event = cls(id=new_id(), tenant=tenant, title=title, starts_at=starts_at, ends_at=ends_at,
                    timezone=timezone, venue=venue, capacity=capacity)
        event.record(EventScheduled(event.id, title, starts_at, ends_at, timezone, venue, capacity))
        return event
