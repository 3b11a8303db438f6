"""Gifts (*dons*): one-off (recorded by hand or paid online), charges of recurring gifts,
instalments of pledges; anonymous, company (*mécénat*) and matching gifts; refunds.

A gift freezes what its tax receipt will print: the donor's identity and address and the
receiving legal entity as they were when the money came (receipts are immutable).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from fundraising_service.domain.campaigns import LegalEntity, PostalAddress
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import Method
from servicekit.domain import AggregateRoot, Conflict, DomainError, DomainEvent, NotFound, new_id
from servicekit.money import unsupported_currency

MAX_GIFT_MINOR_UNITS = 100_000_000
MAX_PLEDGE_INSTALMENTS = 60
NO_MONEY = Money(0, "EUR")


class Nature(StrEnum):
    CASH = "cash"
    IN_KIND = "in_kind"
    EXPENSE_WAIVER = "expense_waiver"


class ReceiptChoice(StrEnum):
    PER_GIFT = "per_gift"
    YEARLY_SUMMARY = "yearly_summary"
    NONE = "none"


class GiftStatus(StrEnum):
    RECEIVED = "received"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    YEARLY = "yearly"


class RecurringStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Collection(StrEnum):
    """How a recurring gift's money comes in."""

    MANUAL = "manual"  # the office records each charge (a standing order at the bank)
    SCHEDULED = "scheduled"  # charged automatically on `next_charge_on` through the saved payment method
    RETRYING = "retrying"  # a charge failed: tried again on `next_attempt_on` (dunning)
    STOPPED = "stopped"  # every retry failed: nothing more is tried until the donor updates the payment method


# A period due on D whose charge fails is tried again on D+3 and D+7, then collection stops.
RETRY_AFTER_DAYS = (3, 7)
# A charge attempt claimed by a scheduler is its own for this long (then another may run the very
# same attempt, under the same idempotency key at the provider: a crash never charges twice).
CLAIM_SECONDS = 600


@dataclass(frozen=True)
class ChargeAttempt:
    """One attempt at charging one period of a recurring gift. Its key is the idempotency key
    sent to the provider: the same attempt run again (a crash, a second replica) is the same charge."""

    recurring_gift_id: str
    period: date
    attempt: int

    @property
    def key(self) -> str:
        return f"rg-{self.recurring_gift_id}-{self.period.isoformat()}-{self.attempt}"


class PledgeStatus(StrEnum):
    OPEN = "open"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Donor:
    """Who gave, as the receipt names them."""

    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    company_id: str | None = None
    address: PostalAddress | None = None
    email: str | None = None

    @property
    def is_company(self) -> bool:
        return self.company_name is not None


NO_DONOR = Donor()


# -- errors ------------------------------------------------------------------------------

class InvalidGift(DomainError):
    code = "invalid-gift"
    title = "Invalid gift"


class UnknownGift(NotFound):
    code = "gift-not-found"
    title = "Gift not found"


class GiftRefundRefused(Conflict):
    code = "refund-refused"
    title = "Refund refused"


class RecurringGiftTransitionRefused(Conflict):
    code = "recurring-gift-transition"
    title = "Not possible in the recurring gift's state"


class UnknownRecurringGift(NotFound):
    code = "recurring-gift-not-found"
    title = "Recurring gift not found"


class ChargeNotDue(Conflict):
    code = "charge-not-due"
    title = "No charge of this recurring gift is due"


class UnknownPledge(NotFound):
    code = "pledge-not-found"
    title = "Pledge not found"


class PledgeRefused(Conflict):
    code = "pledge-refused"
    title = "Not possible on this pledge"


def check_amount(amount: Money) -> None:
    if (why := unsupported_currency(amount.currency)) is not None:
        raise InvalidGift(why)
    if not 0 < amount.minor_units <= MAX_GIFT_MINOR_UNITS:
        raise InvalidGift(f"{amount.minor_units} minor units: a gift is positive and at most {MAX_GIFT_MINOR_UNITS}")


# -- events ------------------------------------------------------------------------------

@dataclass(frozen=True)
class GiftReceived(DomainEvent):
    gift: Gift


@dataclass(frozen=True)
class GiftRefunded(DomainEvent):
    gift_id: str
    member_id: str
    campaign_id: str | None
    amount: Money
    refunded_total_minor: int
    refunded_at: datetime
    reason: str
    legal_entity_id: str | None


@dataclass(frozen=True)
class RecurringGiftChanged(DomainEvent):
    """Started, failed or cancelled (paused/resumed are not published)."""

    recurring: RecurringGift
    change: str  # started | failed | cancelled
    at: datetime
    reason: str | None = None
    failures: int = 0  # consecutive failed charges then (the aggregate may change before the commit)
    period: date | None = None  # the period whose charge failed (automatic collection)
    next_attempt_on: date | None = None  # the next automatic retry; None with `final`
    final: bool = False  # automatic collection stopped: no retry is left


@dataclass(frozen=True)
class PledgeMade(DomainEvent):
    pledge: Pledge


@dataclass(frozen=True)
class PledgeFulfilled(DomainEvent):
    pledge: Pledge
    at: datetime


# -- aggregates --------------------------------------------------------------------------

@dataclass(eq=False)
class Gift(AggregateRoot):
    member_id: str = ""
    campaign_id: str | None = None
    fund_id: str | None = None
    appeal_id: str | None = None
    amount: Money = NO_MONEY
    nature: Nature = Nature.CASH
    method: Method = Method.CHEQUE
    provider: str = "manual"
    reference: str | None = None
    paid_on: date | None = None
    received_at: datetime | None = None
    anonymous: bool = False
    named_publicly: bool = False  # the donor consented to be named on the public page
    donor: Donor = NO_DONOR
    legal_entity: LegalEntity | None = None
    receipt: ReceiptChoice = ReceiptChoice.PER_GIFT
    locale: str = "fr"
    payment_id: str | None = None
    recurring_gift_id: str | None = None
    pledge_id: str | None = None
    instalment: int | None = None
    matches_gift_id: str | None = None
    refunded_minor: int = 0
    status: GiftStatus = GiftStatus.RECEIVED

    @classmethod
    def receive(cls, *, tenant: str, member_id: str, amount: Money, campaign_id: str | None,
                legal_entity: LegalEntity | None, method: Method, provider: str, paid_on: date, now: datetime,
                donor: Donor, fund_id: str | None = None, appeal_id: str | None = None,
                nature: Nature = Nature.CASH, reference: str | None = None, anonymous: bool = False,
                named_publicly: bool = False, receipt: ReceiptChoice = ReceiptChoice.PER_GIFT, locale: str = "fr",
                payment_id: str | None = None, recurring_gift_id: str | None = None, pledge_id: str | None = None,
                instalment: int | None = None, matches: Gift | None = None, gift_id: str | None = None) -> Gift:
        check_amount(amount)
        if paid_on > now.date():
            raise InvalidGift("paid_on is in the future")
        if donor.company_id is not None and donor.company_name is None:
            raise InvalidGift("a company gift names the company")
        if matches is not None:
            if not donor.is_company:
                raise InvalidGift("a matching gift is a company's: name the company")
            if matches.donor.is_company or matches.matches_gift_id is not None:
                raise InvalidGift("a matching gift matches an employee's own gift")
            if matches.campaign_id != campaign_id:
                raise InvalidGift("a matching gift goes to the campaign of the gift it matches")
        if legal_entity is not None and not legal_entity.may_issue_receipts:
            receipt = ReceiptChoice.NONE
        gift = cls(id=gift_id or new_id(), tenant=tenant, member_id=member_id, campaign_id=campaign_id,
                   fund_id=fund_id, appeal_id=appeal_id, amount=amount, nature=nature, method=method,
                   provider=provider, reference=reference, paid_on=paid_on, received_at=now, anonymous=anonymous,
                   named_publicly=named_publicly and not anonymous, donor=donor, legal_entity=legal_entity,
                   receipt=receipt, locale=locale, payment_id=payment_id, recurring_gift_id=recurring_gift_id,
                   pledge_id=pledge_id, instalment=instalment,
                   matches_gift_id=matches.id if matches is not None else None)
        gift.record(GiftReceived(gift))
        return gift

    @property
    def net_minor(self) -> int:
        return self.amount.minor_units - self.refunded_minor

    def refund(self, amount_minor: int, reason: str, now: datetime) -> None:
        left = self.net_minor
        if self.status is GiftStatus.REFUNDED or not 0 < amount_minor <= left:
            raise GiftRefundRefused(f"at most {left} minor units are left to refund")
        self.refunded_minor += amount_minor
        self.status = GiftStatus.REFUNDED if self.net_minor == 0 else GiftStatus.PARTIALLY_REFUNDED
        self.record(GiftRefunded(self.id, self.member_id, self.campaign_id, Money(amount_minor, self.amount.currency),
                                 self.refunded_minor, now, reason,
                                 self.legal_entity.entity_id if self.legal_entity else None))


@dataclass(eq=False)
class RecurringGift(AggregateRoot):
    """A monthly or yearly gift. `active → paused → active`, `active|paused → failed` (a charge
    failed: visible and reminded, never a silent stop) `→ active` (a later charge succeeded),
    and `→ cancelled` from any state but cancelled (final)."""

    member_id: str = ""
    campaign_id: str | None = None
    fund_id: str | None = None
    amount: Money = NO_MONEY
    frequency: Frequency = Frequency.MONTHLY
    status: RecurringStatus = RecurringStatus.ACTIVE
    donor: Donor = NO_DONOR
    anonymous: bool = False
    receipt: ReceiptChoice = ReceiptChoice.YEARLY_SUMMARY
    started_at: datetime | None = None
    next_charge_on: date | None = None
    charges: int = 0
    failures: int = 0
    last_failure: str | None = None
    cancelled_at: datetime | None = None
    provider: str | None = None  # automatic collection: the provider holding the saved payment method
    mandate_ref: str | None = None  # its reference of the saved payment method (Stripe: the customer)
    attempts: int = 0  # failed attempts on the current period (`next_charge_on`)
    next_attempt_on: date | None = None  # retrying: the day of the next attempt
    stopped_at: datetime | None = None  # every retry failed
    claim: str | None = None  # the key of the attempt in flight
    claim_until: datetime | None = None

    @classmethod
    def start(cls, *, tenant: str, member_id: str, campaign_id: str | None, fund_id: str | None, amount: Money,
              frequency: Frequency, donor: Donor, anonymous: bool, receipt: ReceiptChoice, first_charge_on: date,
              now: datetime) -> RecurringGift:
        check_amount(amount)
        gift = cls(id=new_id(), tenant=tenant, member_id=member_id, campaign_id=campaign_id, fund_id=fund_id,
                   amount=amount, frequency=frequency, donor=donor, anonymous=anonymous, receipt=receipt,
                   started_at=now, next_charge_on=first_charge_on)
        gift.record(RecurringGiftChanged(gift, "started", now))
        return gift

    @classmethod
    def start_automatic(cls, *, gift_id: str, tenant: str, member_id: str, campaign_id: str | None,
                        fund_id: str | None, amount: Money, frequency: Frequency, donor: Donor, anonymous: bool,
                        receipt: ReceiptChoice, provider: str, mandate_ref: str, paid_on: date,
                        now: datetime) -> RecurringGift:
        """The donor authorised the gift through the hosted checkout, which paid its first period
        (`paid_on`) and saved the payment method: the next periods are charged automatically."""
        check_amount(amount)
        if not mandate_ref:
            raise InvalidGift("automatic collection needs a saved payment method")
        gift = cls(id=gift_id, tenant=tenant, member_id=member_id, campaign_id=campaign_id, fund_id=fund_id,
                   amount=amount, frequency=frequency, donor=donor, anonymous=anonymous, receipt=receipt,
                   started_at=now, next_charge_on=paid_on, provider=provider, mandate_ref=mandate_ref)
        gift.record(RecurringGiftChanged(gift, "started", now))
        gift.charged(paid_on, period=paid_on)
        return gift

    @property
    def automatic(self) -> bool:
        return self.mandate_ref is not None

    @property
    def collection(self) -> Collection:
        if not self.automatic:
            return Collection.MANUAL
        if self.stopped_at is not None:
            return Collection.STOPPED
        return Collection.RETRYING if self.next_attempt_on is not None else Collection.SCHEDULED

    @property
    def due_on(self) -> date | None:
        """The day the scheduler next charges it (None: nothing to charge automatically)."""
        if not self.automatic or self.stopped_at is not None:
            return None
        if self.status is RecurringStatus.ACTIVE:
            return self.next_charge_on
        if self.status is RecurringStatus.FAILED:
            return self.next_attempt_on
        return None  # paused or cancelled

    def claim_charge(self, today: date, now: datetime) -> ChargeAttempt:
        """Take the attempt due today (or overdue). Another claim still running refuses; an
        expired one (its scheduler crashed) is taken over with the *same* attempt and key."""
        due = self.due_on
        if due is None or due > today or self.next_charge_on is None:
            raise ChargeNotDue(f"recurring gift {self.id}: nothing due on {today}")
        attempt = ChargeAttempt(self.id, self.next_charge_on, self.attempts + 1)
        if self.claim is not None and self.claim_until is not None and self.claim_until > now:
            raise ChargeNotDue(f"recurring gift {self.id}: attempt {self.claim} is in flight")
        self.claim, self.claim_until = attempt.key, now + timedelta(seconds=CLAIM_SECONDS)
        self.version += 1
        return attempt

    def settle_charge(self, attempt: ChargeAttempt, succeeded: bool, reason: str | None, now: datetime) -> bool:
        """The provider's answer to a claimed attempt. False (and nothing changes) when that
        attempt is not the one in flight any more (settled already, or superseded)."""
        if self.claim != attempt.key or self.status is RecurringStatus.CANCELLED:
            return False
        self.claim = self.claim_until = None
        if succeeded:
            self.charged(now.date(), period=attempt.period)
        else:
            self.charge_failed(reason or "charge_failed", now)
        return True

    def payment_method_updated(self, provider: str, mandate_ref: str, paid_on: date, now: datetime) -> date:
        """The donor paid the overdue period through a new hosted checkout, saving a new payment
        method: collection resumes on schedule. Returns the period paid."""
        if self.status is RecurringStatus.CANCELLED:
            raise RecurringGiftTransitionRefused(f"recurring gift {self.id} is cancelled")
        period = self.next_charge_on or paid_on
        self.provider, self.mandate_ref = provider, mandate_ref
        self.claim = self.claim_until = None
        self.charged(paid_on, period=period)
        return period

    def _advance(self, on: date) -> date:
        if self.frequency is Frequency.YEARLY:
            try:
                return on.replace(year=on.year + 1)
            except ValueError:  # 29 February
                return on.replace(year=on.year + 1, day=28)
        month = on.month % 12 + 1
        year = on.year + (1 if on.month == 12 else 0)
        return on.replace(year=year, month=month, day=min(on.day, 28))

    def charged(self, on: date, period: date | None = None) -> None:
        """A charge succeeded: back to active if it had failed; the next one is scheduled — from
        the period it paid (automatic collection: a retry on D+3 keeps the schedule on D), else
        from the day it was charged."""
        if self.status is RecurringStatus.CANCELLED:
            raise RecurringGiftTransitionRefused(f"recurring gift {self.id} is cancelled")
        self.charges += 1
        self.failures = 0
        self.last_failure = None
        self.attempts = 0
        self.next_attempt_on = None
        self.stopped_at = None
        if self.status is RecurringStatus.FAILED:
            self.status = RecurringStatus.ACTIVE
        self.next_charge_on = self._advance(period or on)
        self.version += 1

    def charge_failed(self, reason: str, now: datetime) -> None:
        """A charge failed: `failed`, visible, published (the donor's reminder). Automatic
        collection retries the period on the dunning schedule (`RETRY_AFTER_DAYS` after its due
        date, never earlier than tomorrow), then stops — the last event says so (`final`)."""
        if self.status is RecurringStatus.CANCELLED:
            raise RecurringGiftTransitionRefused(f"recurring gift {self.id} is cancelled")
        self.failures += 1
        self.last_failure = reason
        self.status = RecurringStatus.FAILED
        period = None
        if self.automatic and self.next_charge_on is not None:
            period = self.next_charge_on
            self.attempts += 1
            if self.attempts <= len(RETRY_AFTER_DAYS):
                self.next_attempt_on = max(period + timedelta(days=RETRY_AFTER_DAYS[self.attempts - 1]),
                                           now.date() + timedelta(days=1))
            else:
                self.next_attempt_on = None
                self.stopped_at = now
        self.record(RecurringGiftChanged(self, "failed", now, reason, self.failures, period=period,
                                         next_attempt_on=self.next_attempt_on,
                                         final=self.stopped_at is not None))

    def pause(self) -> None:
        if self.status is not RecurringStatus.ACTIVE:
            raise RecurringGiftTransitionRefused(f"only an active recurring gift pauses (this one is {self.status})")
        self.status = RecurringStatus.PAUSED
        self.version += 1

    def resume(self) -> None:
        if self.status is not RecurringStatus.PAUSED:
            raise RecurringGiftTransitionRefused(f"only a paused recurring gift resumes (this one is {self.status})")
        self.status = RecurringStatus.ACTIVE
        self.version += 1

    def cancel(self, reason: str | None, now: datetime) -> None:
        if self.status is RecurringStatus.CANCELLED:
            raise RecurringGiftTransitionRefused(f"recurring gift {self.id} is already cancelled")
        self.status = RecurringStatus.CANCELLED
        self.cancelled_at = now
        self.record(RecurringGiftChanged(self, "cancelled", now, reason))


@dataclass(frozen=True)
class Instalment:
    due_on: date
    amount_minor: int
    paid_minor: int = 0
    gift_ids: tuple[str, ...] = ()

    @property
    def paid(self) -> bool:
        return self.paid_minor >= self.amount_minor


@dataclass(eq=False)
class Pledge(AggregateRoot):
    """A promise of `total`, paid in instalments on a schedule; fulfilled when all are paid."""

    member_id: str = ""
    campaign_id: str | None = None
    fund_id: str | None = None
    total: Money = NO_MONEY
    schedule: tuple[Instalment, ...] = ()
    status: PledgeStatus = PledgeStatus.OPEN
    donor: Donor = NO_DONOR
    anonymous: bool = False
    made_at: datetime | None = None
    fulfilled_at: datetime | None = None

    @classmethod
    def make(cls, *, tenant: str, member_id: str, campaign_id: str | None, fund_id: str | None, total: Money,
             due_dates: tuple[date, ...], donor: Donor, anonymous: bool, now: datetime) -> Pledge:
        check_amount(total)
        if not 1 <= len(due_dates) <= MAX_PLEDGE_INSTALMENTS:
            raise InvalidGift(f"a pledge has 1 to {MAX_PLEDGE_INSTALMENTS} instalments")
        if list(due_dates) != sorted(set(due_dates)):
            raise InvalidGift("instalment due dates are distinct and in order")
        if total.minor_units < len(due_dates):
            raise InvalidGift("each instalment must be at least one minor unit")
        share, rest = divmod(total.minor_units, len(due_dates))
        # the remainder goes to the first instalment: the schedule adds up to the total exactly
        schedule = tuple(Instalment(d, share + (rest if i == 0 else 0)) for i, d in enumerate(due_dates))
        pledge = cls(id=new_id(), tenant=tenant, member_id=member_id, campaign_id=campaign_id, fund_id=fund_id,
                     total=total, schedule=schedule, donor=donor, anonymous=anonymous, made_at=now)
        pledge.record(PledgeMade(pledge))
        return pledge

    @property
    def paid_minor(self) -> int:
        return sum(i.paid_minor for i in self.schedule)

    def next_instalment(self) -> int:
        for number, instalment in enumerate(self.schedule, start=1):
            if not instalment.paid:
                return number
        raise PledgeRefused(f"pledge {self.id} is fully paid")

    def check_payment(self, amount: Money, member_id: str) -> int:
        """The instalment a payment of `amount` pays (the first unpaid one)."""
        if self.status is not PledgeStatus.OPEN:
            raise PledgeRefused(f"pledge {self.id} is {self.status}")
        if member_id != self.member_id:
            raise PledgeRefused("a pledge is paid by its donor")
        if amount.currency != self.total.currency:
            raise PledgeRefused(f"pledge {self.id} is in {self.total.currency}")
        if amount.minor_units > self.total.minor_units - self.paid_minor:
            raise PledgeRefused(f"at most {self.total.minor_units - self.paid_minor} minor units are still pledged")
        return self.next_instalment()

    def pay(self, gift_id: str, amount: Money, now: datetime) -> None:
        """Apply a payment to the unpaid instalments in order; fulfilled when nothing is left."""
        left = amount.minor_units
        schedule = []
        for instalment in self.schedule:
            take = min(left, instalment.amount_minor - instalment.paid_minor) if not instalment.paid else 0
            left -= take
            schedule.append(instalment if take == 0 else replace(
                instalment, paid_minor=instalment.paid_minor + take, gift_ids=(*instalment.gift_ids, gift_id)))
        self.schedule = tuple(schedule)
        self.version += 1
        if all(i.paid for i in self.schedule):
            self.status = PledgeStatus.FULFILLED
            self.fulfilled_at = now
            self.record(PledgeFulfilled(self, now))
