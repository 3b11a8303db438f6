"""Dues reminders: which reminder a membership is due, from this service's view of it.

The view is a projection of the members service's `membership_*` events. A reminder is one
(member, period, stage): the period is the `paid_until` it is about, so a payment that moves
the period on makes every pending stage of the old period moot. Stages, in order:

- `renewal_notice`: an active membership (annual, or a lifetime plan still in instalments)
  within `notice_days` of `paid_until`;
- `expired` (or `instalment_missed` when an instalment was missed): on entering grace;
- `grace`: during grace, once `grace_fraction` of it has passed, until it ends;
- `lapsed`: when the grace ended without payment (queued with the `membership_lapsed` event
  itself, not by the sweep; none after a refund: the member asked for their money back).

A sweep that catches up after downtime sends only the latest stage due (the earlier one is
recorded as superseded), never a renewal notice for a period already over. No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Stage(StrEnum):
    RENEWAL_NOTICE = "renewal_notice"
    EXPIRED = "expired"
    INSTALMENT_MISSED = "instalment_missed"
    GRACE = "grace"
    LAPSED = "lapsed"


TEMPLATE_PREFIX = "dues_"
SKIPPED = "skipped"  # recorded for a stage not sent: member not contactable, or superseded by a later one
ACTIVE, IN_GRACE, LAPSED = "active", "in_grace", "lapsed"
REFUNDED = "payment-refunded"  # the lapse a refund caused: no notice
# Membership events: states after which nothing is reminded.
QUIET = frozenset({"pending_payment", "lapsed", "lifetime", "cancelled"})


def template_of(stage: Stage) -> str:
    return f"{TEMPLATE_PREFIX}{stage.value}"


def period_key(paid_until: datetime) -> str:
    """The period a reminder is about, as it appears in its delivery key."""
    return paid_until.strftime("%Y%m%dT%H%M%SZ")


# Short stage codes in delivery keys: a key is the notification id of `notification_sent`, an
# `Identifier` of at most 64 characters (code 6 + member UUID 36 + period 16 + 2 dashes = 60).
KEY_CODES = {Stage.RENEWAL_NOTICE: "due-rn", Stage.EXPIRED: "due-ex", Stage.INSTALMENT_MISSED: "due-im",
             Stage.GRACE: "due-gr", Stage.LAPSED: "due-la"}


def delivery_key(stage: Stage, member_id: str, paid_until: datetime) -> str:
    """One notification per (member, period, stage), whatever replica or retry queues it."""
    return f"{KEY_CODES[stage]}-{member_id}-{period_key(paid_until)}"


@dataclass(frozen=True)
class ReminderPolicy:
    notice_days: int = 30
    grace_fraction: float = 0.5  # the grace reminder once this share of the grace period has passed

    def notice_from(self, paid_until: datetime) -> datetime:
        return paid_until - timedelta(days=self.notice_days)

    def grace_reminder_at(self, paid_until: datetime, grace_until: datetime) -> datetime:
        return paid_until + (grace_until - paid_until) * self.grace_fraction


@dataclass
class MembershipView:
    """What notifications knows of a dues membership (one document per membership)."""

    tenant: str
    membership_id: str
    member_id: str
    plan_kind: str  # annual | lifetime
    status: str
    paid_until: datetime | None
    grace_until: datetime | None = None
    missed_instalment: int | None = None
    instalments_paid: int | None = None
    plan_name: str | None = None  # from events that carry them (members' `membership_*` v1, optional fields)
    amount_due_minor: int | None = None
    currency: str | None = None
    version: int = 0
    last_event_id: str = ""
    reminded: dict[str, str] = field(default_factory=dict)  # stage → period key (or `skipped:<period>`)

    @property
    def in_instalments(self) -> bool:
        """A lifetime plan still being paid in instalments (active with a period)."""
        return self.plan_kind == "lifetime" and self.status == ACTIVE

    def was_reminded(self, stage: Stage) -> bool:
        if self.paid_until is None:
            return False
        return self.reminded.get(stage.value) in (period_key(self.paid_until), f"{SKIPPED}:{period_key(self.paid_until)}")


@dataclass(frozen=True)
class Transition:
    """One `membership_*` event, as far as reminders care."""

    event_id: str
    version: int
    tenant: str
    membership_id: str
    member_id: str
    plan_kind: str
    status: str
    paid_until: datetime | None
    grace_until: datetime | None = None
    missed_instalment: int | None = None
    instalment_paid: int | None = None  # the instalment a payment covered (1 for a first instalment)
    reason: str = ""
    plan_name: str | None = None
    amount_due_minor: int | None = None
    currency: str | None = None


def lapse_notice_due(t: Transition) -> bool:
    """A lapse is announced once, with its event (applied for the first time), unless a refund caused it."""
    return t.status == LAPSED and t.reason != REFUNDED and t.paid_until is not None


def apply(view: MembershipView | None, t: Transition) -> MembershipView | None:
    """The view after `t`, or None when `t` is older than (or the same as) what the view reflects."""
    if view is not None and view.version >= t.version:
        return None
    reminded = dict(view.reminded) if view is not None else {}
    if view is not None and view.paid_until != t.paid_until:
        reminded = {}  # a new period: its stages are all still to come
    instalments_paid = t.instalment_paid if t.instalment_paid is not None else (
        view.instalments_paid if view is not None else None)
    in_grace = t.status == IN_GRACE
    told = view if t.plan_name is None and view is not None else None
    return MembershipView(
        tenant=t.tenant, membership_id=t.membership_id, member_id=t.member_id, plan_kind=t.plan_kind,
        status=t.status, paid_until=t.paid_until, grace_until=t.grace_until if in_grace else None,
        missed_instalment=t.missed_instalment if t.status in (IN_GRACE, LAPSED) else None, instalments_paid=instalments_paid,
        # An event from before these fields existed keeps what the view knew.
        plan_name=t.plan_name if told is None else told.plan_name,
        amount_due_minor=t.amount_due_minor if told is None else told.amount_due_minor,
        currency=t.currency if told is None else told.currency,
        version=t.version, last_event_id=t.event_id, reminded=reminded)


def due(view: MembershipView, now: datetime, policy: ReminderPolicy) -> tuple[Stage | None, list[Stage]]:
    """The stage to send now (or None), and the earlier stages of the period it supersedes."""
    until = view.paid_until
    if view.status in QUIET or until is None:
        return None, []
    if view.status == ACTIVE:
        if policy.notice_from(until) <= now < until and not view.was_reminded(Stage.RENEWAL_NOTICE):
            return Stage.RENEWAL_NOTICE, []
        return None, []
    if view.status != IN_GRACE or view.grace_until is None or now >= view.grace_until:
        return None, []
    entry = Stage.INSTALMENT_MISSED if view.missed_instalment is not None else Stage.EXPIRED
    if now >= policy.grace_reminder_at(until, view.grace_until):
        if view.was_reminded(Stage.GRACE):
            return None, []
        return Stage.GRACE, [] if view.was_reminded(entry) else [entry]
    if now >= until and not view.was_reminded(entry):
        return entry, []
    return None, []


def still_relevant(view: MembershipView, stage: Stage, period: str) -> bool:
    """Whether a reminder queued earlier (not yet sent) still says something true: a payment,
    a lapse or a cancellation withdraws it."""
    if view.paid_until is None or period_key(view.paid_until) != period:
        return False
    if view.status == ACTIVE:
        return stage is Stage.RENEWAL_NOTICE
    if view.status == LAPSED:
        return stage is Stage.LAPSED
    return view.status == IN_GRACE and stage not in (Stage.RENEWAL_NOTICE, Stage.LAPSED)


MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def long_date(at: datetime, locale: str) -> str:
    """`15 mars 2027` / `15 March 2027` (UTC date)."""
    months = MONTHS.get(locale, MONTHS["fr"])
    day = "1er" if locale == "fr" and at.day == 1 else str(at.day)
    return f"{day} {months[at.month - 1]} {at.year}"


def money(minor: int, currency: str, locale: str) -> str:
    """`60,00 €` / `€60.00` (two decimals; the currency's symbol where common, else its code)."""
    symbol = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF", "CAD": "CA$"}.get(currency, currency)
    units, cents = divmod(minor, 100)
    if locale == "fr":
        return f"{units:,}".replace(",", "\u202f") + f",{cents:02d}\u00a0{symbol}"
    return f"{symbol}{units:,}.{cents:02d}" if len(symbol) == 1 else f"{symbol} {units:,}.{cents:02d}"
