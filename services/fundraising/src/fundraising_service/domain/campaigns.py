"""Campaigns and funds: a goal, a window, a receiving legal entity, designated funds, appeals,
and the live progress that gifts move.

A campaign is `active` from its launch (it takes gifts between `starts_at` and `ends_at`)
until a manager closes it (`closed`, final). `campaign_goal_reached` is recorded once, the
first time the net amount raised crosses the goal. Money is integer minor units + ISO currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fundraising_service.domain.model import Money
from servicekit.domain import AggregateRoot, Conflict, DomainError, DomainEvent, NotFound, new_id
from servicekit.money import unsupported_currency

MAX_GOAL_MINOR_UNITS = 100_000_000_000  # a billion euros: above it, a typo
NO_GOAL = Money(0, "EUR")


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


@dataclass(frozen=True)
class PostalAddress:
    line1: str
    postal_code: str
    city: str
    country: str = "FR"
    line2: str | None = None


@dataclass(frozen=True)
class LegalEntity:
    """The entity that receives the gifts and, if it may, issues the tax receipts."""

    entity_id: str
    name: str
    address: PostalAddress
    purpose: str
    may_issue_receipts: bool
    status: str | None = None


@dataclass(frozen=True)
class Fund:
    """A designated fund (scholarships, building, general…)."""

    fund_id: str
    name_fr: str
    name_en: str


@dataclass(frozen=True)
class Appeal:
    """A solicitation a gift answers (a mailing, a giving-day call…)."""

    appeal_id: str
    name_fr: str
    name_en: str


# -- errors ------------------------------------------------------------------------------

class InvalidCampaign(DomainError):
    code = "invalid-campaign"
    title = "Invalid campaign"


class UnknownCampaign(NotFound):
    code = "campaign-not-found"
    title = "Campaign not found"


class CampaignNotOpen(Conflict):
    code = "campaign-not-open"
    title = "The campaign does not take gifts"


class CurrencyMismatch(DomainError):
    code = "currency-mismatch"
    title = "Currency differs from the campaign's"


class UnknownFund(DomainError):
    code = "unknown-fund"
    title = "Unknown fund or appeal"


# -- events ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CampaignLaunched(DomainEvent):
    campaign: Campaign


@dataclass(frozen=True)
class CampaignGoalReached(DomainEvent):
    campaign_id: str
    legal_entity_id: str
    goal: Money
    raised: Money
    donors: int
    reached_at: datetime


@dataclass(frozen=True)
class CampaignClosed(DomainEvent):
    campaign_id: str
    legal_entity_id: str
    goal: Money
    raised: Money
    donors: int
    closed_at: datetime


@dataclass(eq=False)
class Campaign(AggregateRoot):
    name_fr: str = ""
    name_en: str = ""
    description_fr: str = ""
    description_en: str = ""
    goal: Money = NO_GOAL
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    legal_entity: LegalEntity | None = None
    funds: tuple[Fund, ...] = ()
    appeals: tuple[Appeal, ...] = ()
    giving_day: bool = False
    status: CampaignStatus = CampaignStatus.ACTIVE
    raised_minor: int = 0
    gifts: int = 0
    donors: int = 0
    goal_reached_at: datetime | None = None
    closed_at: datetime | None = None
    launched_at: datetime | None = None

    @classmethod
    def launch(cls, *, tenant: str, name_fr: str, name_en: str, description_fr: str, description_en: str,
               goal: Money, starts_at: datetime, ends_at: datetime | None, legal_entity: LegalEntity,
               funds: tuple[Fund, ...], appeals: tuple[Appeal, ...], giving_day: bool, now: datetime) -> Campaign:
        if (why := unsupported_currency(goal.currency)) is not None:
            raise InvalidCampaign(why)
        if not 0 < goal.minor_units <= MAX_GOAL_MINOR_UNITS:
            raise InvalidCampaign("the goal must be positive")
        if ends_at is not None and ends_at <= starts_at:
            raise InvalidCampaign("ends_at must come after starts_at")
        if ends_at is not None and ends_at <= now:
            raise InvalidCampaign("ends_at is already past")
        ids = [f.fund_id for f in funds] + [a.appeal_id for a in appeals]
        if len(set(f.fund_id for f in funds)) != len(funds) or len(set(a.appeal_id for a in appeals)) != len(appeals):
            raise InvalidCampaign(f"fund and appeal ids must be unique: {ids}")
        campaign = cls(id=new_id(), tenant=tenant, name_fr=name_fr, name_en=name_en, description_fr=description_fr,
                       description_en=description_en, goal=goal, starts_at=starts_at, ends_at=ends_at,
                       legal_entity=legal_entity, funds=funds, appeals=appeals, giving_day=giving_day,
                       launched_at=now)
        campaign.record(CampaignLaunched(campaign))
        return campaign

    @property
    def entity_id(self) -> str:
        assert self.legal_entity is not None
        return self.legal_entity.entity_id

    def is_open(self, at: datetime) -> bool:
        return (self.status is CampaignStatus.ACTIVE and self.starts_at is not None and self.starts_at <= at
                and (self.ends_at is None or at <= self.ends_at))

    def check_gift(self, amount: Money, fund_id: str | None, appeal_id: str | None, at: datetime) -> None:
        """A gift may go here: open at that moment, same currency, a fund and appeal of its own."""
        if self.status is CampaignStatus.CLOSED:
            raise CampaignNotOpen(f"campaign {self.id} is closed")
        if not self.is_open(at):
            raise CampaignNotOpen(f"campaign {self.id} takes gifts from {self.starts_at} to {self.ends_at}")
        if amount.currency != self.goal.currency:
            raise CurrencyMismatch(f"campaign {self.id} raises {self.goal.currency}, not {amount.currency}")
        if fund_id is not None and fund_id not in {f.fund_id for f in self.funds}:
            raise UnknownFund(f"campaign {self.id} has no fund {fund_id!r}")
        if appeal_id is not None and appeal_id not in {a.appeal_id for a in self.appeals}:
            raise UnknownFund(f"campaign {self.id} has no appeal {appeal_id!r}")

    def add_gift(self, amount: Money, new_donor: bool, now: datetime) -> None:
        """Progress moves; the goal is reported reached once, when first crossed."""
        self.raised_minor += amount.minor_units
        self.gifts += 1
        self.donors += 1 if new_donor else 0
        self.version += 1
        if self.goal_reached_at is None and self.raised_minor >= self.goal.minor_units:
            self.goal_reached_at = now
            self.record(CampaignGoalReached(self.id, self.entity_id, self.goal,
                                            Money(self.raised_minor, self.goal.currency), self.donors, now))

    def remove(self, amount_minor: int) -> None:
        """A refund takes the money back out of the progress (a reached goal stays reported)."""
        self.raised_minor = max(0, self.raised_minor - amount_minor)
        self.version += 1

    def close(self, now: datetime) -> None:
        if self.status is CampaignStatus.CLOSED:
            raise CampaignNotOpen(f"campaign {self.id} is already closed")
        self.status = CampaignStatus.CLOSED
        self.closed_at = now
        self.record(CampaignClosed(self.id, self.entity_id, self.goal, Money(self.raised_minor, self.goal.currency),
                                   self.donors, now))

