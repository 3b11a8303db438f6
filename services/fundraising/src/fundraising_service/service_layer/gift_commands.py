"""Commands and queries of campaigns, gifts, recurring gifts, pledges and giving figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fundraising_service.domain.campaigns import Appeal, Fund, LegalEntity
from fundraising_service.domain.gifts import Donor, Frequency, Nature, ReceiptChoice
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import Method


@dataclass(frozen=True)
class LaunchCampaign:
    tenant: str
    name_fr: str
    name_en: str
    description_fr: str
    description_en: str
    goal: Money
    starts_at: datetime | None
    ends_at: datetime | None
    legal_entity: LegalEntity
    funds: tuple[Fund, ...]
    appeals: tuple[Appeal, ...]
    giving_day: bool


@dataclass(frozen=True)
class CloseCampaign:
    tenant: str
    campaign_id: str


@dataclass(frozen=True)
class GetCampaign:
    tenant: str
    campaign_id: str


@dataclass(frozen=True)
class PublicCampaign:
    tenant: str
    campaign_id: str


@dataclass(frozen=True)
class ListCampaigns:
    tenant: str
    status: str | None
    limit: int


@dataclass(frozen=True)
class GiftDetails:
    """What a donor says about a gift, whoever records it."""

    campaign_id: str
    amount: Money
    fund_id: str | None
    appeal_id: str | None
    anonymous: bool
    name_publicly: bool
    donor: Donor
    company: bool
    receipt: ReceiptChoice
    locale: str
    pledge_id: str | None = None


@dataclass(frozen=True)
class RecordGift:
    tenant: str
    member_id: str
    details: GiftDetails
    method: Method
    reference: str | None
    received_on: date
    nature: Nature
    matches_gift_id: str | None


@dataclass(frozen=True)
class GiveOnline:
    tenant: str
    member_id: str
    details: GiftDetails
    return_url: str | None


@dataclass(frozen=True)
class RefundGift:
    tenant: str
    gift_id: str
    amount_minor: int
    reason: str


@dataclass(frozen=True)
class ListGifts:
    tenant: str
    campaign_id: str | None
    member_id: str | None
    after: str | None
    limit: int


@dataclass(frozen=True)
class StartRecurringGift:
    tenant: str
    member_id: str
    campaign_id: str | None
    fund_id: str | None
    amount: Money
    frequency: Frequency
    first_charge_on: date | None
    anonymous: bool
    receipt: ReceiptChoice
    donor: Donor
    company: bool


@dataclass(frozen=True)
class RecordRecurringCharge:
    tenant: str
    recurring_gift_id: str
    succeeded: bool
    charged_on: date
    method: Method
    reason: str | None


@dataclass(frozen=True)
class ChangeRecurringGift:
    tenant: str
    recurring_gift_id: str
    action: str
    reason: str | None
    member_id: str | None  # an alumnus changes only their own


@dataclass(frozen=True)
class ListRecurringGifts:
    tenant: str
    member_id: str | None
    status: str | None
    limit: int


@dataclass(frozen=True)
class MakePledge:
    tenant: str
    member_id: str
    campaign_id: str | None
    fund_id: str | None
    total: Money
    due_dates: tuple[date, ...]
    anonymous: bool


@dataclass(frozen=True)
class ListPledges:
    tenant: str
    member_id: str | None
    limit: int


@dataclass(frozen=True)
class MyDonations:
    tenant: str
    member_id: str


@dataclass(frozen=True)
class CampaignLeaderboard:
    tenant: str
    campaign_id: str


@dataclass(frozen=True)
class GivingReport:
    tenant: str
    year: int


@dataclass(frozen=True)
class RebuildProgress:
    tenant: str
    campaign_id: str


@dataclass(frozen=True)
class StartRecurringGiftOnline:
    """A recurring gift collected automatically: the donor pays the first period through the
    hosted checkout, which saves the card for the next ones."""

    tenant: str
    member_id: str
    campaign_id: str | None
    fund_id: str | None
    amount: Money
    frequency: Frequency
    anonymous: bool
    receipt: ReceiptChoice
    donor: Donor
    return_url: str | None


@dataclass(frozen=True)
class UpdateRecurringPaymentMethod:
    """A failed recurring gift's donor pays the overdue period with a new card, saved for the next ones."""

    tenant: str
    recurring_gift_id: str
    member_id: str | None  # an alumnus updates only their own
    return_url: str | None


@dataclass(frozen=True)
class ChargeDueRecurringGifts:
    """Charge every automatically collected gift due on or before `as_of` (default: today).
    `tenant` None: every tenant (the scheduler)."""

    tenant: str | None
    as_of: date | None = None
    limit: int = 500
