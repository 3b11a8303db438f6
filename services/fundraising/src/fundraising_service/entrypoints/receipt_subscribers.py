"""The receipt engine's subscribers: fundraising's own money events, after they committed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.fundraising.v1 import DonationReceived, DuesPaid, DuesRefunded
from alumni_contracts.subscriptions import Subscription, subscription
from fundraising_service.domain.receipts import GiftNature, ReceiptSource
from fundraising_service.service_layer import receipts
from fundraising_service.service_layer.receipts import ReceiptUnitOfWork
from servicekit.messaging import EventHandler

LANE = "receipts"


def _nature(data: Any) -> GiftNature:
    """`donation_received` names the gift's nature once the gift events carry it; cash until then."""
    value = getattr(data, "nature", None)
    return GiftNature(str(value)) if value in {n.value for n in GiftNature} else GiftNature.CASH


def receipt_handlers(uow_factory: Callable[[], ReceiptUnitOfWork]) -> list[tuple[Subscription, EventHandler]]:
    async def on_donation(event: CloudEvent[Any]) -> None:
        data: DonationReceived = event.data
        method = getattr(data, "method", None)
        await receipts.issue_for_payment(receipts.PaymentToReceipt(
            tenant=event.tenant, source=ReceiptSource.DONATION, source_id=data.donation_id, member_id=data.member_id,
            amount_minor=data.amount.minor_units, currency=data.amount.currency, received_at=data.received_at,
            method=str(method) if method else "unspecified", campaign_id=data.campaign_id,
            nature=_nature(data)), uow_factory())

    async def on_dues_paid(event: CloudEvent[Any]) -> None:
        data: DuesPaid = event.data
        await receipts.issue_for_payment(receipts.PaymentToReceipt(
            tenant=event.tenant, source=ReceiptSource.DUES, source_id=data.payment_id, member_id=data.member_id,
            amount_minor=data.amount_minor, currency=data.currency, received_at=data.paid_at,
            method=str(data.method), plan_id=data.plan_id), uow_factory())

    async def on_dues_refunded(event: CloudEvent[Any]) -> None:
        data: DuesRefunded = event.data
        await receipts.void_on_refund(receipts.VoidOnRefund(event.tenant, data.payment_id,
                                                            f"refunded: {data.reason}"[:200]), uow_factory())

    return [(subscription("fundraising", DonationReceived, LANE), on_donation),
            (subscription("fundraising", DuesPaid, LANE), on_dues_paid),
            (subscription("fundraising", DuesRefunded, LANE), on_dues_refunded)]

