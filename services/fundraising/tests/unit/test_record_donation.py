from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alumni_contracts.fundraising.v1 import DonationReceived
from fundraising_service.domain.model import Donation, InvalidAmount, Money, UnknownDonor
from fundraising_service.service_layer import handlers
from fundraising_service.service_layer.commands import ProjectMember, RecordDonation
from fundraising_service.service_layer.contract_mapping import to_contract
from servicekit.testing.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class FakeFundraisingUnitOfWork(FakeUnitOfWork):
    def __init__(self, known: set[tuple[str, str]]) -> None:
        super().__init__(to_contract)
        self.known = known
        self.added: list[Donation] = []
        self.donations = self
        self.members = self

    async def add(self, donation: Donation) -> None:
        self.added.append(donation)
        self.track(donation)

    async def apply(self, member: ProjectMember) -> bool:
        self.known.add((member.tenant, member.member_id))
        return True

    async def exists(self, tenant: str, member_id: str) -> bool:
        return (tenant, member_id) in self.known


async def test_donation_from_a_known_member_is_recorded_in_minor_units() -> None:
    uow = FakeFundraisingUnitOfWork({("demo", "m1")})
    donation_id = await handlers.record_donation(RecordDonation("demo", "m1", Money(5000, "EUR"), "bourses"), uow,
                                                 clock=lambda: NOW)
    [event] = uow.published
    assert isinstance(event.data, DonationReceived)
    assert event.subject == donation_id
    assert event.data.amount.minor_units == 5000 and event.data.amount.currency == "EUR"
    assert event.data.campaign_id == "bourses"


async def test_unknown_member_is_refused() -> None:
    uow = FakeFundraisingUnitOfWork({("demo", "m1")})
    with pytest.raises(UnknownDonor):
        await handlers.record_donation(RecordDonation("demo", "m2", Money(100, "EUR"), None), uow)
    with pytest.raises(UnknownDonor):  # known in another tenant only
        await handlers.record_donation(RecordDonation("other", "m1", Money(100, "EUR"), None), uow)
    assert uow.published == []


@pytest.mark.parametrize("amount", [0, -5, 100_000_001])
async def test_implausible_amounts_are_refused(amount: int) -> None:
    uow = FakeFundraisingUnitOfWork({("demo", "m1")})
    with pytest.raises(InvalidAmount):
        await handlers.record_donation(RecordDonation("demo", "m1", Money(amount, "EUR"), None), uow)
    assert uow.commits == 0


async def test_bootstrapped_service_accepts_a_donation_once_the_member_is_projected() -> None:
    from alumni_contracts.fundraising import commands as c
    from alumni_contracts.rpc import Principal, Role
    from fundraising_service.bootstrap import bootstrap
    from servicekit.testing.factories import member_registered_event

    uow = FakeFundraisingUnitOfWork(set())
    parts = bootstrap(lambda: uow)
    [spec] = [s for s in parts.requests if s.subject.endswith(".record_donation")]
    on_member_registered = dict((s.durable, h) for s, h in parts.events)["fundraising-registered-v2"]
    manager = Principal(tenant="demo", subject="u", roles=frozenset({Role.MANAGER}))
    request = c.RecordDonation.model_validate({"member_id": "m5", "amount": {"minor_units": 2500, "currency": "EUR"}})
    with pytest.raises(UnknownDonor):
        await spec.handler(request, manager)
    await on_member_registered(member_registered_event(member_id="m5"))
    await spec.handler(request, manager)
    [event] = uow.published
    assert isinstance(event.data, DonationReceived) and event.data.amount.minor_units == 2500
