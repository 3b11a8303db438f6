"""Requests and replies of fundraising's campaigns, gifts, recurring gifts, pledges and
class-giving figures (gateway ↔ fundraising over NATS request/reply)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, Field, HttpUrl, StringConstraints, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import CurrencyCode, Identifier, Locale, Timestamp
from alumni_contracts.fundraising.v1 import DonorKind, GiftFrequency, GiftNature, ReceiptChoice
from alumni_contracts.text import Name, PersonText, ShortText

LAUNCH_CAMPAIGN = "launch_campaign"
CLOSE_CAMPAIGN = "close_campaign"
GET_CAMPAIGN = "get_campaign"
LIST_CAMPAIGNS = "list_campaigns"
PUBLIC_CAMPAIGN = "public_campaign"
RECORD_GIFT = "record_gift"
GIVE_ONLINE = "give_online"
REFUND_GIFT = "refund_gift"
LIST_GIFTS = "list_gifts"
START_RECURRING_GIFT = "start_recurring_gift"
RECORD_RECURRING_CHARGE = "record_recurring_charge"
CHANGE_RECURRING_GIFT = "change_recurring_gift"
LIST_RECURRING_GIFTS = "list_recurring_gifts"
MAKE_PLEDGE = "make_pledge"
LIST_PLEDGES = "list_pledges"
CAMPAIGN_LEADERBOARD = "campaign_leaderboard"
GIVING_REPORT = "giving_report"
MY_DONATIONS = "my_donations"
REBUILD_PROGRESS = "rebuild_campaign_progress"
START_RECURRING_GIFT_ONLINE = "start_recurring_gift_online"
UPDATE_RECURRING_PAYMENT_METHOD = "update_recurring_payment_method"
CHARGE_DUE_RECURRING_GIFTS = "charge_due_recurring_gifts"

MAX_GIFT_MINOR_UNITS = 100_000_000
MAX_GOAL_MINOR_UNITS = 100_000_000_000

GiftAmount = Annotated[int, Field(gt=0, le=MAX_GIFT_MINOR_UNITS, examples=[5000],
                                  description="Amount in integer minor units (cents).")]
LongText = Annotated[str, PersonText(max_length=2000, min_length=0, multiline=True)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class ManualGiftMethod(StrEnum):
    CHEQUE = "cheque"
    TRANSFER = "transfer"
    CASH = "cash"


class AddressIn(Request):
    line1: Annotated[str, PersonText(max_length=200)] = Field(examples=["3 avenue Bernard Hirsch"])
    line2: Annotated[str, PersonText(max_length=200)] | None = Field(None, examples=["Bâtiment A"])
    postal_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 -]{2,12}$")] = Field(examples=["95000"])
    city: Annotated[str, PersonText(max_length=120)] = Field(examples=["Cergy"])
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field("FR", examples=["FR"])


class LegalEntityIn(Request):
    entity_id: Slug = Field(description="Stable id: receipts are numbered per entity and year.",
                            examples=["fondation-ecole"])
    name: Annotated[str, PersonText(max_length=200)] = Field(examples=["Fondation de l'École"])
    address: AddressIn
    purpose: Annotated[str, PersonText(max_length=500)] = Field(
        description="The entity's object, as receipts state it.", examples=["Soutien à l'enseignement supérieur"])
    may_issue_receipts: bool = Field(description="Gifts to it give rise to tax receipts.")
    status: Annotated[str, PersonText(max_length=200)] | None = Field(
        None, description="Status under which it issues receipts.", examples=["fondation reconnue d'utilité publique"])

    @model_validator(mode="after")
    def _status_with_receipts(self) -> Self:
        if self.may_issue_receipts and not self.status:
            raise ValueError("an entity that issues receipts states its status")
        return self


class FundIn(Request):
    fund_id: Slug
    name_fr: ShortText = Field(examples=["Bourses"])
    name_en: ShortText = Field(examples=["Scholarships"])


class AppealIn(Request):
    appeal_id: Slug
    name_fr: ShortText = Field(examples=["Relance de printemps"])
    name_en: ShortText = Field(examples=["Spring appeal"])


class LaunchCampaign(Request):
    """Managers launch a campaign: it takes gifts from `starts_at` until `ends_at` or its closing."""

    name_fr: ShortText = Field(examples=["Bourses 2026"])
    name_en: ShortText = Field(examples=["Scholarships 2026"])
    description_fr: LongText = ""
    description_en: LongText = ""
    goal_minor: Annotated[int, Field(gt=0, le=MAX_GOAL_MINOR_UNITS, examples=[5_000_000])]
    currency: CurrencyCode = Field(examples=["EUR"])
    starts_at: Timestamp | None = Field(None, description="Default: now.")
    ends_at: Timestamp | None = None
    legal_entity: LegalEntityIn
    funds: list[FundIn] = Field(default_factory=list, max_length=20)
    appeals: list[AppealIn] = Field(default_factory=list, max_length=20)
    giving_day: bool = False


class CampaignRef(Request):
    campaign_id: Identifier


class ListCampaigns(Request):
    status: CampaignStatus | None = None
    limit: int = Field(50, ge=1, le=200)


class AddressView(Result):
    line1: str
    line2: str | None = None
    postal_code: str
    city: str
    country: str


class LegalEntityView(Result):
    entity_id: str
    name: str
    address: AddressView
    purpose: str
    may_issue_receipts: bool
    status: str | None = None


class FundView(Result):
    fund_id: str
    name_fr: str
    name_en: str


class CampaignView(Result):
    campaign_id: Identifier
    name_fr: str
    name_en: str
    description_fr: str
    description_en: str
    goal_minor: int
    currency: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None
    legal_entity: LegalEntityView
    funds: list[FundView]
    appeals: list[FundView] = Field(description="Appeals (`fund_id` is the appeal id).")
    giving_day: bool
    status: CampaignStatus
    raised_minor: int = Field(description="Net of refunds.")
    gifts: int
    donors: int
    progress_percent: float = Field(description="raised ÷ goal × 100, one decimal.")
    goal_reached_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None


class ProgressRebuilt(Result):
    campaign_id: Identifier
    raised_minor: int
    gifts: int
    donors: int


class CampaignList(Result):
    items: list[CampaignView]


class PublicDonor(Result):
    name: str = Field(description="As the donor agreed to be named.")


class PublicCampaignView(Result):
    """What anyone may see: progress, and only the donors who agreed to be named (never
    anonymous ones, never amounts per donor)."""

    campaign_id: Identifier
    name_fr: str
    name_en: str
    description_fr: str
    description_en: str
    goal_minor: int
    currency: str
    raised_minor: int
    donors: int
    progress_percent: float
    status: CampaignStatus
    ends_at: AwareDatetime | None = None
    entity_name: str
    named_donors: list[PublicDonor]


class DonorIn(Request):
    """Identity and address for the receipt; omitted names default to the member's own."""

    kind: DonorKind = DonorKind.INDIVIDUAL
    first_name: Name | None = None
    last_name: Name | None = None
    company_name: Annotated[str, PersonText(max_length=200)] | None = None
    company_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")] | None = Field(None, description="SIREN.",
                                                                            examples=["552100554"])
    address: AddressIn | None = None

    @model_validator(mode="after")
    def _company(self) -> Self:
        if self.kind is DonorKind.COMPANY and not self.company_name:
            raise ValueError("a company gift names the company (company_name)")
        if self.kind is DonorKind.INDIVIDUAL and (self.company_name or self.company_id):
            raise ValueError("company_name/company_id are for company gifts (kind=company)")
        return self


class _GiftCommon(Request):
    campaign_id: Identifier
    amount_minor: GiftAmount
    currency: CurrencyCode = Field(examples=["EUR"])
    fund_id: Slug | None = None
    appeal_id: Slug | None = None
    anonymous: bool = Field(False, description="Hidden from every public list; still receipted.")
    name_publicly: bool = Field(False, description="The donor agrees to be named on the public campaign page.")
    donor: DonorIn = Field(default_factory=DonorIn)
    receipt: ReceiptChoice = ReceiptChoice.PER_GIFT
    locale: Locale = Locale.FR


class RecordGift(_GiftCommon):
    """Managers record a gift received outside the platform (cheque, transfer, cash) or in kind."""

    member_id: Identifier
    method: ManualGiftMethod
    reference: ShortText | None = Field(None, examples=["CHQ 0012345"])
    received_on: date = Field(examples=["2026-03-02"])
    nature: GiftNature = GiftNature.CASH
    pledge_id: Identifier | None = Field(None, description="The pledge this pays an instalment of.")
    matches_gift_id: Identifier | None = Field(None, description="A company's matching gift: the employee's gift.")


class GiveOnline(_GiftCommon):
    """Open a hosted checkout for a gift (alumni for themselves, staff for a named member);
    the gift exists once the provider's signed webhook says it was paid."""

    member_id: Identifier | None = None
    return_url: HttpUrl | None = None
    pledge_id: Identifier | None = None


class GiftCheckout(Result):
    gift_id: Identifier = Field(description="The gift's id once paid.")
    checkout_id: Identifier
    provider: str
    url: str
    expires_at: AwareDatetime


class RefundGiftIn(Request):
    amount_minor: GiftAmount = Field(description="At most what is left of the gift.")
    reason: ShortText = Field(examples=["duplicate gift"])


class RefundGift(RefundGiftIn):
    gift_id: Identifier


class ListGifts(Request):
    campaign_id: Identifier | None = None
    member_id: Identifier | None = None
    limit: int = Field(50, ge=1, le=200)
    after: Identifier | None = None


class GiftView(Result):
    gift_id: Identifier
    member_id: str
    campaign_id: str | None = None
    fund_id: str | None = None
    appeal_id: str | None = None
    amount_minor: int
    refunded_minor: int
    currency: str
    nature: str
    method: str
    provider: str
    reference: str | None = None
    paid_on: date
    received_at: AwareDatetime
    anonymous: bool
    company: bool
    donor_name: str | None = None
    status: str = Field(description="`received`, `partially_refunded` or `refunded`.")
    receipt: str
    recurring_gift_id: str | None = None
    pledge_id: str | None = None
    instalment: int | None = None
    matches_gift_id: str | None = None


class GiftPage(Result):
    items: list[GiftView]
    next_cursor: Identifier | None = None


class StartRecurringGift(Request):
    campaign_id: Identifier | None = None
    member_id: Identifier | None = Field(None, description="Alumni: themselves.")
    fund_id: Slug | None = None
    amount_minor: GiftAmount
    currency: CurrencyCode = Field(examples=["EUR"])
    frequency: GiftFrequency
    first_charge_on: date | None = Field(None, description="Default: today.")
    anonymous: bool = False
    receipt: ReceiptChoice = ReceiptChoice.YEARLY_SUMMARY
    donor: DonorIn = Field(default_factory=DonorIn)


class StartRecurringGiftOnline(Request):
    """A recurring gift collected automatically: the first period is paid through the hosted
    checkout, which saves the card; the next periods are charged on their day."""

    campaign_id: Identifier | None = None
    member_id: Identifier | None = Field(None, description="Alumni: themselves.")
    fund_id: Slug | None = None
    amount_minor: GiftAmount
    currency: CurrencyCode = Field(examples=["EUR"])
    frequency: GiftFrequency
    anonymous: bool = False
    receipt: ReceiptChoice = ReceiptChoice.YEARLY_SUMMARY
    donor: DonorIn = Field(default_factory=DonorIn)
    return_url: HttpUrl | None = None


class RecurringCheckout(Result):
    recurring_gift_id: Identifier = Field(description="The recurring gift's id (once paid, for a new one).")
    checkout_id: Identifier
    provider: str
    url: str
    expires_at: AwareDatetime


class PaymentMethodIn(Request):
    return_url: HttpUrl | None = None


class UpdateRecurringPaymentMethod(PaymentMethodIn):
    recurring_gift_id: Identifier


class ChargeDueIn(Request):
    as_of: date | None = Field(None, description="Charge what is due on this day (default: today). A day in the "
                                                 "future only where the test clock is on (development, tests).")


class ChargeRunView(Result):
    as_of: date
    due: int = Field(description="Gifts found due.")
    charged: int
    failed: int = Field(description="Declined: `failed`, retried on the dunning schedule, the donor reminded.")
    skipped: int = Field(description="Not charged now (claimed by another scheduler, provider unreachable…).")


class RecurringChargeOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RecurringChargeIn(Request):
    """The outcome of one charge (the provider's or the bank's report): a success is a gift,
    a failure puts the recurring gift in `failed` and reminds the donor."""

    outcome: RecurringChargeOutcome
    charged_on: date
    method: Annotated[str, StringConstraints(pattern=r"^(card|sepa_debit|transfer)$")] = "sepa_debit"
    reason: ShortText | None = None


class RecordRecurringCharge(RecurringChargeIn):
    recurring_gift_id: Identifier


class RecurringAction(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"


class RecurringChangeIn(Request):
    reason: ShortText | None = None


class ChangeRecurringGift(RecurringChangeIn):
    recurring_gift_id: Identifier
    action: RecurringAction


class ListRecurringGifts(Request):
    member_id: Identifier | None = None
    status: Annotated[str, StringConstraints(pattern=r"^(active|paused|failed|cancelled)$")] | None = None
    limit: int = Field(100, ge=1, le=500)


class RecurringGiftView(Result):
    recurring_gift_id: Identifier
    member_id: str
    campaign_id: str | None = None
    amount_minor: int
    currency: str
    frequency: GiftFrequency
    status: str = Field(description="`active`, `paused`, `failed` (a charge failed: the donor is reminded) or "
                                    "`cancelled`.")
    next_charge_on: date | None = None
    charges: int
    failures: int
    last_failure: str | None = None
    started_at: AwareDatetime
    collection: str = Field("manual", description="`manual` (the office records charges), `scheduled` (charged "
                                                  "automatically on `next_charge_on`), `retrying` (a charge failed: "
                                                  "tried again on `next_attempt_on`) or `stopped` (every retry "
                                                  "failed: update the payment method).")
    next_attempt_on: date | None = None
    provider: str | None = None


class RecurringGiftList(Result):
    items: list[RecurringGiftView]


class MakePledge(Request):
    campaign_id: Identifier | None = None
    member_id: Identifier | None = Field(None, description="Alumni: themselves.")
    fund_id: Slug | None = None
    total_minor: GiftAmount
    currency: CurrencyCode = Field(examples=["EUR"])
    due_dates: list[date] = Field(min_length=1, max_length=60, description="Instalment due dates, in order.")
    anonymous: bool = False


class InstalmentView(Result):
    number: int
    due_on: date
    amount_minor: int
    paid_minor: int


class PledgeView(Result):
    pledge_id: Identifier
    member_id: str
    campaign_id: str | None = None
    total_minor: int
    paid_minor: int
    currency: str
    status: str = Field(description="`open`, `fulfilled` or `cancelled`.")
    instalments: list[InstalmentView]
    made_at: AwareDatetime


class ListPledges(Request):
    member_id: Identifier | None = None
    limit: int = Field(100, ge=1, le=500)


class PledgeList(Result):
    items: list[PledgeView]


class MyDonationsQuery(Request):
    """Your own gifts (no parameters: the principal says whose)."""


class MyDonations(Result):
    gifts: list[GiftView]
    recurring: list[RecurringGiftView]
    pledges: list[PledgeView]


class LeaderboardRow(Result):
    program: str
    graduation_year: int
    alumni: int = Field(description="Alumni of record in the cohort (fundraising's own projection).")
    donors: int
    participation_percent: float = Field(description="donors ÷ alumni × 100, one decimal.")
    raised_minor: int


class Leaderboard(Result):
    campaign_id: Identifier
    currency: str
    giving_day: bool
    by_participation: list[LeaderboardRow]
    by_raised: list[LeaderboardRow]
    by_donors: list[LeaderboardRow]
    by_program: list[LeaderboardRow] = Field(description="Per program (graduation_year 0).")
    computed_at: AwareDatetime


class GivingReportQuery(Request):
    year: int = Field(ge=2000, le=2100, description="The year looked at (LYBUNT/SYBUNT relative to it).")


class DonorRow(Result):
    member_id: str
    name: str
    last_gift_year: int
    total_minor: int


class GivingReport(Result):
    year: int
    donors_this_year: int
    donors_last_year: int
    retained: int = Field(description="Gave last year and this year.")
    retention_percent: float
    lybunt: list[DonorRow] = Field(description="Gave Last Year But Unfortunately Not This year.")
    sybunt: list[DonorRow] = Field(description="Gave Some Year (before last) But Unfortunately Not This year.")
    recurring_active: int
    recurring_failed: int
    recurring_cancelled_this_year: int
    recurring_churn_percent: float = Field(description="Cancelled this year ÷ (active + failed + paused + "
                                                       "cancelled this year) × 100.")
