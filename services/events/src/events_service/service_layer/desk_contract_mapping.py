"""Contracts of the desk slice's domain events; chained in front of the service's mapping."""

from __future__ import annotations

from collections.abc import Sequence

from alumni_contracts.envelope import EventData
from alumni_contracts.events import desk_v1
from events_service.domain import checkin
from servicekit.domain import DomainEvent
from servicekit.uow import ContractMapper


def with_desk(base: ContractMapper) -> ContractMapper:
    def to_contract(event: DomainEvent) -> EventData | Sequence[EventData] | None:
        if isinstance(event, checkin.AttendeeCheckedIn):
            return desk_v1.AttendeeCheckedIn(event_id=event.event_id, registration_id=event.registration_id,
                                             member_id=event.member_id, guests=event.guests, method=event.method,
                                             checked_in_at=event.checked_in_at)
        return base(event)

    return to_contract
