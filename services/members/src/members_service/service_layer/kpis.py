"""Dues KPIs: keep the projection current, rebuild it, read it (definitions in
`domain.dues_kpis` and the README's "Dues KPIs").

Every event about a member (registered, profile or consent changed, erased, a membership
transition, a dues payment or refund) runs `recount_member` in one transaction with its inbox
record: the member's contribution is recomputed from members' own records and only the
difference with what was counted before is applied. A redelivered or reordered event
therefore changes nothing more, and `rebuild` (the sum over the register and the stored
memberships, plus the erased members' residue) gives the same figures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from members_service.domain import dues_kpis as k
from members_service.domain.membership import Membership, Plan
from members_service.domain.model import Member, NotAllowed
from members_service.service_layer.commands import Actor
from members_service.service_layer.ports import DuesMembershipRepository, MemberRepository, PlanRepository
from servicekit.logging import get_logger
from servicekit.uow import UnitOfWork

log = get_logger(__name__)


class DuesKpiRepository(Protocol):
    async def counted(self, tenant: str, member_id: str) -> k.Contribution | None: ...
    async def set_counted(self, tenant: str, member_id: str, contribution: k.Contribution) -> None: ...
    async def forget_counted(self, tenant: str, member_id: str) -> None: ...
    async def apply(self, tenant: str, change: k.Contribution) -> None: ...
    async def add_residue(self, tenant: str, kept: k.Contribution) -> None: ...
    async def figures(self, tenant: str, from_month: str | None = None,
                      to_month: str | None = None) -> k.Contribution: ...
    async def residue(self, tenant: str) -> k.Contribution: ...
    def members_with_memberships(self, tenant: str) -> AsyncIterator[tuple[Member, Membership | None]]: ...
    async def replace_all(self, tenant: str, figures: k.Contribution,
                          counted: dict[str, k.Contribution]) -> None: ...


class KpiUnitOfWork(UnitOfWork, Protocol):
    @property
    def members(self) -> MemberRepository: ...
    @property
    def dues_memberships(self) -> DuesMembershipRepository: ...
    @property
    def membership_plans(self) -> PlanRepository: ...
    @property
    def dues_kpis(self) -> DuesKpiRepository: ...


class PaymentNotYetOnMembership(Exception):
    """`dues_paid`/`dues_refunded` reached the KPIs before members' own rules recorded it on the
    membership: transient, the redelivery (with the consumer's backoff) finds it there."""


def _staff(actor: Actor) -> None:
    if not actor.staff:
        raise NotAllowed("dues KPIs are for the alumni office")


async def recount_member(tenant: str, member_id: str, uow: KpiUnitOfWork, *, payment_id: str | None = None,
                         refunded_minor: int | None = None) -> k.Contribution:
    """Recount one member; returns the change applied to the figures. `payment_id`: the event
    was about this payment, which must already be on the membership (else retried later)."""
    async with uow:
        member = await uow.members.get(tenant, member_id)
        membership = await uow.dues_memberships.of_member(tenant, member_id)
        if member is not None and membership is not None and payment_id is not None:
            line = next((p for p in membership.payments if p.payment_id == payment_id), None)
            if line is None or (refunded_minor is not None and line.refunded_minor < min(refunded_minor,
                                                                                         line.amount_minor)):
                raise PaymentNotYetOnMembership(payment_id)
        old = await uow.dues_kpis.counted(tenant, member_id) or k.Contribution()
        if member is None:  # erased (or never on record): keep the history, drop the gauges
            kept = k.kept_after_erasure(old)
            change = k.delta(old, kept)
            if old:
                await uow.dues_kpis.add_residue(tenant, kept)
                await uow.dues_kpis.forget_counted(tenant, member_id)
        else:
            new = k.contribution(member, membership)
            change = k.delta(old, new)
            if change or not old:
                await uow.dues_kpis.set_counted(tenant, member_id, new)
        await uow.dues_kpis.apply(tenant, change)
        await uow.commit()
    return change


@dataclass(frozen=True)
class KpiQuery:
    tenant: str
    actor: Actor
    by: k.Dimension
    from_month: str
    to_month: str
    cohort_from: int | None = None
    cohort_to: int | None = None


@dataclass(frozen=True)
class KpiReportWithPlans:
    report: k.KpiReport
    plan_names: dict[str, str]


@dataclass(frozen=True)
class RebuildKpis:
    tenant: str
    actor: Actor


async def rebuild_kpis(cmd: RebuildKpis, uow: KpiUnitOfWork) -> RebuildResult:
    return await rebuild(cmd.tenant, cmd.actor, uow)


async def membership_kpis(q: KpiQuery, uow: KpiUnitOfWork) -> KpiReportWithPlans:
    _staff(q.actor)
    async with uow:
        figures = await uow.dues_kpis.figures(q.tenant, q.from_month, q.to_month)
        plans: list[Plan] = await uow.membership_plans.list(q.tenant, True)
    return KpiReportWithPlans(k.report(figures, q.by, q.from_month, q.to_month, q.cohort_from, q.cohort_to),
                              {p.id: p.terms.name for p in plans})


@dataclass(frozen=True)
class RebuildResult:
    members: int
    memberships: int
    changed_keys: int  # figures that differed from the incremental projection (0 when in step)


async def rebuild(tenant: str, actor: Actor | None, uow: KpiUnitOfWork) -> RebuildResult:
    """Recompute the tenant's figures from the durable records: the register (`members`), each
    membership's stored transitions and payments, and the residue of erased members — never
    from the event streams, which keep 30 days only. One transaction per tenant."""
    if actor is not None:
        _staff(actor)
    async with uow:
        counted: dict[str, k.Contribution] = {}
        memberships = 0
        async for member, membership in uow.dues_kpis.members_with_memberships(tenant):
            counted[member.id] = k.contribution(member, membership)
            memberships += membership is not None
        figures = k.total([await uow.dues_kpis.residue(tenant), *counted.values()])
        before = await uow.dues_kpis.figures(tenant)
        changed = k.delta(before, figures)
        await uow.dues_kpis.replace_all(tenant, figures, counted)
        await uow.commit()
    if changed:
        log.warning("dues KPIs rebuilt with differences", tenant=tenant, changed_keys=len(changed))
    return RebuildResult(len(counted), memberships, len(changed))
