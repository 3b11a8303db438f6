"""Donations. Money is integer minor units + ISO 4217 currency, never a float."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from servicekit.domain import AggregateRoot, DomainError, DomainEvent, new_id

# Upper bound of a single recorded gift: above it, a typo (cents vs euros) is likelier than a gift.
MAX_DONATION_MINOR_UNITS = 100_000_000


@dataclass(frozen=True)
class Money:
    minor_units: int
    currency: str


@dataclass(frozen=True)
class DonationReceived(DomainEvent):
    donation_id: str
    member_id: str
    amount: Money
    campaign_id: str | None
    received_at: datetime


class UnknownDonor(DomainError):
    code = "unknown-member"
    title = "Unknown member"


class InvalidAmount(DomainError):
    code = "invalid-amount"
    title = "Invalid amount"


@dataclass(eq=False)
class Donation(AggregateRoot):
    member_id: str = ""
    amount: Money = Money(0, "EUR")
    campaign_id: str | None = None
    received_at: datetime | None = None

    @classmethod
    def receive(cls, *, tenant: str, member_id: str, amount: Money, campaign_id: str | None,
                now: datetime) -> Donation:
        if amount.minor_units <= 0:
            raise InvalidAmount("a donation must be positive")
        if amount.minor_units > MAX_DONATION_MINOR_UNITS:
            raise InvalidAmount(f"{amount.minor_units} minor units exceeds the single-gift limit")
        donation = cls(id=new_id(), tenant=tenant, member_id=member_id, amount=amount,
                       campaign_id=campaign_id, received_at=now)
        donation.record(DonationReceived(donation.id, member_id, amount, campaign_id, now))
        return donation
