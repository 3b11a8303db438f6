from __future__ import annotations

from collections.abc import Callable

from alumni_contracts import naming
from alumni_contracts.fundraising import commands as c
from alumni_contracts.rpc import Principal, Role
from fundraising_service.domain.model import Money
from fundraising_service.service_layer import handlers
from fundraising_service.service_layer.commands import RecordDonation
from fundraising_service.service_layer.ports import FundraisingUnitOfWork
from servicekit.rpc import RequestHandler

STAFF = frozenset({Role.MANAGER, Role.ADMIN})


def request_handlers(uow_factory: Callable[[], FundraisingUnitOfWork]) -> list[RequestHandler]:
    async def record(req: c.RecordDonation, who: Principal) -> c.DonationRecordedResult:
        donation_id = await handlers.record_donation(RecordDonation(
            tenant=who.tenant, member_id=req.member_id, amount=Money(req.amount.minor_units, req.amount.currency),
            campaign_id=req.campaign_id), uow_factory())
        return c.DonationRecordedResult(donation_id=donation_id)

    return [RequestHandler(naming.command_subject("fundraising", c.RECORD_DONATION), c.RecordDonation, record,
                           STAFF, idempotent=True, description="Record a donation for a member.")]
