"""The receipt engine's subscribers: fundraising's own money events, after they committed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.fundraising.v1 import (
    DonationReceived,
    DonationRefunded,
    DonorIdentity,
    DuesPaid,
    DuesRefunded,
    LegalEntitySnapshot,
    PostalAddress,
)
from alumni_contracts.subscriptions import Subscription, subscription
from fundraising_service.domain.receipts import Donor, DonorKind, GiftNature, LegalEntity, ReceiptSource
from fundraising_service.service_layer import receipts
from fundraising_service.service_layer.receipts import ReceiptUnitOfWork
from servicekit.messaging import EventHandler

LANE = "receipts"


def _nature(data: Any) -> GiftNature:
    """`donation_received` names the gift's nature once the gift events carry it; cash until then."""
    value = getattr(data, "nature", None)
    return GiftNature(str(value)) if value in {n.value for n in GiftNature} else GiftNature.CASH


def address_text(a: PostalAddress | None) -> str | None:
    if a is None:
        return None
    lines = [a.line1, a.line2 or "", f"{a.postal_code} {a.city}", "" if a.country == "FR" else a.country]
    return "\n".join(line for line in lines if line.strip())


def entity_of(tenant: str, e: LegalEntitySnapshot | None) -> LegalEntity | None:
    if e is None:
        return None
    return LegalEntity(id=e.entity_id, tenant=tenant, name=e.name, address=address_text(e.address) or "",
                       object=e.purpose, status=e.status or "", may_issue_receipts=e.may_issue_receipts,
                       signatory_name="", signatory_title="")


def donor_of(member_id: str, d: DonorIdentity | None, company: bool) -> Donor | None:
    if d is None:
        return None
    if company or d.kind == "company":
        return Donor(member_id, d.company_name or "", address_text(d.address), DonorKind.COMPANY, d.company_id)
    name = f"{d.first_name or ''} {d.last_name or ''}".strip()
    return Donor(member_id, name, address_text(d.address)) if name else None


def receipt_handlers(uow_factory: Callable[[], ReceiptUnitOfWork]) -> list[tuple[Subscription, EventHandler]]:
    async def on_donation(event: CloudEvent[Any]) -> None:
        data: DonationReceived = event.data
        received = data.received_at
        if data.paid_on is not None:  # the day the money came (a cheque entered later): the receipt's date
            received = datetime.combine(data.paid_on, time(12), tzinfo=UTC)
        await receipts.issue_for_payment(receipts.PaymentToReceipt(
            tenant=event.tenant, source=ReceiptSource.DONATION, source_id=data.donation_id, member_id=data.member_id,
            amount_minor=data.amount.minor_units, currency=data.amount.currency, received_at=received,
            method=str(data.method) if data.method else "unspecified", campaign_id=data.campaign_id,
            nature=_nature(data), entity=entity_of(event.tenant, data.legal_entity),
            donor=donor_of(data.member_id, data.donor, data.company),
            receipt_choice=str(data.receipt) if data.receipt else None), uow_factory())

    async def on_donation_refunded(event: CloudEvent[Any]) -> None:
        data: DonationRefunded = event.data
        await receipts.void_on_refund(receipts.VoidOnRefund(event.tenant, data.donation_id,
                                                            f"refunded: {data.reason}"[:200]), uow_factory())

    async def on_dues_paid(event: CloudEvent[Any]) -> None:
        data: DuesPaid = event.data
        await receipts.issue_for_payment(receipts.PaymentToReceipt(
            tenant=event.tenant, source=ReceiptSource.DUES, source_id=data.payment_id, member_id=data.member_id,
            amount_minor=data.amount_minor, currency=data.currency, received_at=data.paid_at,
            method=str(data.method), plan_id=data.plan_id, instalment=data.instalment,
            instalments=data.instalments), uow_factory())

    async def on_dues_refunded(event: CloudEvent[Any]) -> None:
        data: DuesRefunded = event.data
        await receipts.void_on_refund(receipts.VoidOnRefund(event.tenant, data.payment_id,
                                                            f"refunded: {data.reason}"[:200]), uow_factory())

    return [(subscription("fundraising", DonationReceived, LANE), on_donation),
            (subscription("fundraising", DuesPaid, LANE), on_dues_paid),
            (subscription("fundraising", DuesRefunded, LANE), on_dues_refunded),
            (subscription("fundraising", DonationRefunded, LANE), on_donation_refunded)]

