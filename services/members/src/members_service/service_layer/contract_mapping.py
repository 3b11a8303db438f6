"""Domain events → published contract events: the only place the two meet."""

from __future__ import annotations

from alumni_contracts.common import Cohort, Locale
from alumni_contracts.envelope import EventData
from alumni_contracts.members import v1
from members_service.domain.model import MemberRegistered
from servicekit.domain import DomainEvent


def to_contract(event: DomainEvent) -> EventData:
    match event:
        case MemberRegistered():
            return v1.MemberRegistered(
                member_id=event.member_id, first_name=event.first_name, last_name=event.last_name,
                email=event.email, locale=Locale(event.locale),
                cohort=Cohort(program=event.cohort.program, graduation_year=event.cohort.graduation_year),
                registered_at=event.registered_at)
    raise TypeError(f"no contract for {type(event).__name__}")
