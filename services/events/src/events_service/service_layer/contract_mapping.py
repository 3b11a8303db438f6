from __future__ import annotations

from alumni_contracts.envelope import EventData
from alumni_contracts.events import v1
from events_service.domain.model import EventScheduled
from servicekit.domain import DomainEvent
from servicekit.erasure import DataErased, confirmation


def to_contract(event: DomainEvent) -> EventData:
    match event:
        case EventScheduled():
            return v1.EventScheduled(event_id=event.event_id, title=event.title, starts_at=event.starts_at,
                                     ends_at=event.ends_at, timezone=event.timezone, venue=event.venue,
                                     capacity=event.capacity)
        case DataErased():
            return confirmation(event, v1.MemberDataErased)
    raise TypeError(f"no contract for {type(event).__name__}")
