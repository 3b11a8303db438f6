"""Member benefits through `bootstrap(...)`: a members-only code is revealed only to a
dues-paying member (the dues state of the audience projection), usage counted once per
member, staff see the count, validity enforced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alumni_contracts.community import commands as cc
from alumni_contracts.community import v1
from community_service.domain.benefits import BenefitMembersOnly, BenefitNotValid, InvalidBenefit
from community_service.service_layer.benefits import BenefitNotFound

from .fakes import ProjectMembership
from .test_help_requests import MANAGER, World, alumnus

T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def dues(w: World, member_id: str, status: str, at: datetime) -> None:
    """What the audience projection holds once members' `membership_*` transitions arrived."""
    await w.uow.memberships.apply(ProjectMembership("demo", member_id, status, at))


async def publish(w: World, members_only: bool = True, **kw: object) -> cc.BenefitOut:
    out: cc.BenefitOut = await w.call(cc.PUBLISH_BENEFIT, cc.PublishBenefit(
        title="-20 % librairie", partner="Librairie", members_only=members_only, code="ALUMNI20", **kw), MANAGER)
    return out


async def test_members_only_code_goes_to_dues_paying_members_only_and_counts_once() -> None:
    w = World()
    benefit = await publish(w)
    [published] = [e.data for e in w.uow.published if isinstance(e.data, v1.BenefitPublished)]
    assert published.members_only and not hasattr(published, "code")
    await dues(w, "payer", "active", T0)
    listed = await w.call(cc.LIST_BENEFITS, cc.NoQuery(), alumnus("payer"))
    assert listed.items[0].eligible and listed.items[0].code is None, "revealed on redemption only"
    for _ in range(2):
        out = await w.call(cc.REDEEM_BENEFIT, cc.BenefitRef(benefit_id=benefit.benefit_id), alumnus("payer"))
    assert out.code == "ALUMNI20" and out.redemptions is None
    assert len([e for e in w.uow.published if isinstance(e.data, v1.BenefitRedeemed)]) == 1
    staff = await w.call(cc.LIST_BENEFITS, cc.NoQuery(), MANAGER)
    assert staff.items[0].redemptions == 1 and staff.items[0].code == "ALUMNI20"
    with pytest.raises(BenefitMembersOnly):
        await w.call(cc.REDEEM_BENEFIT, cc.BenefitRef(benefit_id=benefit.benefit_id), alumnus("stranger"))
    other = await w.call(cc.LIST_BENEFITS, cc.NoQuery(), alumnus("stranger"))
    assert not other.items[0].eligible and other.items[0].code is None


async def test_a_lapsed_membership_loses_access() -> None:
    w = World()
    benefit = await publish(w)
    await dues(w, "m", "lapsed", T0 + timedelta(days=400))
    with pytest.raises(BenefitMembersOnly):
        await w.call(cc.REDEEM_BENEFIT, cc.BenefitRef(benefit_id=benefit.benefit_id), alumnus("m"))


async def test_open_benefits_validity_and_unknown_ids() -> None:
    w = World()
    open_one = await publish(w, members_only=False)
    out = await w.call(cc.REDEEM_BENEFIT, cc.BenefitRef(benefit_id=open_one.benefit_id), alumnus("anyone"))
    assert out.code == "ALUMNI20"
    future = await publish(w, members_only=False, valid_from=datetime.now(UTC) + timedelta(days=3))
    with pytest.raises(BenefitNotValid):
        await w.call(cc.REDEEM_BENEFIT, cc.BenefitRef(benefit_id=future.benefit_id), alumnus("anyone"))
    assert [b.benefit_id for b in (await w.call(cc.LIST_BENEFITS, cc.NoQuery(), alumnus("anyone"))).items] == \
        [open_one.benefit_id], "not listed before it starts"
    with pytest.raises(InvalidBenefit):
        await publish(w, valid_until=datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(BenefitNotFound):
        await w.call(cc.REDEEM_BENEFIT, cc.BenefitRef(benefit_id="nope"), alumnus("anyone"))
