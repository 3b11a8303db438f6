"""Events published by the fundraising service, major version 1."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from alumni_contracts.common import CurrencyCode, Identifier, Locale, Money
from alumni_contracts.envelope import EventData
from alumni_contracts.privacy import MemberDataErasedBase


class PaymentMethod(StrEnum):
    """How a payment was made: online (`card`, `sepa_debit` — *prélèvement*) or recorded by a
    manager (`cheque`, `transfer`, `cash`)."""

    CARD = "card"
    SEPA_DEBIT = "sepa_debit"
    CHEQUE = "cheque"
    TRANSFER = "transfer"
    CASH = "cash"


class PaymentProviderName(StrEnum):
    """Who collected the money: Stripe Checkout, the local development provider, or a manager."""

    STRIPE = "stripe"
    LOCAL = "local"
    MANUAL = "manual"


class GiftNature(StrEnum):
    """Nature of a gift as the tax-receipt forms (Cerfa 11580 / 16216) ask it."""

    CASH = "cash"  # numéraire: money, whatever the payment method
    IN_KIND = "in_kind"  # en nature
    EXPENSE_WAIVER = "expense_waiver"  # abandon de frais (a volunteer waives reimbursement)


class DonorKind(StrEnum):
    INDIVIDUAL = "individual"
    COMPANY = "company"  # mécénat d'entreprise: CGI article 238 bis, Cerfa 16216


class ReceiptChoice(StrEnum):
    """What receipt the donor asked for."""

    PER_GIFT = "per_gift"
    YEARLY_SUMMARY = "yearly_summary"  # one receipt per calendar year (recurring donors)
    NONE = "none"


class PostalAddress(BaseModel):
    """A postal address as a receipt prints it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    line1: str = Field(description="Street and number.", examples=["3 avenue Bernard Hirsch"], max_length=200)
    line2: str | None = Field(None, description="Building, floor, PO box…", examples=["Bâtiment A"], max_length=200)
    postal_code: str = Field(description="Postal code.", examples=["95000"], max_length=20)
    city: str = Field(description="City.", examples=["Cergy"], max_length=120)
    country: str = Field("FR", description="ISO 3166-1 alpha-2 country code.", examples=["FR"],
                         pattern=r"^[A-Z]{2}$")


class DonorIdentity(BaseModel):
    """Who gave, as the receipt must name them: a person, or a company (*mécénat*)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: DonorKind = Field(description="An individual or a company.", examples=["individual"])
    first_name: str | None = Field(None, description="Individual's first name.", examples=["Camille"], max_length=100)
    last_name: str | None = Field(None, description="Individual's last name.", examples=["Durand"], max_length=100)
    company_name: str | None = Field(None, description="Company's legal name (company gifts).",
                                     examples=["Durand Conseil SAS"], max_length=200)
    company_id: str | None = Field(None, description="Company registration number (SIREN) for company gifts.",
                                   examples=["552100554"], max_length=20)
    address: PostalAddress | None = Field(None, description="Postal address for the receipt; null when unknown "
                                                            "(no receipt can be issued until it is given).")
    email: str | None = Field(None, description="Where to send the receipt, if known.",
                              examples=["camille.durand@example.org"], max_length=254)


class LegalEntitySnapshot(BaseModel):
    """The receiving legal entity (school, foundation, association) as it was when the gift was
    received: what a receipt prints, frozen with the gift (receipts are immutable)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    entity_id: Identifier = Field(description="Stable id of the entity: receipts are numbered per entity and year.",
                                  examples=["fondation-ecole"])
    name: str = Field(description="Legal name.", examples=["Fondation de l'École"], max_length=200)
    address: PostalAddress = Field(description="Registered address.")
    purpose: str = Field(description="The entity's object (*objet*), as the receipt states it.",
                         examples=["Soutien à l'enseignement supérieur et à la recherche"], max_length=500)
    may_issue_receipts: bool = Field(description="Whether gifts to it give rise to tax receipts.", examples=[True])
    status: str | None = Field(None, description="Under which status it may issue receipts (e.g. *fondation reconnue "
                                                 "d'utilité publique*, *association d'intérêt général*).",
                               examples=["fondation reconnue d'utilité publique"], max_length=200)


class DonationReceived(EventData):
    """A donation (*don*) was received for a member: recorded by a manager (cheque, transfer,
    cash), paid online through the payment port (after the provider's signed webhook), an
    instalment of a pledge or a charge of a recurring gift.

    The fields after `received_at` were added within v1 (optional, so compatible): absent from
    events published before. They carry what a tax receipt needs (donor identity and address,
    receiving entity, nature, method and date of payment)."""

    service = "fundraising"
    event_name = "donation_received"
    version = 1

    donation_id: Identifier = Field(description="Donation id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b13"])
    member_id: Identifier = Field(description="Donor's member id (for a company gift: the alumnus who arranged it).",
                                  examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    amount: Money = Field(description="Amount given.")
    campaign_id: Identifier | None = Field(None, description="Campaign the gift goes to, if any.", examples=["bourses-2026"])
    received_at: AwareDatetime = Field(description="When the donation was recorded (UTC).")
    # -- added within v1 (optional) -------------------------------------------------------
    fund_id: Identifier | None = Field(None, description="Designated fund of the campaign (scholarships, "
                                                         "building, general…).", examples=["bourses"])
    appeal_id: Identifier | None = Field(None, description="The appeal (solicitation) the gift answers.",
                                         examples=["relance-printemps"])
    payment_id: Identifier | None = Field(None, description="The payment port's payment, if paid through it.",
                                          examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b20"])
    paid_on: date | None = Field(None, description="Day the money was received (the receipt's date of payment).",
                                 examples=["2026-03-02"])
    method: PaymentMethod | None = Field(None, description="How it was paid.", examples=["cheque"])
    provider: PaymentProviderName | None = Field(None, description="Who collected the money.", examples=["manual"])
    reference: str | None = Field(None, description="Cheque number or transfer reference.", examples=["CHQ 0012345"],
                                  max_length=120)
    nature: GiftNature | None = Field(None, description="Nature of the gift; null on older events (= cash).",
                                      examples=["cash"])
    anonymous: bool = Field(False, description="Hidden from every public list; still receipted.", examples=[False])
    company: bool = Field(False, description="A company gift (*mécénat*): CGI 238 bis, Cerfa 16216.",
                          examples=[False])
    donor: DonorIdentity | None = Field(None, description="Donor identity and address as the receipt needs them.")
    legal_entity: LegalEntitySnapshot | None = Field(None, description="The receiving legal entity, as it was then.")
    receipt: ReceiptChoice | None = Field(None, description="Receipt the donor asked for; null on older events "
                                                            "(= per_gift when the entity may issue receipts).",
                                          examples=["per_gift"])
    locale: Locale | None = Field(None, description="Donor's language for the courtesy version.", examples=["fr"])
    recurring_gift_id: Identifier | None = Field(None, description="The recurring gift this charge belongs to.")
    pledge_id: Identifier | None = Field(None, description="The pledge this instalment fulfils.")
    instalment: int | None = Field(None, ge=1, description="Pledge instalment number (1-based).", examples=[1])
    matches_donation_id: Identifier | None = Field(
        None, description="A matching gift: the employee's donation the company matches.")


class DonationRefunded(EventData):
    """A donation was refunded, wholly or in part (a receipt for it must be voided/reissued)."""

    service = "fundraising"
    event_name = "donation_refunded"
    version = 1

    donation_id: Identifier = Field(description="The refunded donation.",
                                    examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b13"])
    member_id: Identifier = Field(description="Donor's member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    campaign_id: Identifier | None = Field(None, description="Campaign of the gift.", examples=["bourses-2026"])
    amount: Money = Field(description="Amount refunded now.")
    refunded_total_minor: int = Field(ge=0, description="Everything refunded on this donation so far.",
                                      examples=[5000])
    refunded_at: AwareDatetime = Field(description="When (UTC).")
    reason: str = Field(description="Why, for people.", examples=["duplicate gift"], max_length=200)
    legal_entity_id: Identifier | None = Field(None, description="Receiving entity (receipts are numbered per entity).")


# -- campaigns --------------------------------------------------------------------------

class _CampaignEvent(EventData):
    service = "fundraising"
    version = 1

    campaign_id: Identifier = Field(description="Campaign id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b40"])
    legal_entity_id: Identifier = Field(description="Receiving legal entity.", examples=["fondation-ecole"])
    goal: Money = Field(description="Goal amount.")


class CampaignLaunched(_CampaignEvent):
    """A campaign opened to gifts."""

    event_name = "campaign_launched"

    name_fr: str = Field(description="Name in French.", examples=["Bourses 2026"], max_length=200)
    name_en: str = Field(description="Name in English.", examples=["Scholarships 2026"], max_length=200)
    starts_at: AwareDatetime = Field(description="First day of gifts (UTC).")
    ends_at: AwareDatetime | None = Field(None, description="Last moment of gifts (UTC); null: open-ended.")
    legal_entity: LegalEntitySnapshot = Field(description="The receiving legal entity.")
    giving_day: bool = Field(False, description="A giving day (*journée du don*): leaderboards run live.")


class CampaignGoalReached(_CampaignEvent):
    """The amount raised crossed the goal (once per campaign)."""

    event_name = "campaign_goal_reached"

    raised: Money = Field(description="Amount raised when the goal was crossed.")
    donors: int = Field(ge=0, description="Distinct donors then.", examples=[120])
    reached_at: AwareDatetime = Field(description="When (UTC).")


class CampaignClosed(_CampaignEvent):
    """The campaign stopped taking gifts."""

    event_name = "campaign_closed"

    raised_minor: int = Field(ge=0, description="Final amount raised (net of refunds), in minor units of the "
                                                "goal's currency (may be zero).", examples=[4_200_000])
    donors: int = Field(ge=0, description="Distinct donors.", examples=[340])
    closed_at: AwareDatetime = Field(description="When (UTC).")


# -- recurring gifts and pledges ----------------------------------------------------------

class GiftFrequency(StrEnum):
    MONTHLY = "monthly"
    YEARLY = "yearly"


class _RecurringGiftEvent(EventData):
    service = "fundraising"
    version = 1

    recurring_gift_id: Identifier = Field(description="Recurring gift id.",
                                          examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b50"])
    member_id: Identifier = Field(description="Donor.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    campaign_id: Identifier | None = Field(None, description="Campaign it supports, if any.")
    amount: Money = Field(description="Amount of each charge.")
    frequency: GiftFrequency = Field(description="Monthly or yearly.", examples=["monthly"])


class RecurringGiftStarted(_RecurringGiftEvent):
    """A donor set up a recurring gift."""

    event_name = "recurring_gift_started"

    started_at: AwareDatetime = Field(description="When (UTC).")
    receipt: ReceiptChoice = Field(ReceiptChoice.YEARLY_SUMMARY, description="Receipt the donor asked for.")


class RecurringGiftFailed(_RecurringGiftEvent):
    """A charge failed: the gift is `failed` until a charge succeeds or the donor cancels; the
    donor is reminded (never a silent stop)."""

    event_name = "recurring_gift_failed"

    failed_at: AwareDatetime = Field(description="When (UTC).")
    reason: str = Field(description="The provider's reason, for people.", examples=["card_declined"],
                        max_length=200)
    failures: int = Field(ge=1, description="Consecutive failed charges.", examples=[1])
    automatic: bool = Field(False, description="Collected automatically through the donor's saved payment method "
                                               "(else charges are recorded by the office).")
    period: date | None = Field(None, description="Automatic collection: the due date of the period whose "
                                                  "charge failed.", examples=["2026-02-28"])
    attempt: int | None = Field(None, ge=1, description="Automatic collection: the attempt on that period "
                                                       "(1, then the retries).", examples=[1])
    next_attempt_on: date | None = Field(None, description="Automatic collection: the day of the next retry; "
                                                           "null when none is left.", examples=["2026-03-03"])
    final: bool = Field(False, description="No retry is left: collection stopped until the donor updates the "
                                           "payment method (never a silent stop).")


class RecurringGiftCancelled(_RecurringGiftEvent):
    """The recurring gift stopped (by the donor or a manager)."""

    event_name = "recurring_gift_cancelled"

    cancelled_at: AwareDatetime = Field(description="When (UTC).")
    reason: str | None = Field(None, description="Why, for people.", max_length=200)


class PledgeMade(EventData):
    """A donor promised an amount, paid in instalments on a schedule."""

    service = "fundraising"
    event_name = "pledge_made"
    version = 1

    pledge_id: Identifier = Field(description="Pledge id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b60"])
    member_id: Identifier = Field(description="Donor.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    campaign_id: Identifier | None = Field(None, description="Campaign it supports, if any.")
    total: Money = Field(description="Amount promised.")
    instalments: list[date] = Field(description="Due dates of the instalments.", min_length=1)
    made_at: AwareDatetime = Field(description="When (UTC).")


class PledgeFulfilled(EventData):
    """Every instalment of a pledge was paid."""

    service = "fundraising"
    event_name = "pledge_fulfilled"
    version = 1

    pledge_id: Identifier = Field(description="Pledge id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b60"])
    member_id: Identifier = Field(description="Donor.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    campaign_id: Identifier | None = Field(None, description="Campaign it supports, if any.")
    total: Money = Field(description="Amount paid in all.")
    fulfilled_at: AwareDatetime = Field(description="When (UTC).")


class MemberDataErased(MemberDataErasedBase):
    """The fundraising service erased its copies of a member's data; donations are kept under
    a pseudonym (accounting records must be kept)."""

    service = "fundraising"
    event_name = "member_data_erased"
    version = 1


# -- payments (the payment port, shared by dues and gifts) --------------------------------

MinorUnits = Annotated[int, Field(gt=0, description="Amount in integer minor units (cents).", examples=[5000])]
Instalment = Annotated[int | None, Field(ge=1, description="1-based instalment number; null for a single payment.",
                                         examples=[1])]
Instalments = Annotated[int | None, Field(ge=1, description="Total number of instalments; null for a single "
                                                           "payment.", examples=[3])]


class _DuesPaymentAttempt(EventData):
    """What a dues payment and a failed attempt have in common (fields first, in this order)."""

    payment_id: Identifier = Field(description="Payment id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b20"])
    membership_id: Identifier = Field(description="Membership the dues are for.",
                                      examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b21"])
    member_id: Identifier = Field(description="Paying member.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    plan_id: Identifier = Field(description="Membership plan.", examples=["standard"])
    amount_minor: MinorUnits
    currency: CurrencyCode = Field(description="ISO 4217 currency code.", examples=["EUR"])


class DuesPaid(_DuesPaymentAttempt):
    """Dues (*cotisation*) were paid: online through the payment provider (after its signed
    webhook) or recorded by a manager. An input to the membership rules, never a state flip."""

    service = "fundraising"
    event_name = "dues_paid"
    version = 1

    paid_at: AwareDatetime = Field(description="When the money was received (UTC).")
    method: PaymentMethod = Field(description="Payment method.")
    provider: PaymentProviderName = Field(description="Who collected the money.")
    instalment: Instalment = None
    instalments: Instalments = None
    reference: str | None = Field(None, description="The manager's cheque or transfer reference, if any.",
                                  examples=["CHQ 0012345"])


class DuesPaymentFailed(_DuesPaymentAttempt):
    """An online dues payment failed (declined card, refused direct debit, abandoned renewal)."""

    service = "fundraising"
    event_name = "dues_payment_failed"
    version = 1

    failed_at: AwareDatetime = Field(description="When the provider reported the failure (UTC).")
    reason: str = Field(description="The provider's reason, for people.", examples=["card_declined"])
    provider: PaymentProviderName = Field(description="Who tried to collect the money.")
    instalment: Instalment = None
    instalments: Instalments = None


class DuesRefunded(EventData):
    """Dues were refunded, wholly or in part, by a manager."""

    service = "fundraising"
    event_name = "dues_refunded"
    version = 1

    payment_id: Identifier = Field(description="The refunded payment.",
                                   examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b20"])
    membership_id: Identifier = Field(description="Membership the dues were for.",
                                      examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b21"])
    member_id: Identifier = Field(description="Member refunded.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    plan_id: Identifier = Field(description="Membership plan.", examples=["standard"])
    amount_minor: MinorUnits
    currency: CurrencyCode = Field(description="ISO 4217 currency code.", examples=["EUR"])
    refunded_at: AwareDatetime = Field(description="When the refund was made (UTC).")
    reason: str = Field(description="Why, for people.", examples=["duplicate payment"])


class TicketPaid(EventData):
    """An event ticket (a registration waiting for payment in the events service) was paid
    through the payment port. An input to the events service, which confirms the seat."""

    service = "fundraising"
    event_name = "ticket_paid"
    version = 1

    payment_id: Identifier = Field(description="Payment id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b20"])
    registration_id: Identifier = Field(description="The events registration paid for.",
                                        examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b77"])
    member_id: Identifier = Field(description="Paying member.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    amount_minor: MinorUnits
    currency: CurrencyCode = Field(description="ISO 4217 currency code.", examples=["EUR"])
    paid_at: AwareDatetime = Field(description="When the money was received (UTC).")
    provider: PaymentProviderName = Field(description="Who collected the money.")


class TicketPaymentFailed(EventData):
    """An event ticket's online payment failed: the events service releases the seat."""

    service = "fundraising"
    event_name = "ticket_payment_failed"
    version = 1

    payment_id: Identifier = Field(description="Payment id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b20"])
    registration_id: Identifier = Field(description="The events registration.",
                                        examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b77"])
    member_id: Identifier = Field(description="Member who tried to pay.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    amount_minor: MinorUnits
    currency: CurrencyCode = Field(description="ISO 4217 currency code.", examples=["EUR"])
    failed_at: AwareDatetime = Field(description="When the provider reported the failure (UTC).")
    reason: str = Field(description="The provider's reason, for people.", examples=["card_declined"])
GIFT_EVENTS: tuple[type[EventData], ...] = (
    DonationReceived, DonationRefunded, CampaignLaunched, CampaignGoalReached, CampaignClosed, RecurringGiftStarted,
    RecurringGiftFailed, RecurringGiftCancelled, PledgeMade, PledgeFulfilled)
