"""The payment port's domain: hosted checkouts and the payments they produce.

No card data ever reaches this model: a checkout is an amount and a purpose sent to a hosted
page; the provider tells the outcome in a signed webhook, which an adapter verifies and turns
into a provider-neutral `PaymentNotification`. Money is integer minor units + ISO currency.

A checkout goes `open → completed | failed | expired`, once; a payment is `succeeded` or
`failed`, and a succeeded one may be refunded (in part, several times, never beyond its amount).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from fundraising_service.domain.model import Money
from servicekit.domain import AggregateRoot, DomainError, DomainEvent, NotFound, new_id
from servicekit.money import unsupported_currency

MAX_PAYMENT_MINOR_UNITS = 100_000_000
# A dues checkout still open for at least this long is handed out again for the same due
# rather than a second one (a double click, a second tab): paying both would buy two periods.
REUSE_MARGIN = timedelta(minutes=10)
MAX_BACKDATED_DAYS = 1096  # a manual payment received at most three years ago (a migrated dues history)
LATE_ENTRY_DAYS = 31  # entered later than this after it was received: the office says why


class Purpose(StrEnum):
    DUES = "dues"
    GIFT = "gift"
    EVENT_TICKET = "event_ticket"


class Method(StrEnum):
    CARD = "card"
    SEPA_DEBIT = "sepa_debit"
    CHEQUE = "cheque"
    TRANSFER = "transfer"
    CASH = "cash"


ONLINE_METHODS = frozenset({Method.CARD, Method.SEPA_DEBIT})
MANUAL_METHODS = frozenset({Method.CHEQUE, Method.TRANSFER, Method.CASH})
MANUAL = "manual"


class CheckoutStatus(StrEnum):
    OPEN = "open"
    PROCESSING = "processing"  # paid by direct debit: the money is on its way (days)
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"


class PaymentStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class Outcome(StrEnum):
    """What a provider's notification says happened to a checkout."""

    SUCCEEDED = "succeeded"
    PENDING = "pending"  # completed by the payer, money not yet collected (SEPA)
    FAILED = "failed"
    EXPIRED = "expired"
    RENEWAL_PAID = "renewal_paid"  # an automatic renewal (a subscription's next invoice) was paid
    RENEWAL_FAILED = "renewal_failed"
    IGNORED = "ignored"  # an event type the platform does not use


@dataclass(frozen=True)
class PaymentTarget:
    """What the money is for: dues of a membership (`reference_id`) or a gift."""

    purpose: Purpose
    reference_id: str
    member_id: str
    plan_id: str | None = None
    instalment: int | None = None
    instalments: int | None = None


@dataclass(frozen=True)
class PaymentNotification:
    """A verified webhook, provider-neutral."""

    provider: str
    event_id: str
    outcome: Outcome
    checkout_id: str | None = None
    session_id: str | None = None
    tenant: str | None = None
    amount: Money | None = None
    method: Method | None = None
    provider_payment_ref: str | None = None
    reason: str | None = None
    occurred_at: datetime | None = None
    renewal_ref: str | None = None  # the provider's id of the renewal (Stripe: the invoice)
    mandate_ref: str | None = None  # the payment method saved for later charges (Stripe: the customer)


@dataclass(frozen=True)
class ChargeResult:
    """A provider's answer to an off-session charge of a saved payment method."""

    succeeded: bool
    reference: str | None = None  # the provider's payment (Stripe: the payment intent), to refund it
    reason: str | None = None  # why it was declined (`card_declined`, `insufficient_funds`…)
    method: Method = Method.CARD


@dataclass(frozen=True)
class HostedCheckout:
    """What a provider answers when asked for a hosted checkout."""

    session_id: str
    url: str
    expires_at: datetime


# -- errors ------------------------------------------------------------------------------

class InvalidPayment(DomainError):
    code = "invalid-payment"
    title = "Invalid payment"


class BadWebhook(DomainError):
    """Bad signature, stale timestamp, unparsable body: nothing is done."""

    status = 400
    code = "bad-webhook"
    title = "Webhook refused"


class UnknownProvider(NotFound):
    code = "unknown-provider"
    title = "Unknown payment provider"


class UnknownCheckout(NotFound):
    code = "unknown-checkout"
    title = "Unknown checkout"


class UnknownPayment(NotFound):
    code = "payment-not-found"
    title = "Payment not found"


class AmountMismatch(DomainError):
    status = 422
    code = "amount-mismatch"
    title = "Amount differs from the checkout"


class RefundRefused(DomainError):
    status = 409
    code = "refund-refused"
    title = "Refund refused"


class PaymentInProgress(DomainError):
    """A direct debit for this very due is being collected (days): no second checkout."""

    status = 409
    code = "payment-in-progress"
    title = "A payment for this is being collected"


class ProviderUnavailable(DomainError):
    status = 502
    code = "payment-provider-unavailable"
    title = "Payment provider unavailable"


# -- events ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PaymentSucceeded(DomainEvent):
    payment_id: str
    target: PaymentTarget
    amount: Money
    paid_at: datetime
    method: Method
    provider: str
    reference: str | None


@dataclass(frozen=True)
class PaymentFailed(DomainEvent):
    payment_id: str
    target: PaymentTarget
    amount: Money
    failed_at: datetime
    reason: str
    provider: str


@dataclass(frozen=True)
class PaymentRefunded(DomainEvent):
    payment_id: str
    target: PaymentTarget
    amount: Money
    refunded_at: datetime
    reason: str


@dataclass(frozen=True)
class CheckoutChanged(DomainEvent):
    """Internal (not published): a checkout was opened or changed status."""

    checkout_id: str
    status: CheckoutStatus


def _check_target(target: PaymentTarget) -> None:
    if target.purpose is Purpose.DUES and not target.plan_id:
        raise InvalidPayment("dues need a plan")
    if (target.instalment is None) != (target.instalments is None):
        raise InvalidPayment("instalment and instalments go together")
    if target.instalment is not None and target.instalments is not None and not (
            1 <= target.instalment <= target.instalments):
        raise InvalidPayment(f"instalment {target.instalment} of {target.instalments}")


def _check_amount(amount: Money) -> None:
    if (why := unsupported_currency(amount.currency)) is not None:
        raise InvalidPayment(why)
    if not 0 < amount.minor_units <= MAX_PAYMENT_MINOR_UNITS:
        raise InvalidPayment(f"{amount.minor_units} minor units: must be positive and at most "
                             f"{MAX_PAYMENT_MINOR_UNITS}")
    if len(amount.currency) != 3 or not amount.currency.isalpha() or not amount.currency.isupper():
        raise InvalidPayment(f"{amount.currency!r} is not an ISO 4217 currency code")


NO_TARGET = PaymentTarget(Purpose.DUES, "", "")
NO_MONEY = Money(0, "EUR")


# -- aggregates --------------------------------------------------------------------------

@dataclass(eq=False)
class Payment(AggregateRoot):
    target: PaymentTarget = NO_TARGET
    amount: Money = NO_MONEY
    method: Method = Method.CARD
    provider: str = MANUAL
    status: PaymentStatus = PaymentStatus.SUCCEEDED
    at: datetime | None = None
    reason: str | None = None
    reference: str | None = None
    checkout_id: str | None = None
    provider_payment_ref: str | None = None
    refunded_minor: int = 0
    renewal_ref: str | None = None
    late_entry_reason: str | None = None
    mandate_ref: str | None = None  # the checkout saved the payment method for later charges

    @classmethod
    def manual(cls, *, tenant: str, target: PaymentTarget, amount: Money, method: Method, reference: str | None,
               received_on: date, now: datetime, late_entry_reason: str | None = None) -> Payment:
        """A manager records money received outside the platform (cheque, transfer, cash), on
        the day it was received: an old cheque entered late pays for the period it bought then
        (the members service's rules date its transitions accordingly). Not in the future, at
        most `MAX_BACKDATED_DAYS` ago, and with a reason past `LATE_ENTRY_DAYS`."""
        if method not in MANUAL_METHODS:
            raise InvalidPayment(f"{method} is not recorded by hand")
        _check_target(target)
        _check_amount(amount)
        if received_on > now.date():
            raise InvalidPayment("received_on is in the future")
        late = (now.date() - received_on).days
        if late > MAX_BACKDATED_DAYS:
            raise InvalidPayment(f"received_on is {late} days ago: at most {MAX_BACKDATED_DAYS} days back")
        late_entry_reason = (late_entry_reason or "").strip() or None
        if late > LATE_ENTRY_DAYS and late_entry_reason is None:
            raise InvalidPayment(f"received_on is {late} days ago: say why it is entered late (late_entry_reason)")
        # The day the money came, at noon UTC: no time of day is known, and noon stays that day everywhere in Europe.
        paid_at = datetime.combine(received_on, time(12), tzinfo=now.tzinfo) if received_on < now.date() else now
        payment = cls(id=new_id(), tenant=tenant, target=target, amount=amount, method=method, provider=MANUAL,
                      status=PaymentStatus.SUCCEEDED, at=paid_at, reference=reference,
                      late_entry_reason=late_entry_reason)
        payment.record(PaymentSucceeded(payment.id, target, amount, paid_at, method, MANUAL, reference))
        return payment

    def refund(self, amount_minor: int, reason: str, now: datetime) -> None:
        if self.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
            raise RefundRefused(f"a {self.status} payment cannot be refunded")
        left = self.amount.minor_units - self.refunded_minor
        if not 0 < amount_minor <= left:
            raise RefundRefused(f"at most {left} minor units are left to refund")
        self.refunded_minor += amount_minor
        self.status = PaymentStatus.REFUNDED if self.refunded_minor == self.amount.minor_units \
            else PaymentStatus.PARTIALLY_REFUNDED
        self.record(PaymentRefunded(self.id, self.target, Money(amount_minor, self.amount.currency), now, reason))


@dataclass(eq=False)
class Checkout(AggregateRoot):
    target: PaymentTarget = NO_TARGET
    amount: Money = NO_MONEY
    description: str = ""
    methods: tuple[Method, ...] = (Method.CARD,)
    provider: str = ""
    status: CheckoutStatus = CheckoutStatus.OPEN
    session_id: str | None = None
    url: str | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None
    payment_id: str | None = None
    recurring: bool = False  # renews automatically (yearly) where the provider supports it
    save_method: bool = False  # the payer also authorises later off-session charges (a recurring gift)

    @classmethod
    def open(cls, *, tenant: str, target: PaymentTarget, amount: Money, description: str,
             methods: tuple[Method, ...], provider: str, now: datetime, recurring: bool = False,
             save_method: bool = False) -> Checkout:
        _check_target(target)
        _check_amount(amount)
        if recurring and (target.purpose is not Purpose.DUES or target.instalments is not None):
            raise InvalidPayment("automatic renewal is for yearly dues paid at once")
        if not methods or not set(methods) <= ONLINE_METHODS:
            raise InvalidPayment("a hosted checkout offers card and/or sepa_debit")
        if Method.SEPA_DEBIT in methods and amount.currency != "EUR":
            raise InvalidPayment("SEPA Direct Debit collects euros only")
        if save_method and (recurring or methods != (Method.CARD,)):
            raise InvalidPayment("a payment method saved for later charges is a card, on a one-off checkout")
        checkout = cls(id=new_id(), tenant=tenant, target=target, amount=amount, description=description,
                       methods=tuple(dict.fromkeys(methods)), provider=provider, created_at=now,
                       recurring=recurring, save_method=save_method)
        checkout.record(CheckoutChanged(checkout.id, checkout.status))
        return checkout

    def attach(self, hosted: HostedCheckout) -> None:
        self.session_id, self.url, self.expires_at = hosted.session_id, hosted.url, hosted.expires_at

    @property
    def settled(self) -> bool:
        return self.status in (CheckoutStatus.COMPLETED, CheckoutStatus.FAILED, CheckoutStatus.EXPIRED)

    def same_request(self, target: PaymentTarget, amount: Money, methods: tuple[Method, ...], provider: str,
                     recurring: bool) -> bool:
        """Asks for the very same money, for the very same thing, in the same way."""
        return (self.target == target and self.amount == amount and self.provider == provider
                and self.methods == tuple(dict.fromkeys(methods)) and self.recurring == recurring)

    def reusable(self, now: datetime) -> bool:
        """Open, with time left to pay: handed out again instead of a second checkout."""
        return (self.status is CheckoutStatus.OPEN and self.expires_at is not None
                and self.expires_at - REUSE_MARGIN > now)

    def matches(self, notification: PaymentNotification) -> bool:
        """The notification names this very checkout at its provider (not another tenant's,
        not another provider's, not another session)."""
        return (notification.provider == self.provider and notification.tenant in (None, self.tenant)
                and (notification.session_id is None or notification.session_id == self.session_id))

    def renew(self, notification: PaymentNotification, now: datetime) -> Payment:
        """A renewal the provider collected (or failed to) on its own: a new payment for the same
        target, each time. Only for a completed checkout that asked for it."""
        if not self.recurring or self.status is not CheckoutStatus.COMPLETED or not notification.renewal_ref:
            raise InvalidPayment(f"checkout {self.id} has no automatic renewal")
        if notification.amount is not None and notification.amount != self.amount:
            raise AmountMismatch(
                f"checkout {self.id} renews at {self.amount.minor_units} {self.amount.currency}, the provider "
                f"reports {notification.amount.minor_units} {notification.amount.currency}")
        at = notification.occurred_at or now
        method = notification.method or self.methods[0]
        succeeded = notification.outcome is Outcome.RENEWAL_PAID
        reason = None if succeeded else (notification.reason or "renewal_failed")
        payment = Payment(id=new_id(), tenant=self.tenant, target=self.target, amount=self.amount, method=method,
                          provider=self.provider, status=PaymentStatus.SUCCEEDED if succeeded else PaymentStatus.FAILED,
                          at=at, reason=reason, checkout_id=self.id,
                          provider_payment_ref=notification.provider_payment_ref,
                          renewal_ref=notification.renewal_ref)
        if reason is None:
            payment.record(PaymentSucceeded(payment.id, self.target, self.amount, at, method, self.provider, None))
        else:
            payment.record(PaymentFailed(payment.id, self.target, self.amount, at, reason, self.provider))
        return payment

    def settle(self, notification: PaymentNotification, now: datetime) -> Payment | None:
        """Apply a verified notification. Returns the payment it produced, if any; None when it
        changes nothing (already settled, or a pending direct debit)."""
        if self.settled:
            return None
        if notification.outcome in (Outcome.SUCCEEDED, Outcome.PENDING, Outcome.FAILED) \
                and notification.amount is not None and notification.amount != self.amount:
            raise AmountMismatch(
                    f"checkout {self.id} is for {self.amount.minor_units} {self.amount.currency}, the provider "
                    f"reports {notification.amount.minor_units} {notification.amount.currency}")
        at = notification.occurred_at or now
        match notification.outcome:
            case Outcome.PENDING:
                if self.status is CheckoutStatus.OPEN:
                    self.status = CheckoutStatus.PROCESSING
                    self.record(CheckoutChanged(self.id, self.status))
                return None
            case Outcome.EXPIRED:
                self.status = CheckoutStatus.EXPIRED
                self.record(CheckoutChanged(self.id, self.status))
                return None
            case Outcome.SUCCEEDED:
                method = notification.method or (Method.SEPA_DEBIT if self.status is CheckoutStatus.PROCESSING
                                                  else self.methods[0])
                payment = Payment(id=new_id(), tenant=self.tenant, target=self.target, amount=self.amount,
                                  method=method, provider=self.provider, status=PaymentStatus.SUCCEEDED, at=at,
                                  checkout_id=self.id, provider_payment_ref=notification.provider_payment_ref,
                                  mandate_ref=notification.mandate_ref if self.save_method else None)
                payment.record(PaymentSucceeded(payment.id, self.target, self.amount, at, method, self.provider,
                                                None))
                self.status = CheckoutStatus.COMPLETED
            case Outcome.FAILED:
                reason = notification.reason or "payment_failed"
                method = notification.method or (Method.SEPA_DEBIT if self.status is CheckoutStatus.PROCESSING
                                                 else self.methods[0])
                payment = Payment(id=new_id(), tenant=self.tenant, target=self.target, amount=self.amount,
                                  method=method, provider=self.provider, status=PaymentStatus.FAILED, at=at,
                                  reason=reason, checkout_id=self.id,
                                  provider_payment_ref=notification.provider_payment_ref)
                payment.record(PaymentFailed(payment.id, self.target, self.amount, at, reason, self.provider))
                self.status = CheckoutStatus.FAILED
            case _:
                return None
        self.payment_id = payment.id
        self.record(CheckoutChanged(self.id, self.status))
        return payment
