"""Use cases of the dues KPIs (staff): the figures by cohort or program, and the rebuild."""

from __future__ import annotations

from typing import Any

from alumni_contracts.members import kpis as c
from alumni_contracts.rpc import STAFF
from members_service.domain import dues_kpis as k
from members_service.entrypoints.use_cases.common import actor, command, query
from members_service.service_layer import kpis
from servicekit.bus import UseCase


def _rate(r: k.Ratio) -> c.KpiRate:
    return c.KpiRate(numerator=r.numerator, denominator=r.denominator, rate=r.rate)


def _row(r: k.KpiRow) -> c.MembershipKpiRow:
    return c.MembershipKpiRow(
        key=r.key, alumni=r.alumni, contactable=r.contactable, members=r.members, in_grace=r.in_grace,
        lifetime=r.lifetime, participation=_rate(r.participation),
        participation_contactable=_rate(r.participation_contactable), renewal=_rate(r.renewal),
        conversion=_rate(r.conversion), lifetime_share=_rate(r.lifetime_share), reactivation=_rate(r.reactivation))


def kpis_out(result: kpis.KpiReportWithPlans) -> c.MembershipKpis:
    r = result.report
    return c.MembershipKpis(
        by=c.KpiDimension(r.by.value), from_month=r.from_month, to_month=r.to_month, rows=[_row(x) for x in r.rows],
        total=_row(r.total),
        revenue=[c.RevenueLineOut(plan_id=x.plan_id, plan_name=result.plan_names.get(x.plan_id, ""), month=x.month,
                                  currency=x.currency, amount_minor=x.amount_minor) for x in r.revenue])


def rebuilt_out(r: kpis.RebuildResult) -> c.MembershipKpisRebuilt:
    return c.MembershipKpisRebuilt(members=r.members, memberships=r.memberships, changed_figures=r.changed_keys)


USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=query(c.MEMBERSHIP_KPIS), request=c.MembershipKpisQuery, roles=STAFF,
            message=lambda req, who: kpis.KpiQuery(who.tenant, actor(who), k.Dimension(req.by.value), req.from_month,
                                                   req.to_month, req.cohort_from, req.cohort_to),
            reply=kpis_out,
            description="Dues KPIs by cohort or program: participation, renewal, conversion, lifetime share, "
                        "reactivation, revenue by plan and month."),
    UseCase(subject=command(c.REBUILD_MEMBERSHIP_KPIS), request=c.RebuildMembershipKpis, roles=STAFF,
            idempotent=True, message=lambda req, who: kpis.RebuildKpis(who.tenant, actor(who)), reply=rebuilt_out,
            description="Recompute the tenant's dues KPIs from the register and the stored memberships."),
]
