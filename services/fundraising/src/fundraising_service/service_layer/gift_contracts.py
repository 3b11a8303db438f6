"""Domain events of campaigns and gifts → the published `alumni_contracts.fundraising.v1` events."""

from __future__ import annotations

from alumni_contracts.common import Locale
from alumni_contracts.common import Money as MoneyOut
from alumni_contracts.envelope import EventData
from alumni_contracts.fundraising import v1
from fundraising_service.domain.campaigns import (
    CampaignClosed,
    CampaignGoalReached,
    CampaignLaunched,
    LegalEntity,
    PostalAddress,
)
from fundraising_service.domain.gifts import (
    Donor,
    GiftReceived,
    GiftRefunded,
    PledgeFulfilled,
    PledgeMade,
    RecurringGiftChanged,
)
from fundraising_service.domain.model import Money
from servicekit.domain import DomainEvent


def _money(m: Money) -> MoneyOut:
    return MoneyOut(minor_units=m.minor_units, currency=m.currency)


def _address(a: PostalAddress | None) -> v1.PostalAddress | None:
    if a is None:
        return None
    return v1.PostalAddress(line1=a.line1, line2=a.line2, postal_code=a.postal_code, city=a.city, country=a.country)


def entity(e: LegalEntity) -> v1.LegalEntitySnapshot:
    address = _address(e.address)
    assert address is not None
    return v1.LegalEntitySnapshot(entity_id=e.entity_id, name=e.name, address=address, purpose=e.purpose,
                                  may_issue_receipts=e.may_issue_receipts, status=e.status)


def _donor(d: Donor) -> v1.DonorIdentity:
    return v1.DonorIdentity(kind=v1.DonorKind.COMPANY if d.is_company else v1.DonorKind.INDIVIDUAL,
                            first_name=d.first_name, last_name=d.last_name, company_name=d.company_name,
                            company_id=d.company_id, address=_address(d.address), email=d.email)


def gift_contract(event: DomainEvent) -> EventData | None:
    """The contract of a campaign or gift event; None when `event` is not one of them."""
    match event:
        case GiftReceived(gift=g):
            assert g.received_at is not None
            return v1.DonationReceived(
                donation_id=g.id, member_id=g.member_id, amount=_money(g.amount), campaign_id=g.campaign_id,
                received_at=g.received_at, fund_id=g.fund_id, appeal_id=g.appeal_id, payment_id=g.payment_id,
                paid_on=g.paid_on, method=v1.PaymentMethod(g.method), provider=v1.PaymentProviderName(g.provider),
                reference=g.reference, nature=v1.GiftNature(g.nature), anonymous=g.anonymous,
                company=g.donor.is_company, donor=_donor(g.donor),
                legal_entity=entity(g.legal_entity) if g.legal_entity else None,
                receipt=v1.ReceiptChoice(g.receipt), locale=Locale(g.locale), recurring_gift_id=g.recurring_gift_id,
                pledge_id=g.pledge_id, instalment=g.instalment, matches_donation_id=g.matches_gift_id)
        case GiftRefunded():
            return v1.DonationRefunded(
                donation_id=event.gift_id, member_id=event.member_id, campaign_id=event.campaign_id,
                amount=_money(event.amount), refunded_total_minor=event.refunded_total_minor,
                refunded_at=event.refunded_at, reason=event.reason, legal_entity_id=event.legal_entity_id)
        case CampaignLaunched(campaign=c):
            assert c.legal_entity is not None and c.starts_at is not None
            return v1.CampaignLaunched(
                campaign_id=c.id, legal_entity_id=c.legal_entity.entity_id, goal=_money(c.goal), name_fr=c.name_fr,
                name_en=c.name_en, starts_at=c.starts_at, ends_at=c.ends_at, legal_entity=entity(c.legal_entity),
                giving_day=c.giving_day)
        case CampaignGoalReached():
            return v1.CampaignGoalReached(
                campaign_id=event.campaign_id, legal_entity_id=event.legal_entity_id, goal=_money(event.goal),
                raised=_money(event.raised), donors=event.donors, reached_at=event.reached_at)
        case CampaignClosed():
            return v1.CampaignClosed(
                campaign_id=event.campaign_id, legal_entity_id=event.legal_entity_id, goal=_money(event.goal),
                raised_minor=event.raised.minor_units, donors=event.donors, closed_at=event.closed_at)
        case RecurringGiftChanged(recurring=r):
            common = {"recurring_gift_id": r.id, "member_id": r.member_id, "campaign_id": r.campaign_id,
                      "amount": _money(r.amount), "frequency": v1.GiftFrequency(r.frequency)}
            if event.change == "started":
                return v1.RecurringGiftStarted(**common, started_at=event.at, receipt=v1.ReceiptChoice(r.receipt))
            if event.change == "failed":
                return v1.RecurringGiftFailed(**common, failed_at=event.at, reason=event.reason or "charge_failed",
                                              failures=event.failures, automatic=event.period is not None,
                                              period=event.period,
                                              attempt=event.failures if event.period is not None else None,
                                              next_attempt_on=event.next_attempt_on, final=event.final)
            return v1.RecurringGiftCancelled(**common, cancelled_at=event.at, reason=event.reason)
        case PledgeMade(pledge=p):
            assert p.made_at is not None
            return v1.PledgeMade(pledge_id=p.id, member_id=p.member_id, campaign_id=p.campaign_id,
                                 total=_money(p.total), instalments=[i.due_on for i in p.schedule], made_at=p.made_at)
        case PledgeFulfilled(pledge=p):
            return v1.PledgeFulfilled(pledge_id=p.id, member_id=p.member_id, campaign_id=p.campaign_id,
                                      total=_money(p.total), fulfilled_at=event.at)
    return None
