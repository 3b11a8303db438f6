from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import Method, PaymentTarget


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
    cohorts: tuple[tuple[str, int], ...] = ()  # (program, graduation year), main one first


# -- payments ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CreateCheckout:
    tenant: str
    target: PaymentTarget
    amount: Money
    description: str
    methods: tuple[Method, ...]
    return_url: str | None
    recurring: bool = False


@dataclass(frozen=True)
class ReceiveWebhook:
    tenant: str
    provider: str
    payload: str
    signature: str


@dataclass(frozen=True)
class RecordManualPayment:
    tenant: str
    target: PaymentTarget
    amount: Money
    method: Method
    reference: str | None
    received_on: date
    late_entry_reason: str | None = None


@dataclass(frozen=True)
class RefundPayment:
    tenant: str
    payment_id: str
    amount_minor: int
    reason: str


@dataclass(frozen=True)
class ListPayments:
    tenant: str
    member_id: str | None  # None: every payment of the tenant (staff)
    after: str | None
    limit: int
