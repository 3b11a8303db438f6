from __future__ import annotations

from alumni_contracts.common import Money
from alumni_contracts.envelope import EventData
from alumni_contracts.fundraising import v1
from fundraising_service.domain.model import DonationReceived
from servicekit.domain import DomainEvent
from servicekit.erasure import DataErased, confirmation


def to_contract(event: DomainEvent) -> EventData:
    match event:
        case DonationReceived():
            return v1.DonationReceived(
                donation_id=event.donation_id, member_id=event.member_id,
                amount=Money(minor_units=event.amount.minor_units, currency=event.amount.currency),
                campaign_id=event.campaign_id, received_at=event.received_at)
        case DataErased():
            return confirmation(event, v1.MemberDataErased)
    raise TypeError(f"no contract for {type(event).__name__}")
