"""What the fundraising service does over request/reply: its use cases, each declared once."""

from __future__ import annotations

from typing import Any

from alumni_contracts import naming
from alumni_contracts.fundraising import commands as c
from alumni_contracts.rpc import STAFF
from fundraising_service.domain.model import Money
from fundraising_service.entrypoints.gift_use_cases import GIFT_USE_CASES
from fundraising_service.entrypoints.payment_use_cases import PAYMENT_USE_CASES
from fundraising_service.entrypoints.receipt_use_cases import RECEIPT_USE_CASES
from fundraising_service.service_layer.commands import RecordDonation
from servicekit.bus import UseCase

USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=naming.command_subject("fundraising", c.RECORD_DONATION), request=c.RecordDonation, roles=STAFF,
            idempotent=True,
            message=lambda req, who: RecordDonation(tenant=who.tenant, member_id=req.member_id,
                                                    amount=Money(req.amount.minor_units, req.amount.currency),
                                                    campaign_id=req.campaign_id),
            reply=lambda donation_id: c.DonationRecordedResult(donation_id=donation_id),
            description="Record a donation for a member."),
    *PAYMENT_USE_CASES,
    *RECEIPT_USE_CASES,
    *GIFT_USE_CASES,
]
