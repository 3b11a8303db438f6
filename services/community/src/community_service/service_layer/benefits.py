"""Use cases of member benefits (dues state read from the audience projection)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from community_service.domain.benefits import Benefit
from community_service.service_layer import commands as c
from community_service.service_layer.ports import CommunityUnitOfWork
from servicekit.domain import NotFound, utcnow

Clock = Callable[[], datetime]


class BenefitNotFound(NotFound):
    code = "benefit-not-found"
    title = "Benefit not found"


@dataclass(frozen=True)
class BenefitView:
    benefit: Benefit
    eligible: bool
    code: str | None  # revealed: staff, or a member who redeemed it
    staff: bool


async def publish_benefit(cmd: c.PublishBenefit, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> BenefitView:
    async with uow:
        benefit = Benefit.publish(tenant=cmd.tenant, title=cmd.title, partner=cmd.partner,
                                  description=cmd.description, conditions=cmd.conditions,
                                  members_only=cmd.members_only, code=cmd.code, valid_from=cmd.valid_from,
                                  valid_until=cmd.valid_until, now=clock())
        await uow.benefits.add(benefit)
        await uow.commit()
    return BenefitView(benefit, True, benefit.code, True)


async def list_benefits(query: c.ListBenefits, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> list[BenefitView]:
    """Benefits valid now (staff: all); the code only where the caller already revealed it."""
    now = clock()
    async with uow:
        found = await uow.benefits.of_tenant(query.tenant, 500)
        status = await uow.memberships.status(query.tenant, query.member_id) if query.member_id else None
        redeemed = await uow.benefits.redeemed_by(query.tenant, query.member_id) if query.member_id else set()
    views = []
    for b in found:
        if not (query.staff or b.valid_at(now)):
            continue
        eligible = query.member_id is not None and b.eligible(status)
        code = b.code if query.staff or (eligible and b.id in redeemed) else None
        views.append(BenefitView(b, eligible, code, query.staff))
    return views


async def redeem_benefit(cmd: c.RedeemBenefit, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> BenefitView:
    now = clock()
    async with uow:
        benefit = await uow.benefits.get(cmd.tenant, cmd.benefit_id)
        if benefit is None:
            raise BenefitNotFound(cmd.benefit_id)
        status = await uow.memberships.status(cmd.tenant, cmd.member_id)
        # Checked before anything is recorded: an ineligible member leaves no trace.
        benefit.redeem(cmd.member_id, status, False, now)
        first = await uow.benefits.record_redemption(cmd.tenant, benefit.id, cmd.member_id, now)
        if first:
            code = benefit.redeem(cmd.member_id, status, True, now)
            await uow.benefits.save(benefit)
        else:
            code = benefit.code
        await uow.commit()
    return BenefitView(benefit, True, code, False)
