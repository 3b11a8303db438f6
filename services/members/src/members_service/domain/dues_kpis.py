"""Dues KPIs by cohort and program: what each member and membership contributes, and the rates.

The projection is a sum of *contributions*: every member of record contributes counters to
its cell (primary cohort = graduation year + program); its dues membership contributes
gauges (its current state), flows dated by month (renewals, lapses, reactivations) and net
revenue by plan and month. A contribution is a pure function of the member's and the
membership's current records, so:

- the incremental projection keeps, per member, the contribution it last counted and applies
  `new - old` (an event only says *which member to look at again*: redelivered, reordered or
  duplicated events change nothing);
- a rebuild is the sum of every member's contribution plus the residue of erased members;
- both agree by construction, and `fold` is associative and commutative.

Erasure: the member's gauges (alumni of record, contactable, current state, conversion)
leave the figures; what already happened (renewals, lapses, reactivations, revenue) stays,
kept in an aggregate-only residue without any member reference.

Definitions (README "Dues KPIs"); months are UTC calendar months `YYYY-MM`:

- *alumni of record*: members on the register (not erased). *contactable*: has an email, the
  email does not bounce, not known deceased, and has not withdrawn the `fundraising` consent
  (consents are opt-in per purpose; no record is not an opt-out).
- *dues members* (*cotisants*): membership `active` (a free first year included) or
  `lifetime` now; `in_grace` is counted apart. Participation = dues members ÷ alumni of record
  (and ÷ contactable alumni).
- *renewal rate* over months [from, to]: renewals (a payment extending an active or in-grace
  annual membership, dated by payment) ÷ (renewals + annual memberships that lapsed at the end
  of their grace in those months): of the renewals decided in the period, the share won.
- *new-graduate conversion*: alumni of record with a graduation year whose membership first
  became active or lifetime before 1 July of the year after graduation (12 months after a
  graduation assumed on 1 July) ÷ alumni of record of those cohorts.
- *lifetime share*: lifetime members ÷ dues members.
- *reactivation rate* over [from, to]: of the lapses in those months, the share followed later
  by a return to active or lifetime (as of now).
- *revenue* by plan and month: dues received (every payment, applied or not), minus what was
  refunded of them, in minor units per currency, dated by the month the payment was received
  (a refund reduces the month of the payment it refunds).

Pure Python, no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from members_service.domain.consent import Purpose
from members_service.domain.membership import Membership, MembershipStatus
from members_service.domain.model import Member
from members_service.domain.profile import DeceasedStatus

S = MembershipStatus
# A key: (kind, a, b, c, d). kinds: "cell" (a=year, b=program, c=metric) — gauges;
# "flow" (a=year, b=program, c=metric, d=month); "rev" (a=plan_id, b=currency, d=month).
Key = tuple[str, int, str, str, str]
Contribution = Counter[Key]

GAUGES = ("alumni", "contactable", "active", "in_grace", "lifetime", "converted")
FLOWS = ("renewed", "lapsed_unrenewed", "lapsed", "reactivated")


class Dimension(StrEnum):
    COHORT = "cohort"
    PROGRAM = "program"


def month(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m")


def is_contactable(member: Member) -> bool:
    withdrawn = member.consents.get(Purpose.FUNDRAISING)
    return (bool(member.emails) and not member.email_bounced and member.deceased is not DeceasedStatus.CONFIRMED
            and not (withdrawn is not None and not withdrawn.granted))


def conversion_deadline(graduation_year: int) -> datetime:
    return datetime(graduation_year + 1, 7, 1, tzinfo=UTC)


def contribution(member: Member | None, membership: Membership | None) -> Contribution:
    """What one member (and their dues membership) counts for now. No member: erased — nothing
    (the caller keeps the erased member's flows in the residue)."""
    out: Contribution = Counter()
    if member is None:
        return out
    cohort = member.cohort
    year, program = cohort.graduation_year, cohort.program

    def cell(metric: str) -> Key:
        return ("cell", year, program, metric, "")

    def flow(metric: str, at: datetime) -> Key:
        return ("flow", year, program, metric, month(at))

    out[cell("alumni")] += 1
    if is_contactable(member):
        out[cell("contactable")] += 1
    if membership is None:
        return out
    if membership.status in (S.ACTIVE, S.IN_GRACE, S.LIFETIME):
        out[cell(membership.status.value)] += 1
    first_member_at = next((t.at for t in membership.transitions if t.to_status in (S.ACTIVE, S.LIFETIME)), None)
    if first_member_at is not None and year > 0 and first_member_at < conversion_deadline(year):
        out[cell("converted")] += 1
    grace_reason = ""
    open_lapse: datetime | None = None
    for t in membership.transitions:
        if t.to_status is S.IN_GRACE:
            grace_reason = t.reason
        if t.to_status is S.ACTIVE and t.from_status in (S.ACTIVE, S.IN_GRACE) and t.reason == "paid":
            out[flow("renewed", t.at)] += 1
        if t.to_status is S.LAPSED:
            out[flow("lapsed", t.at)] += 1
            open_lapse = t.at
            if t.from_status is S.IN_GRACE and t.reason == "grace-ended" and grace_reason == "period-ended":
                out[flow("lapsed_unrenewed", t.at)] += 1
        if t.to_status in (S.ACTIVE, S.LIFETIME) and open_lapse is not None:
            out[flow("reactivated", open_lapse)] += 1
            open_lapse = None
    plan_id = membership.plan.plan_id
    for p in membership.payments:
        net = p.amount_minor - min(p.refunded_minor, p.amount_minor)
        if net:
            out[("rev", 0, plan_id, p.currency, month(p.paid_at))] += net
    return Counter({k: v for k, v in out.items() if v})


def kept_after_erasure(counted: Mapping[Key, int]) -> Contribution:
    """What stays of an erased member: the flows and revenue (history), not the gauges."""
    return Counter({k: v for k, v in counted.items() if k[0] != "cell" and v})


def delta(old: Mapping[Key, int], new: Mapping[Key, int]) -> Contribution:
    out: Contribution = Counter()
    for k in set(old) | set(new):
        d = new.get(k, 0) - old.get(k, 0)
        if d:
            out[k] = d
    return out


def fold(state: Mapping[Key, int], change: Mapping[Key, int]) -> Contribution:
    """The projection's state plus a change (a delta or a contribution); zeros dropped."""
    out: Contribution = Counter(state)
    for k, v in change.items():
        out[k] += v
        if out[k] == 0:
            del out[k]
    return out


def total(contributions: Iterable[Mapping[Key, int]]) -> Contribution:
    state: Contribution = Counter()
    for c in contributions:
        state = fold(state, c)
    return state


# -- reading: the rates ------------------------------------------------------------------------

@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        """None when nothing to divide (shown as "—", never 0 %)."""
        return None if self.denominator == 0 else round(self.numerator / self.denominator, 4)


@dataclass(frozen=True)
class KpiRow:
    key: str  # "2019" (cohort) or the program; "" for members without a cohort on record
    alumni: int
    contactable: int
    members: int  # active + lifetime
    in_grace: int
    lifetime: int
    participation: Ratio
    participation_contactable: Ratio
    renewal: Ratio
    conversion: Ratio
    lifetime_share: Ratio
    reactivation: Ratio


@dataclass(frozen=True)
class RevenueLine:
    plan_id: str
    month: str
    currency: str
    amount_minor: int


@dataclass(frozen=True)
class KpiReport:
    by: Dimension
    from_month: str
    to_month: str
    rows: list[KpiRow]
    total: KpiRow
    revenue: list[RevenueLine]


def _row(key: str, c: Counter[str]) -> KpiRow:
    members = c["active"] + c["lifetime"]
    return KpiRow(
        key=key, alumni=c["alumni"], contactable=c["contactable"], members=members, in_grace=c["in_grace"],
        lifetime=c["lifetime"], participation=Ratio(members, c["alumni"]),
        participation_contactable=Ratio(members, c["contactable"]),
        renewal=Ratio(c["renewed"], c["renewed"] + c["lapsed_unrenewed"]),
        conversion=Ratio(c["converted"], c["alumni_graduated"]), lifetime_share=Ratio(c["lifetime"], members),
        reactivation=Ratio(c["reactivated"], c["lapsed"]))


def report(state: Mapping[Key, int], by: Dimension, from_month: str, to_month: str,
           cohort_from: int | None = None, cohort_to: int | None = None) -> KpiReport:
    """Rows by cohort (graduation year) or program; gauges as of now, flows over the months
    [from_month, to_month]; revenue by plan and month over the same months."""
    rows: dict[str, Counter[str]] = {}
    whole: Counter[str] = Counter()
    revenue: list[RevenueLine] = []
    for (kind, year, program_or_plan, metric_or_currency, at_month), n in state.items():
        if n == 0:
            continue
        if kind == "rev":
            if from_month <= at_month <= to_month:
                revenue.append(RevenueLine(program_or_plan, at_month, metric_or_currency, n))
            continue
        if kind == "flow" and not from_month <= at_month <= to_month:
            continue
        if (cohort_from is not None and year < cohort_from) or (cohort_to is not None and year > cohort_to):
            continue
        key = (str(year) if year else "") if by is Dimension.COHORT else program_or_plan
        counters = rows.setdefault(key, Counter())
        for target in (counters, whole):
            target[metric_or_currency] += n
            if metric_or_currency == "alumni" and year > 0:
                target["alumni_graduated"] += n
    if by is Dimension.COHORT:  # newest class first, members without a cohort last
        ordered = sorted(rows.items(), key=lambda kv: (kv[0] == "", -int(kv[0]) if kv[0] else 0))
    else:
        ordered = sorted(rows.items(), key=lambda kv: (kv[0] == "", kv[0]))
    revenue.sort(key=lambda r: (r.month, r.plan_id, r.currency))
    return KpiReport(by, from_month, to_month, [_row(k, c) for k, c in ordered], _row("*", whole), revenue)
