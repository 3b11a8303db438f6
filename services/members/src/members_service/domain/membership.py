"""Dues membership (*cotisation*): plans and the membership state machine.

States: `pending_payment → active → in_grace → lapsed`, renewal back to `active`, `lifetime`
(never lapses), `cancelled`. Every transition is one method applying one rule, with a reason,
and records one event. Payments are *inputs* (`apply_payment`, `apply_failure`,
`apply_refund`): the rules decide what a payment does — a payment that does not fit (wrong
plan, currency or amount, a cancelled or already-lifetime membership, an instalment paid
twice) is kept as *unapplied* for a manager to refund, never a silent state flip. Time-based
transitions (`advance`) are idempotent and catch up: advancing to `t` once or through any
intermediate times leads to the same state.

Periods: each applied payment (or a free-year rule) buys one period `[start, end)`; a renewal
or a payment during grace starts where the previous period ended (no gap); a lifetime
period has no end. A full refund voids the period it paid for, a partial refund shortens it
pro rata; periods chained after it move earlier by the same amount.

Pure Python, no I/O.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from servicekit.domain import AggregateRoot, Conflict, DomainError, DomainEvent, NotFound, new_id
from servicekit.money import unsupported_currency


class PlanKind(StrEnum):
    ANNUAL = "annual"
    LIFETIME = "lifetime"  # *cotisation à vie*


class MembershipStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    ACTIVE = "active"
    IN_GRACE = "in_grace"
    LAPSED = "lapsed"
    LIFETIME = "lifetime"
    CANCELLED = "cancelled"


S = MembershipStatus
# The state machine: every transition a rule may take (a renewal is ACTIVE → ACTIVE).
TRANSITIONS: frozenset[tuple[MembershipStatus, MembershipStatus]] = frozenset({
    (S.PENDING_PAYMENT, S.ACTIVE), (S.PENDING_PAYMENT, S.LIFETIME), (S.PENDING_PAYMENT, S.CANCELLED),
    (S.ACTIVE, S.ACTIVE), (S.ACTIVE, S.IN_GRACE), (S.ACTIVE, S.LIFETIME), (S.ACTIVE, S.LAPSED),
    (S.ACTIVE, S.CANCELLED),
    (S.IN_GRACE, S.ACTIVE), (S.IN_GRACE, S.LIFETIME), (S.IN_GRACE, S.LAPSED), (S.IN_GRACE, S.CANCELLED),
    (S.LAPSED, S.PENDING_PAYMENT), (S.LAPSED, S.ACTIVE), (S.LAPSED, S.LIFETIME), (S.LAPSED, S.CANCELLED),
    (S.LIFETIME, S.CANCELLED),
    (S.CANCELLED, S.PENDING_PAYMENT), (S.CANCELLED, S.ACTIVE),
})


class PlanNotFound(NotFound):
    code = "membership-plan-not-found"
    title = "Membership plan not found"


class MembershipNotFound(NotFound):
    code = "membership-not-found"
    title = "Membership not found"


class PlanNotEligible(DomainError):
    """Joining a plan whose eligibility rule the member does not meet; the message names the rule."""

    code = "membership-plan-not-eligible"
    title = "Not eligible for this membership plan"

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule


class InvalidPlan(DomainError):
    code = "membership-plan-invalid"
    title = "Invalid membership plan"


class MembershipConflict(Conflict):
    code = "membership-conflict"
    title = "Membership conflict"


def add_months(at: datetime, months: int) -> datetime:
    """Same day `months` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = at.month - 1 + months
    year, month = at.year + month_index // 12, month_index % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


# -- plans -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Eligibility:
    """`max_years_since_graduation`: the young-graduate rule (the plan is open to members who
    graduated at most N years ago). `free_first_year_within_years`: a member who graduated at
    most N years ago and never had a membership gets the first period free."""

    max_years_since_graduation: int | None = None
    free_first_year_within_years: int | None = None


@dataclass(frozen=True)
class PlanTerms:
    """What a plan sells; a membership keeps the terms it was bought under."""

    name: str
    kind: PlanKind
    price_minor: int
    currency: str
    period_months: int = 12  # annual plans: length of a paid period
    instalments: int = 1  # lifetime plans: payable at once (1) or in N instalments
    instalment_interval_months: int = 12  # an instalment covers this long until the next is due
    grace_days: int = 30
    legal_entity: str = ""  # who receives the money (the association, its foundation…)
    tax_deductible_minor: int = 0  # the share of the price that is tax-deductible (not what buys services)
    eligibility: Eligibility = Eligibility()
    description: str = ""

    def validate(self) -> None:
        if not self.name.strip():
            raise InvalidPlan("a plan needs a name")
        if self.price_minor < 0:
            raise InvalidPlan("the price cannot be negative")
        if (why := unsupported_currency(self.currency)) is not None:
            raise InvalidPlan(why)
        if not 0 <= self.tax_deductible_minor <= self.price_minor:
            raise InvalidPlan("the tax-deductible share is between 0 and the price")
        if self.kind is PlanKind.ANNUAL and (self.instalments != 1 or self.period_months < 1):
            raise InvalidPlan("an annual plan is paid at once for a period of at least a month")
        if self.kind is PlanKind.LIFETIME and not 1 <= self.instalments <= 24:
            raise InvalidPlan("a lifetime plan is payable in 1 to 24 instalments")
        if self.instalments > 1 and self.price_minor < self.instalments:
            raise InvalidPlan("each instalment must be at least one minor unit")
        if self.instalment_interval_months < 1 or not 0 <= self.grace_days <= 365:
            raise InvalidPlan("instalment interval ≥ 1 month, grace between 0 and 365 days")
        e = self.eligibility
        for years in (e.max_years_since_graduation, e.free_first_year_within_years):
            if years is not None and not 0 <= years <= 50:
                raise InvalidPlan("eligibility years are between 0 and 50")

    def instalment_amount(self, instalment: int) -> int:
        """Instalment `k` (1-based): equal shares, the remainder on the first."""
        base, rest = divmod(self.price_minor, self.instalments)
        return base + (rest if instalment == 1 else 0)

    @property
    def payable_in_instalments(self) -> bool:
        return self.kind is PlanKind.LIFETIME and self.instalments > 1


@dataclass(frozen=True)
class PlanRevision:
    revision: int
    terms: PlanTerms
    at: datetime


@dataclass(frozen=True)
class PlanChanged(DomainEvent):
    plan_id: str
    revision: int
    change: str  # created, edited, retired
    at: datetime


@dataclass(eq=False)
class Plan(AggregateRoot):
    """A tenant's membership plan. Edits make a new revision (memberships keep the terms they
    bought); a retired plan takes no new members and keeps the ones it has."""

    terms: PlanTerms = field(default_factory=lambda: PlanTerms("", PlanKind.ANNUAL, 0, "EUR"))
    revision: int = 1
    history: list[PlanRevision] = field(default_factory=list)
    created_at: datetime | None = None
    retired_at: datetime | None = None

    @classmethod
    def create(cls, tenant: str, terms: PlanTerms, now: datetime) -> Plan:
        terms.validate()
        plan = cls(id=new_id(), tenant=tenant, terms=terms, created_at=now)
        plan.record(PlanChanged(plan.id, plan.revision, "created", now))
        return plan

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    def edit(self, terms: PlanTerms, now: datetime) -> None:
        if self.retired:
            raise MembershipConflict("a retired plan is not edited")
        terms.validate()
        if terms.kind is not self.terms.kind:
            raise InvalidPlan("a plan keeps its kind (create another plan)")
        if terms == self.terms:
            return
        self.history.append(PlanRevision(self.revision, self.terms, now))
        self.terms, self.revision = terms, self.revision + 1
        self.record(PlanChanged(self.id, self.revision, "edited", now))

    def retire(self, now: datetime) -> None:
        if self.retired:
            return
        self.retired_at = now
        self.record(PlanChanged(self.id, self.revision, "retired", now))


def check_eligibility(terms: PlanTerms, graduation_years: list[int], today: date) -> None:
    rule = terms.eligibility.max_years_since_graduation
    if rule is None:
        return
    if not graduation_years:
        raise PlanNotEligible("young-graduate", "the plan is for graduates and no graduation year is on record")
    if today.year - max(graduation_years) > rule:
        raise PlanNotEligible("young-graduate", f"the plan is for members within {rule} years of graduation")


def first_year_free(terms: PlanTerms, graduation_years: list[int], today: date, had_membership: bool) -> bool:
    within = terms.eligibility.free_first_year_within_years
    return (within is not None and not had_membership and bool(graduation_years)
            and today.year - max(graduation_years) <= within)


# -- memberships -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanRef:
    """The plan a membership is on and the terms (revision) it bought."""

    plan_id: str
    revision: int
    terms: PlanTerms


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime | None  # None: lifetime
    payment_id: str | None  # None: granted by a free-year rule
    free: bool = False
    instalment: int | None = None

    def covers(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)

    @property
    def void(self) -> bool:
        return self.end is not None and self.end <= self.start


@dataclass
class PaymentLine:
    payment_id: str
    amount_minor: int
    currency: str
    paid_at: datetime
    method: str
    provider: str
    instalment: int | None
    reference: str | None
    applied: bool
    note: str = ""  # why it was not applied
    refunded_minor: int = 0

    @property
    def fully_refunded(self) -> bool:
        return self.refunded_minor >= self.amount_minor


@dataclass(frozen=True)
class Payment:
    """A `dues_paid` as the rules see it."""

    payment_id: str
    plan_id: str
    amount_minor: int
    currency: str
    paid_at: datetime
    method: str = "card"
    provider: str = "local"
    instalment: int | None = None
    instalments: int | None = None
    reference: str | None = None


@dataclass(frozen=True)
class Failure:
    payment_id: str
    reason: str
    at: datetime
    instalment: int | None


@dataclass(frozen=True)
class Due:
    """What the member owes to (re)activate: asked by a join or renewal, settled by a payment."""

    amount_minor: int
    currency: str
    instalment: int | None
    instalments: int | None
    requested_at: datetime


@dataclass(frozen=True)
class Transition:
    """Every state change, kept on the membership (the member's history)."""

    from_status: MembershipStatus
    to_status: MembershipStatus
    reason: str
    at: datetime


@dataclass(frozen=True)
class MembershipEvent(DomainEvent):
    membership_id: str
    member_id: str
    plan_id: str
    kind: PlanKind
    status: MembershipStatus
    reason: str
    at: datetime  # when the rule took effect (a catch-up run dates a transition when it was due)
    paid_until: datetime | None
    plan_name: str  # what a reminder names: the plan, and what paying next costs (None: nothing more is due)
    amount_due_minor: int | None
    currency: str


@dataclass(frozen=True)
class MembershipActivated(MembershipEvent):
    payment_id: str | None  # None: a free-year rule
    reactivation: bool  # the member had a membership period before


@dataclass(frozen=True)
class MembershipRenewed(MembershipEvent):
    payment_id: str
    period_start: datetime
    instalment: int | None


@dataclass(frozen=True)
class MembershipEnteredGrace(MembershipEvent):
    grace_until: datetime
    missed_instalment: int | None


@dataclass(frozen=True)
class MembershipLapsed(MembershipEvent):
    missed_instalment: int | None


@dataclass(frozen=True)
class MembershipCancelled(MembershipEvent):
    by: str


@dataclass(frozen=True)
class MembershipBecameLifetime(MembershipEvent):
    payment_id: str
    instalments: int


@dataclass(frozen=True)
class MembershipAwaitingPayment(MembershipEvent):
    """A lapsed or cancelled member joined again (kept inside members)."""


@dataclass(frozen=True)
class MembershipRecordChanged(DomainEvent):
    """Kept inside members: a join asked for payment, a payment failed, was not applied or
    was refunded without a state change."""

    membership_id: str
    change: str
    at: datetime


@dataclass(eq=False)
class Membership(AggregateRoot):
    """One member's dues membership in a tenant (one per member, renewed in place)."""

    member_id: str = ""
    plan: PlanRef = field(default_factory=lambda: PlanRef("", 0, PlanTerms("", PlanKind.ANNUAL, 0, "EUR")))
    status: MembershipStatus = MembershipStatus.PENDING_PAYMENT
    status_reason: str = "joined"
    status_since: datetime | None = None
    periods: list[Period] = field(default_factory=list)
    payments: list[PaymentLine] = field(default_factory=list)
    paid_instalments: int = 0
    due: Due | None = None
    grace_until: datetime | None = None
    last_failure: Failure | None = None
    transitions: list[Transition] = field(default_factory=list)
    created_at: datetime | None = None

    # -- reading ---------------------------------------------------------------------------

    @property
    def terms(self) -> PlanTerms:
        return self.plan.terms

    @property
    def live_periods(self) -> list[Period]:
        return [p for p in self.periods if not p.void]

    @property
    def paid_until(self) -> datetime | None:
        """End of the last period; None with no period or a lifetime one."""
        live = self.live_periods
        if not live or any(p.end is None for p in live):
            return None
        return max(p.end for p in live if p.end is not None)

    @property
    def current_period(self) -> Period | None:
        live = self.live_periods
        return live[-1] if live else None

    def covered(self, at: datetime) -> bool:
        return any(p.covers(at) for p in self.live_periods)

    @property
    def missed_instalment(self) -> int | None:
        """The instalment due and unpaid once its predecessor's cover ended (in grace or lapsed)."""
        if (self.terms.payable_in_instalments and self.status in (S.IN_GRACE, S.LAPSED)
                and 0 < self.paid_instalments < self.terms.instalments):
            return self.paid_instalments + 1
        return None

    @property
    def unapplied_payments(self) -> list[PaymentLine]:
        """Payments the rules did not apply and that are not refunded yet: for a manager to act on."""
        return [p for p in self.payments if not p.applied and not p.fully_refunded]

    def next_due(self, now: datetime) -> Due | None:
        """What a renewal or the next instalment would cost now."""
        t = self.terms
        if self.status is S.LIFETIME:
            return None
        if t.payable_in_instalments:
            k = self.paid_instalments + 1
            return Due(t.instalment_amount(k), t.currency, k, t.instalments, now)
        return Due(t.price_minor, t.currency, None, None, now)

    # -- rules -----------------------------------------------------------------------------

    def _transition(self, to: MembershipStatus, reason: str, at: datetime, event: type[MembershipEvent],
                    **extra: Any) -> None:
        if (self.status, to) not in TRANSITIONS:
            raise MembershipConflict(f"no rule takes a membership from {self.status.value} to {to.value}")
        self.transitions.append(Transition(self.status, to, reason, at))
        self.status, self.status_reason, self.status_since = to, reason, at
        due = None if to is S.CANCELLED else self.next_due(at)
        self.record(event(membership_id=self.id, member_id=self.member_id, plan_id=self.plan.plan_id,
                          kind=self.terms.kind, status=to, reason=reason, at=at, paid_until=self.paid_until,
                          plan_name=self.terms.name, amount_due_minor=None if due is None else due.amount_minor,
                          currency=self.terms.currency, **extra))


    def _note(self, change: str, at: datetime) -> None:
        self.record(MembershipRecordChanged(self.id, change, at))

    @classmethod
    def join(cls, tenant: str, member_id: str, plan: PlanRef, now: datetime, *, free_first_year: bool = False,
             membership_id: str | None = None) -> Membership:
        """A new membership: pending payment, or active at once under the free-first-year rule."""
        m = cls(id=membership_id or new_id(), tenant=tenant, member_id=member_id, plan=plan, status_since=now,
                created_at=now)
        m._ask_payment(now)
        m._note("joined", now)
        if free_first_year:
            m._grant_free_year(now)
        return m

    def renew(self, plan: PlanRef, now: datetime) -> None:
        """Join again or renew (the member asks to pay): sets what is due, on `plan`'s current terms.

        Switching plans is allowed between periods, not in the middle of an instalment schedule."""
        self.advance(now)
        if self.status is S.LIFETIME:
            raise MembershipConflict("a lifetime membership is never renewed")
        if plan.plan_id != self.plan.plan_id:
            if self.terms.payable_in_instalments and 0 < self.paid_instalments < self.terms.instalments \
                    and self.status is not S.CANCELLED:
                raise MembershipConflict("finish the instalments of the current plan before changing plans")
            self.paid_instalments = 0
        if self.status in (S.LAPSED, S.CANCELLED):
            if self.status is S.CANCELLED:
                self.paid_instalments = 0
            self.plan = plan
            self._ask_payment(now)
            self._transition(S.PENDING_PAYMENT, "rejoined", now, MembershipAwaitingPayment)
            return
        self.plan = plan
        self._ask_payment(now)
        self._note("payment-requested", now)

    def _ask_payment(self, now: datetime) -> None:
        self.due = self.next_due(now)

    def _grant_free_year(self, now: datetime) -> None:
        end = add_months(now, self.terms.period_months)
        self.periods.append(Period(now, end, None, free=True))
        self.due = None
        self._transition(S.ACTIVE, "free-first-year", now, MembershipActivated, payment_id=None, reactivation=False)

    def _refuse(self, p: Payment, note: str, now: datetime) -> bool:
        self.payments.append(PaymentLine(p.payment_id, p.amount_minor, p.currency, p.paid_at, p.method, p.provider,
                                         p.instalment, p.reference, applied=False, note=note))
        self._note(f"payment-unapplied:{note}", now)
        return False

    def _chain_start(self, paid_at: datetime) -> datetime:
        """Where a newly paid period starts: where the last one ended if the member is still
        covered, in grace, or paid within the grace (a late event) — no gap; otherwise now."""
        until = self.paid_until
        if until is None:
            return paid_at
        if self.status in (S.ACTIVE, S.IN_GRACE):
            return until
        if self.grace_until is not None and paid_at < self.grace_until and until <= paid_at:
            return until
        return max(paid_at, until)  # never overlapping a period on record

    def apply_payment(self, p: Payment, now: datetime) -> bool:
        """A completed payment (`dues_paid`). Returns whether it was applied; a replay of the same
        payment id changes nothing."""
        if any(line.payment_id == p.payment_id for line in self.payments):
            return False
        self.advance(now)
        t = self.terms
        if self.status is S.CANCELLED:
            return self._refuse(p, "membership-cancelled", now)
        if self.status is S.LIFETIME:
            return self._refuse(p, "already-lifetime", now)
        if p.plan_id != self.plan.plan_id:
            return self._refuse(p, "other-plan", now)
        if p.currency != t.currency:
            return self._refuse(p, "currency", now)
        full_remaining = t.price_minor - sum(t.instalment_amount(k) for k in range(1, self.paid_instalments + 1))
        if t.kind is PlanKind.LIFETIME and (p.instalment is None or t.instalments == 1):
            instalments_paid = list(range(self.paid_instalments + 1, t.instalments + 1))
            expected = full_remaining
        elif t.kind is PlanKind.LIFETIME:
            if p.instalment != self.paid_instalments + 1:
                return self._refuse(p, "instalment-out-of-order", now)
            instalments_paid = [p.instalment]
            expected = t.instalment_amount(p.instalment)
        else:
            instalments_paid = []
            expected = t.price_minor
        if p.amount_minor < expected:
            return self._refuse(p, "amount-short", now)
        before = self.status
        reactivation = bool(self.live_periods)
        start = self._chain_start(p.paid_at)
        chained = self.paid_until is not None and start == self.paid_until
        self.payments.append(PaymentLine(p.payment_id, p.amount_minor, p.currency, p.paid_at, p.method, p.provider,
                                         p.instalment, p.reference, applied=True))
        self.due, self.last_failure = None, None
        if t.kind is PlanKind.LIFETIME:
            self.paid_instalments = instalments_paid[-1]
        if t.kind is PlanKind.LIFETIME and self.paid_instalments >= t.instalments:
            self.periods.append(Period(start, None, p.payment_id, instalment=p.instalment))
            if before in (S.PENDING_PAYMENT, S.LAPSED) and not chained:
                self._activated(p, "paid", reactivation, start)
            self._transition(S.LIFETIME, "schedule-complete", p.paid_at, MembershipBecameLifetime, payment_id=p.payment_id,
                instalments=t.instalments)
            return True
        months = t.instalment_interval_months if t.kind is PlanKind.LIFETIME else t.period_months
        self.periods.append(Period(start, add_months(start, months), p.payment_id,
                                   instalment=p.instalment if t.kind is PlanKind.LIFETIME else None))
        if before in (S.PENDING_PAYMENT, S.LAPSED) and not chained:
            self._activated(p, "paid", reactivation, start)
        else:
            reason = "instalment-paid" if t.kind is PlanKind.LIFETIME else "paid"
            self._transition(S.ACTIVE, reason, p.paid_at, MembershipRenewed, payment_id=p.payment_id,
                period_start=start, instalment=p.instalment)
        self.grace_until = None
        self.advance(now)
        return True

    def _activated(self, p: Payment, reason: str, reactivation: bool, at: datetime) -> None:
        self._transition(S.ACTIVE, reason, at, MembershipActivated, payment_id=p.payment_id, reactivation=reactivation)

    def apply_failure(self, payment_id: str, reason: str, at: datetime, instalment: int | None, now: datetime) -> None:
        """A failed payment (`dues_payment_failed`): visible on the membership, no state change —
        the period still ends when it ends, and the reminders say what is missing."""
        if self.last_failure is not None and self.last_failure.payment_id == payment_id:
            return
        if any(line.payment_id == payment_id for line in self.payments):
            return  # a later success of the same payment wins
        self.last_failure = Failure(payment_id, reason, at, instalment)
        self._note("payment-failed", now)
        self.advance(now)

    def apply_refund(self, payment_id: str, amount_minor: int, at: datetime, now: datetime) -> bool:
        """A refund (`dues_refunded`): a full refund voids the period the payment bought, a
        partial one shortens it pro rata. A member left without cover lapses (no grace: the
        money went back); a refunded lifetime is cancelled (a lifetime never lapses)."""
        line = next((x for x in self.payments if x.payment_id == payment_id), None)
        if line is None:
            return False
        self.advance(now)
        line.refunded_minor = min(line.amount_minor, line.refunded_minor + amount_minor)
        if not line.applied:
            self._note("unapplied-payment-refunded", now)
            return True
        index = next((i for i, p in enumerate(self.periods) if p.payment_id == payment_id), None)
        if index is None:
            self._note("payment-refunded", now)
            return True
        period = self.periods[index]
        if period.end is None:  # the lifetime period
            if not line.fully_refunded:
                self._note("lifetime-partially-refunded", now)  # a commercial gesture: still paid for
                return True
            self.periods[index] = replace(period, end=period.start)
            self.paid_instalments = 0
            self._cancel_for("payment-refunded", "refund", at)
            return True
        length = period.end - period.start
        kept = length * (line.amount_minor - line.refunded_minor) // line.amount_minor
        new_end = period.start + kept
        delta = period.end - new_end
        self.periods[index] = replace(period, end=new_end)
        previous_end = period.end
        for j in range(index + 1, len(self.periods)):  # periods chained after it move earlier
            nxt = self.periods[j]
            if nxt.start != previous_end:
                break
            previous_end = nxt.end or previous_end
            self.periods[j] = replace(nxt, start=nxt.start - delta, end=None if nxt.end is None else nxt.end - delta)
        if line.fully_refunded and self.terms.kind is PlanKind.LIFETIME and period.instalment is not None:
            self.paid_instalments = max(0, self.paid_instalments - 1)
        if self.status in (S.ACTIVE, S.IN_GRACE) and not self.covered(now):
            self.grace_until = None
            self._transition(S.LAPSED, "payment-refunded", now, MembershipLapsed, missed_instalment=None)
        else:
            self._note("payment-refunded", now)
        return True

    def advance(self, now: datetime) -> bool:
        """Time rules: end of period → grace, end of grace → lapsed. Catches up in one call and
        dates each transition when it was due. Returns whether anything changed."""
        changed = False
        while True:
            until = self.paid_until
            if self.status is S.ACTIVE and until is not None and now >= until:
                self.grace_until = until + timedelta(days=self.terms.grace_days)
                missed = self.paid_instalments + 1 if (self.terms.payable_in_instalments
                                                        and self.paid_instalments < self.terms.instalments) else None
                reason = "instalment-missed" if missed else "period-ended"
                self._transition(S.IN_GRACE, reason, until, MembershipEnteredGrace, grace_until=self.grace_until,
                    missed_instalment=missed)
            elif self.status is S.IN_GRACE and self.grace_until is not None and now >= self.grace_until:
                missed = self.missed_instalment
                self._transition(S.LAPSED, "grace-ended", self.grace_until, MembershipLapsed,
                    missed_instalment=missed)
            else:
                return changed
            changed = True

    def next_deadline(self) -> datetime | None:
        """When `advance` will next have something to do (the scheduler's index)."""
        if self.status is S.ACTIVE:
            return self.paid_until
        if self.status is S.IN_GRACE:
            return self.grace_until
        return None

    def cancel(self, by: str, reason: str, now: datetime) -> None:
        """Cancelled by the member or the office (a refund is a separate, explicit step)."""
        if self.status is S.CANCELLED:
            return
        self._cancel_for(reason or "cancelled", by, now)

    def _cancel_for(self, reason: str, by: str, at: datetime) -> None:
        """Cancelling ends the cover at once (periods are cut at `at`; a refund is a separate step)."""
        self.due = None
        self.periods = [p if p.end is not None and p.end <= at else replace(p, end=max(p.start, at))
                        for p in self.periods]
        self._transition(S.CANCELLED, reason, at, MembershipCancelled, by=by)
