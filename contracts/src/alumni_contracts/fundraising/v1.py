"""Events published by the fundraising service, major version 1."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from alumni_contracts.common import Identifier, Money
from alumni_contracts.envelope import EventData
from alumni_contracts.privacy import MemberDataErasedBase


class DonationReceived(EventData):
    """A donation (*don*) was recorded for a member."""

    service = "fundraising"
    event_name = "donation_received"
    version = 1

    donation_id: Identifier = Field(description="Donation id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b13"])
    member_id: Identifier = Field(description="Donor's member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    amount: Money = Field(description="Amount given.")
    campaign_id: Identifier | None = Field(None, description="Campaign the gift goes to, if any.", examples=["bourses-2026"])
    received_at: AwareDatetime = Field(description="When the donation was recorded (UTC).")


class MemberDataErased(MemberDataErasedBase):
    """The fundraising service erased its copies of a member's data; donations are kept under
    a pseudonym (accounting records must be kept)."""

    service = "fundraising"
    event_name = "member_data_erased"
    version = 1
