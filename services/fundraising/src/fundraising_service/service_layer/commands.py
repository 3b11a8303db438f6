from __future__ import annotations

from dataclasses import dataclass

from fundraising_service.domain.model import Money


@dataclass(frozen=True)
class RecordDonation:
    tenant: str
    member_id: str
    amount: Money
    campaign_id: str | None


@dataclass(frozen=True)
class ProjectMember:
    """A member as fundraising needs them (donor identity for receipts)."""

    tenant: str
    member_id: str
    version: int
    first_name: str
    last_name: str
