"""Events published by the fundraising service, major version 1."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field

from alumni_contracts.common import CurrencyCode, Identifier, Money
from alumni_contracts.envelope import EventData
from alumni_contracts.privacy import MemberDataErasedBase


class DonationReceived(EventData):
    """A donation (*don*) was recorded for a member."""

    service = "fundraising"
    event_name = "donation_received"
    version = 1

    donation_id: Identifier = Field(description="Donation id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b13"])
    member_id: Identifier = Field(description="Donor's member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    amount: Money = Field(description="Amount given.")
    campaign_id: Identifier | None = Field(None, description="Campaign the gift goes to, if any.", examples=["bourses-2026"])
    received_at: AwareDatetime = Field(description="When the donation was recorded (UTC).")


class MemberDataErased(MemberDataErasedBase):
    """The fundraising service erased its copies of a member's data; donations are kept under
    a pseudonym (accounting records must be kept)."""

    service = "fundraising"
    event_name = "member_data_erased"
    version = 1


# -- payments (the payment port, shared by dues and gifts) --------------------------------

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
