"""Commands of the fundraising service."""

from __future__ import annotations

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Identifier, MoneyIn

RECORD_DONATION = "record_donation"


class RecordDonation(Request):
    member_id: Identifier
    amount: MoneyIn
    campaign_id: Identifier | None = None


class DonationRecordedResult(Result):
    donation_id: Identifier
