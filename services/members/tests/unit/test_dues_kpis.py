"""Dues KPIs (issue 10 item 6): each definition on a worked example, and properties of the
projection — recounting members incrementally in any order, with duplicates, gives the same
figures as a rebuild over the final records (plus the residue of erased members)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from members_service.domain import dues_kpis as k
from members_service.domain.consent import Channel, ConsentRecord, Purpose
from members_service.domain.membership import Membership, MembershipConflict, Payment, PlanKind, PlanRef, PlanTerms
from members_service.domain.model import Member
from members_service.domain.profile import Cohort

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
ANNUAL = PlanRef("standard", 1, PlanTerms("Standard", PlanKind.ANNUAL, 6000, "EUR", grace_days=30))
LIFE = PlanRef("life", 1, PlanTerms("À vie", PlanKind.LIFETIME, 90000, "EUR"))


def member(year: int = 2024, program: str = "MSc", email: str | None = "a@example.org") -> Member:
    return Member.register(tenant="demo", first_name="Zoé", last_name="Martin", email=email, locale="fr",
                           cohort=Cohort(program, year), now=T0)


def paid(m: Membership, n: int, at: datetime, plan: PlanRef = ANNUAL) -> None:
    assert m.apply_payment(Payment(f"pay-{m.id}-{n}", plan.plan_id, plan.terms.price_minor, "EUR", at), at)


def cell(metric: str, year: int = 2024, program: str = "MSc") -> k.Key:
    return ("cell", year, program, metric, "")


def flow(metric: str, at: str, year: int = 2024, program: str = "MSc") -> k.Key:
    return ("flow", year, program, metric, at)


def test_a_member_without_membership_counts_in_the_denominators_only() -> None:
    assert k.contribution(member(), None) == Counter({cell("alumni"): 1, cell("contactable"): 1})
    assert k.contribution(member(email=None), None) == Counter({cell("alumni"): 1})
    bounced = member()
    bounced.email_bounced = True
    assert k.contribution(bounced, None) == Counter({cell("alumni"): 1})
    opted_out = member()
    opted_out.consents[Purpose.FUNDRAISING] = ConsentRecord(Purpose.FUNDRAISING, False, "v1", "fr", Channel.WEB,
                                                            "me", "alumnus", T0)
    assert k.contribution(opted_out, None) == Counter({cell("alumni"): 1})
    assert k.contribution(None, None) == Counter()  # erased


def test_new_graduate_pays_renews_in_grace_lapses_and_comes_back() -> None:
    zoe = member(2024)
    m = Membership.join("demo", zoe.id, ANNUAL, T0)
    paid(m, 1, T0)  # March 2025: before 1 July 2025, a converted new graduate
    c = k.contribution(zoe, m)
    assert c[cell("active")] == 1 and c[cell("converted")] == 1 and c[("rev", 0, "standard", "EUR", "2025-03")] == 6000
    m.advance(T0 + timedelta(days=370))  # period ended 10 March 2026: grace
    paid(m, 2, T0 + timedelta(days=370))  # renewed during grace
    c = k.contribution(zoe, m)
    assert c[cell("active")] == 1 and c[flow("renewed", "2026-03")] == 1 and not c[cell("in_grace")]
    m.advance(datetime(2027, 5, 1, tzinfo=UTC))  # no renewal: grace then lapse on 9 April 2027
    c = k.contribution(zoe, m)
    assert c[flow("lapsed", "2027-04")] == c[flow("lapsed_unrenewed", "2027-04")] == 1 and not c[cell("active")]
    assert not c[flow("reactivated", "2027-04")]
    m.renew(ANNUAL, datetime(2027, 9, 1, tzinfo=UTC))
    paid(m, 3, datetime(2027, 9, 1, tzinfo=UTC))
    c = k.contribution(zoe, m)
    assert c[flow("reactivated", "2027-04")] == 1 and c[cell("active")] == 1
    assert sum(v for key, v in c.items() if key[0] == "rev") == 18000


def test_a_late_first_payment_is_not_a_conversion_and_a_refund_nets_revenue() -> None:
    old = member(2023)
    m = Membership.join("demo", old.id, ANNUAL, T0)
    paid(m, 1, datetime(2024, 7, 1, tzinfo=UTC))  # 12 months after an assumed 1 July 2023 graduation: too late
    assert not k.contribution(old, m)[cell("converted", 2023)]
    m.apply_refund(f"pay-{m.id}-1", 2000, datetime(2024, 8, 1, tzinfo=UTC), datetime(2024, 8, 1, tzinfo=UTC))
    assert k.contribution(old, m)[("rev", 0, "standard", "EUR", "2024-07")] == 4000  # the month of the payment


def test_report_rates_by_cohort_and_program() -> None:
    state: Counter[k.Key] = Counter()
    ms = []
    for i, (year, program) in enumerate([(2024, "MSc"), (2024, "MBA"), (2020, "MSc"), (2020, "MSc")]):
        x = member(year, program, email=None if i == 3 else f"m{i}@example.org")
        m = Membership.join("demo", x.id, LIFE if i == 0 else ANNUAL, T0)
        if i < 3:
            paid(m, 1, T0, LIFE if i == 0 else ANNUAL)
        ms.append(m)
        state = k.fold(state, k.contribution(x, m))
    by_cohort = k.report(state, k.Dimension.COHORT, "2025-01", "2025-12")
    assert [r.key for r in by_cohort.rows] == ["2024", "2020"]
    r2024, r2020 = by_cohort.rows
    assert (r2024.alumni, r2024.members, r2024.lifetime) == (2, 2, 1)
    assert r2024.participation.rate == 1.0 and r2024.lifetime_share.rate == 0.5 and r2024.conversion.rate == 1.0
    assert (r2020.alumni, r2020.contactable, r2020.members) == (2, 1, 1)
    assert r2020.participation.rate == 0.5 and r2020.participation_contactable.rate == 1.0
    assert r2020.conversion.rate == 0.0 and r2020.renewal.rate is None  # nothing due: "—", never 0 %
    by_program = k.report(state, k.Dimension.PROGRAM, "2025-01", "2025-12")
    assert {r.key: r.alumni for r in by_program.rows} == {"MBA": 1, "MSc": 3}
    assert by_program.total.members == by_cohort.total.members == 3
    assert {(r.plan_id, r.amount_minor) for r in by_cohort.revenue} == {("life", 90000), ("standard", 12000)}
    assert k.report(state, k.Dimension.COHORT, "2026-01", "2026-12").revenue == []
    only_recent = k.report(state, k.Dimension.COHORT, "2025-01", "2025-12", cohort_from=2021)
    assert [r.key for r in only_recent.rows] == ["2024"]


def test_erasure_keeps_history_and_drops_gauges() -> None:
    x = member()
    m = Membership.join("demo", x.id, ANNUAL, T0)
    paid(m, 1, T0)
    m.advance(T0 + timedelta(days=500))
    counted = k.contribution(x, m)
    kept = k.kept_after_erasure(counted)
    assert all(key[0] != "cell" for key in kept) and kept[flow("lapsed", "2026-04")] == 1
    assert k.fold(counted, k.delta(counted, kept)) == kept


# -- properties ----------------------------------------------------------------------------------

@dataclass
class World:
    """Members' records as they evolve, and a projection recounted as events arrive."""

    members: dict[str, Member] = field(default_factory=dict)
    memberships: dict[str, Membership] = field(default_factory=dict)
    counted: dict[str, Counter[k.Key]] = field(default_factory=dict)
    residue: Counter[k.Key] = field(default_factory=Counter)
    figures: Counter[k.Key] = field(default_factory=Counter)
    pending: list[str] = field(default_factory=list)  # members named by events not handled yet
    now: datetime = T0

    def recount(self, member_id: str) -> None:
        """What `service_layer.kpis.recount_member` does, without the database."""
        old = self.counted.get(member_id, Counter())
        x = self.members.get(member_id)
        if x is None:
            kept = k.kept_after_erasure(old)
            self.figures = k.fold(self.figures, k.delta(old, kept))
            if old:
                self.residue = k.fold(self.residue, kept)
                del self.counted[member_id]
            return
        new = k.contribution(x, self.memberships.get(member_id))
        self.figures = k.fold(self.figures, k.delta(old, new))
        self.counted[member_id] = new

    def rebuild(self) -> Counter[k.Key]:
        return k.total([self.residue, *(k.contribution(x, self.memberships.get(i)) for i, x in self.members.items())])


ops = st.lists(st.tuples(st.sampled_from(["register", "join", "pay", "life", "advance", "refund", "cancel",
                                          "erase", "optout", "deliver", "duplicate"]),
                         st.integers(0, 5), st.integers(1, 400)), max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops, st.randoms(use_true_random=False))
def test_incremental_recounts_in_any_order_equal_the_rebuild(steps: list[tuple[str, int, int]],
                                                             rnd: random.Random) -> None:
    w = World()
    for n, (op, who, amount) in enumerate(steps):
        ids = list(w.members)
        target = ids[who % len(ids)] if ids else None
        w.now += timedelta(days=amount % 60)
        if op == "register" or target is None:
            x = member(2018 + who, ["MSc", "MBA"][amount % 2], email=None if amount % 7 == 0 else f"{n}@example.org")
            w.members[x.id] = x
            w.pending.append(x.id)
            continue
        m = w.memberships.get(target)
        try:
            if op == "join" and m is None:
                w.memberships[target] = Membership.join("demo", target, ANNUAL, w.now)
            elif op == "join" and m is not None:
                m.renew(ANNUAL, w.now)
            elif op in ("pay", "life") and m is not None:
                plan = LIFE if op == "life" else ANNUAL
                if plan.plan_id != m.plan.plan_id:
                    m.renew(plan, w.now)
                m.apply_payment(Payment(f"p{n}", plan.plan_id, plan.terms.price_minor, "EUR", w.now), w.now)
            elif op == "advance" and m is not None:
                w.now += timedelta(days=amount)
                m.advance(w.now)
            elif op == "refund" and m is not None and m.payments:
                line = m.payments[amount % len(m.payments)]
                m.apply_refund(line.payment_id, amount * 37 % line.amount_minor + 1, w.now, w.now)
            elif op == "cancel" and m is not None:
                m.cancel("staff", "asked", w.now)
            elif op == "erase":
                del w.members[target]
                w.memberships.pop(target, None)
            elif op == "optout":
                w.members[target].consents[Purpose.FUNDRAISING] = ConsentRecord(
                    Purpose.FUNDRAISING, amount % 2 == 0, "v1", "fr", Channel.WEB, "me", "alumnus", w.now)
            elif op == "duplicate":
                w.recount(target)
                before = Counter(w.figures)
                w.recount(target)  # the same event redelivered: nothing changes
                assert w.figures == before
        except MembershipConflict:
            pass
        w.pending.append(target)
        if op == "deliver":  # events reach the projection late and in any order
            rnd.shuffle(w.pending)
            for member_id in w.pending[: amount % (len(w.pending) + 1)]:
                w.recount(member_id)
            del w.pending[: amount % (len(w.pending) + 1)]
    for member_id in {*w.pending, *w.counted, *w.members}:
        w.recount(member_id)
    assert w.figures == w.rebuild()
    assert all(v > 0 for key, v in w.figures.items() if key[0] != "rev")
