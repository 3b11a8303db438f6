from __future__ import annotations

from alumni_contracts.common import Money
from alumni_contracts.envelope import EventData
from alumni_contracts.fundraising import receipts as receipts_v1
from alumni_contracts.fundraising import v1
from fundraising_service.domain import receipts
from fundraising_service.domain.model import DonationReceived
from fundraising_service.domain.payments import (
    CheckoutChanged,
    PaymentFailed,
    PaymentRefunded,
    PaymentSucceeded,
    PaymentTarget,
    Purpose,
)
from fundraising_service.service_layer.gift_contracts import gift_contract
from servicekit.domain import DomainEvent
from servicekit.erasure import DataErased, confirmation


def _dues(target: PaymentTarget) -> dict[str, str]:
    assert target.plan_id is not None  # the domain refuses dues without a plan
    return {"membership_id": target.reference_id, "member_id": target.member_id, "plan_id": target.plan_id}


def to_contract(event: DomainEvent) -> EventData | None:
    """Payments of gifts publish nothing of their own: the gift they pay publishes
    `donation_received` (campaigns and gifts: `gift_contracts`)."""
    if (gift_event := gift_contract(event)) is not None:
        return gift_event
    match event:
        case CheckoutChanged():
            return None
        case PaymentSucceeded() if event.target.purpose is Purpose.DUES:
            return v1.DuesPaid(
                payment_id=event.payment_id, **_dues(event.target), amount_minor=event.amount.minor_units,
                currency=event.amount.currency, paid_at=event.paid_at, method=v1.PaymentMethod(event.method),
                provider=v1.PaymentProviderName(event.provider), instalment=event.target.instalment,
                instalments=event.target.instalments, reference=event.reference)
        case PaymentFailed() if event.target.purpose is Purpose.DUES:
            return v1.DuesPaymentFailed(
                payment_id=event.payment_id, **_dues(event.target), amount_minor=event.amount.minor_units,
                currency=event.amount.currency, failed_at=event.failed_at, reason=event.reason,
                provider=v1.PaymentProviderName(event.provider), instalment=event.target.instalment,
                instalments=event.target.instalments)
        case PaymentRefunded() if event.target.purpose is Purpose.DUES:
            return v1.DuesRefunded(
                payment_id=event.payment_id, **_dues(event.target), amount_minor=event.amount.minor_units,
                currency=event.amount.currency, refunded_at=event.refunded_at, reason=event.reason)
        case PaymentSucceeded() if event.target.purpose is Purpose.EVENT_TICKET:
            return v1.TicketPaid(
                payment_id=event.payment_id, registration_id=event.target.reference_id,
                member_id=event.target.member_id, amount_minor=event.amount.minor_units,
                currency=event.amount.currency, paid_at=event.paid_at,
                provider=v1.PaymentProviderName(event.provider))
        case PaymentFailed() if event.target.purpose is Purpose.EVENT_TICKET:
            return v1.TicketPaymentFailed(
                payment_id=event.payment_id, registration_id=event.target.reference_id,
                member_id=event.target.member_id, amount_minor=event.amount.minor_units,
                currency=event.amount.currency, failed_at=event.failed_at, reason=event.reason)
        case PaymentSucceeded() | PaymentFailed() | PaymentRefunded():
            return None
        case DonationReceived():
            return v1.DonationReceived(
                donation_id=event.donation_id, member_id=event.member_id,
                amount=Money(minor_units=event.amount.minor_units, currency=event.amount.currency),
                campaign_id=event.campaign_id, received_at=event.received_at)
        case DataErased():
            return confirmation(event, v1.MemberDataErased)
        case receipts.ReceiptIssued() | receipts.ReceiptVoided():
            return receipt_contract(event)
    raise TypeError(f"no contract for {type(event).__name__}")


def receipt_contract(event: receipts.ReceiptIssued | receipts.ReceiptVoided) -> EventData:
    r = event.receipt
    if isinstance(event, receipts.ReceiptVoided):
        assert r.voided_at is not None
        return receipts_v1.ReceiptVoided(receipt_id=r.id, number=r.number, legal_entity_id=r.legal_entity_id,
                                         member_id=r.donor.member_id, reason=event.reason[:200],
                                         replaced_by_receipt_id=event.replaced_by, voided_at=r.voided_at)
    assert r.issued_at is not None
    return receipts_v1.ReceiptIssued(
        receipt_id=r.id, number=r.number, legal_entity_id=r.legal_entity_id, year=r.year, sequence=r.sequence,
        member_id=r.donor.member_id, donor_kind=receipts_v1.DonorKind(r.donor.kind), cerfa=r.form.number,
        source=receipts_v1.ReceiptSource(r.source), source_ids=[ln.source_id for ln in r.lines],
        amount_minor=r.amount_minor, currency=r.currency, nature=receipts_v1.GiftNature(r.nature),
        issued_at=r.issued_at, replaces_receipt_id=r.replaces)
