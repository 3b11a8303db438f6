"""Commands of the fundraising service."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, ConfigDict, Field, HttpUrl, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import CurrencyCode, Identifier, MoneyIn
from alumni_contracts.text import ShortText

RECORD_DONATION = "record_donation"


class RecordDonation(Request):
    member_id: Identifier
    amount: MoneyIn
    campaign_id: Identifier | None = None


class DonationRecordedResult(Result):
    donation_id: Identifier


# -- payments (the payment port, shared by dues and gifts) --------------------------------

CREATE_CHECKOUT = "create_checkout"
RECORD_MANUAL_PAYMENT = "record_manual_payment"
RECEIVE_PAYMENT_WEBHOOK = "receive_payment_webhook"
REFUND_PAYMENT = "refund_payment"
LIST_PAYMENTS = "list_payments"

# Above it, a typo (cents vs euros) is likelier than a payment.
MAX_PAYMENT_MINOR_UNITS = 100_000_000
# A provider's webhook body, as received; Stripe's events are a few kilobytes.
MAX_WEBHOOK_PAYLOAD = 64 * 1024

PaymentAmount = Annotated[int, Field(gt=0, le=MAX_PAYMENT_MINOR_UNITS, examples=[5000],
                                     description="Amount in integer minor units (cents).")]
InstalmentIn = Annotated[int | None, Field(None, ge=1, le=120, examples=[1],
                                           description="1-based instalment number; null for a single payment.")]
InstalmentsIn = Annotated[int | None, Field(None, ge=1, le=120, examples=[3],
                                            description="Total number of instalments; null for a single payment.")]


class PaymentPurpose(StrEnum):
    DUES = "dues"
    GIFT = "gift"
    EVENT_TICKET = "event_ticket"  # `reference_id`: the events registration (issue 11)


class OnlineMethod(StrEnum):
    """Methods a hosted checkout may offer."""

    CARD = "card"
    SEPA_DEBIT = "sepa_debit"


class ManualMethod(StrEnum):
    """Methods a manager records by hand."""

    CHEQUE = "cheque"
    TRANSFER = "transfer"
    CASH = "cash"


class WebhookProvider(StrEnum):
    """Providers that send signed webhooks (`manual` payments have none)."""

    STRIPE = "stripe"
    LOCAL = "local"


class PaymentStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class _PaymentTarget(Request):
    purpose: PaymentPurpose = Field(description="What the money is for.")
    reference_id: Identifier = Field(description="The membership id for dues; the campaign or gift id for a gift.",
                                     examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b21"])
    member_id: Identifier | None = Field(None, description="Paying member; an alumnus may omit it (themselves).",
                                         examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    plan_id: Identifier | None = Field(None, description="Membership plan (dues only).", examples=["standard"])
    amount_minor: PaymentAmount
    currency: CurrencyCode = Field(description="ISO 4217 currency code.", examples=["EUR"])
    instalment: InstalmentIn = None
    instalments: InstalmentsIn = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.purpose is PaymentPurpose.DUES and self.plan_id is None:
            raise ValueError("dues need a plan_id")
        if (self.instalment is None) != (self.instalments is None):
            raise ValueError("instalment and instalments go together")
        if self.instalment is not None and self.instalments is not None and self.instalment > self.instalments:
            raise ValueError("instalment must not exceed instalments")
        return self


class CreateCheckout(_PaymentTarget):
    """Open a hosted checkout at the payment provider (alumni for themselves, staff for anyone)."""

    description: ShortText = Field(description="Shown on the payment page.", examples=["Cotisation 2026 — standard"])
    methods: list[OnlineMethod] = Field(default_factory=lambda: [OnlineMethod.CARD], min_length=1, max_length=2,
                                        description="Methods offered (`sepa_debit` where the plan allows).")
    return_url: HttpUrl | None = Field(None, description="Where the provider sends the payer back afterwards.")
    renew_automatically: bool = Field(
        False, description="Dues only: renew each year where the provider supports it (Stripe: a yearly "
                           "subscription); each renewal is a `dues_paid`, a failed one a `dues_payment_failed`.")


class CheckoutCreated(Result):
    checkout_id: Identifier
    provider: str = Field(description="`stripe` or `local`.")
    url: str = Field(description="The hosted payment page: send the payer there.")
    expires_at: AwareDatetime


class RecordManualPayment(_PaymentTarget):
    """A manager records money received outside the platform; `dues_paid` is emitted at once."""

    member_id: Identifier = Field(description="Paying member.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    method: ManualMethod
    reference: ShortText | None = Field(None, description="Cheque number, transfer reference…",
                                        examples=["CHQ 0012345"])
    received_on: date = Field(description="Day the money was received: not in the future, at most "
                                          "`MAX_BACKDATED_DAYS` (1,096) days ago. Dues apply from that day, so an "
                                          "old cheque entered late (or a migrated dues history) buys the period it "
                                          "paid for, already ended or not.", examples=["2026-03-02"])
    late_entry_reason: ShortText | None = Field(
        None, description="Why the payment is entered late: required when `received_on` is more than "
                          "`LATE_ENTRY_DAYS` (31) days ago; recorded on the payment.",
        examples=["Chèque 2025 saisi en retard / 2025 cheque entered late"])


class ReceivePaymentWebhook(Request):
    """The gateway forwards a provider's webhook: the raw body exactly as received and its
    signature header. No user: the signature is the only authority."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)

    provider: WebhookProvider
    payload: str = Field(max_length=MAX_WEBHOOK_PAYLOAD, description="The raw body, exactly as received.")
    signature: str = Field(max_length=2000, pattern=r"^[\x20-\x7e]*$",
                           description="The `Stripe-Signature` header (`t=…,v1=…`).")


class WebhookHandled(Result):
    outcome: Literal["processed", "duplicate", "ignored"] = Field(
        description="`duplicate`: this provider event was handled before; `ignored`: an event type not used.")


class RefundIn(Request):
    """Body of a refund: how much and why."""

    amount_minor: PaymentAmount = Field(description="Amount refunded; at most what is left of the payment.")
    reason: ShortText = Field(examples=["duplicate payment"])


class RefundPayment(RefundIn):
    """Staff refund a payment, wholly or in part."""

    payment_id: Identifier


class ListPayments(Request):
    member_id: Identifier | None = Field(None, description="Staff: whose payments; alumni: always their own.")
    limit: int = Field(50, ge=1, le=200)
    after: Identifier | None = Field(None, description="Cursor: the last payment id of the previous page.")


class PaymentView(Result):
    payment_id: Identifier
    purpose: PaymentPurpose
    reference_id: Identifier
    member_id: Identifier
    plan_id: Identifier | None = None
    amount_minor: int
    refunded_minor: int = 0
    currency: str
    method: str = Field(description="`card`, `sepa_debit`, `cheque`, `transfer` or `cash`.")
    provider: str = Field(description="`stripe`, `local` or `manual`.")
    status: PaymentStatus
    at: AwareDatetime = Field(description="When it was paid (or failed).")
    reason: str | None = Field(None, description="Why it failed.")
    reference: str | None = None
    checkout_id: Identifier | None = None
    instalment: int | None = None
    instalments: int | None = None
    late_entry_reason: str | None = Field(None, description="A manual payment entered late: why.")


class PaymentPage(Result):
    items: list[PaymentView]
    next_cursor: Identifier | None = None
