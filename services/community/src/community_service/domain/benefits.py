"""Member benefits: partner discounts and perks, some reserved to dues-paying members (pure).

Eligibility of a members-only benefit comes from community's projection of members' membership
events (the state after each transition): active, in grace or lifetime."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from servicekit.domain import AggregateRoot, DomainError, DomainEvent, Forbidden, new_id

DUES_PAYING = frozenset({"active", "in_grace", "lifetime"})


class InvalidBenefit(DomainError):
    code = "invalid-benefit"
    title = "Invalid benefit"


class BenefitMembersOnly(Forbidden):
    code = "benefit-members-only"
    title = "Reserved to dues-paying members"


class BenefitNotValid(DomainError):
    code = "benefit-not-valid"
    title = "This benefit is not valid now"


@dataclass(frozen=True)
class BenefitPublished(DomainEvent):
    benefit_id: str
    title: str
    partner: str
    members_only: bool
    valid_until: datetime | None


@dataclass(frozen=True)
class BenefitRedeemed(DomainEvent):
    benefit_id: str
    member_id: str
    at: datetime


@dataclass(eq=False)
class Benefit(AggregateRoot):
    title: str = ""
    partner: str = ""
    description: str = ""
    conditions: str = ""
    members_only: bool = False
    code: str = ""
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    redemptions: int = 0
    created_at: datetime | None = None

    @classmethod
    def publish(cls, *, tenant: str, title: str, partner: str, description: str, conditions: str,
                members_only: bool, code: str, valid_from: datetime | None, valid_until: datetime | None,
                now: datetime) -> Benefit:
        if valid_from and valid_until and valid_until <= valid_from:
            raise InvalidBenefit("valid_until must be after valid_from")
        if valid_until and valid_until <= now:
            raise InvalidBenefit("this benefit would already be over")
        if not code.strip():
            raise InvalidBenefit("a redemption code is required")
        benefit = cls(id=new_id(), tenant=tenant, title=title, partner=partner, description=description,
                      conditions=conditions, members_only=members_only, code=code, valid_from=valid_from,
                      valid_until=valid_until, created_at=now)
        benefit.record(BenefitPublished(benefit.id, title, partner, members_only, valid_until))
        return benefit

    def valid_at(self, now: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= now) and (self.valid_until is None
                                                                        or now < self.valid_until)

    def eligible(self, membership_status: str | None) -> bool:
        return not self.members_only or membership_status in DUES_PAYING

    def redeem(self, member_id: str, membership_status: str | None, first_time: bool, now: datetime) -> str:
        """The code, for an eligible member; counted (and `benefit_redeemed`) the first time only."""
        if not self.valid_at(now):
            raise BenefitNotValid("outside the benefit's validity")
        if not self.eligible(membership_status):
            raise BenefitMembersOnly("reserved to dues-paying members: join or renew your membership")
        if first_time:
            self.redemptions += 1
            self.record(BenefitRedeemed(self.id, member_id, now))
        return self.code
