"""Use cases of campaigns, gifts, recurring gifts, pledges and class giving (gateway →
fundraising over NATS request/reply), each declared once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alumni_contracts import naming
from alumni_contracts.fundraising import gifts as g
from alumni_contracts.fundraising.v1 import DonorKind, GiftFrequency
from alumni_contracts.rpc import ALUMNI_AND_STAFF, EVERYONE, STAFF
from fundraising_service.domain.campaigns import Appeal, Campaign, Fund, LegalEntity, PostalAddress
from fundraising_service.domain.gifts import (
    Donor,
    Frequency,
    Gift,
    Nature,
    Pledge,
    ReceiptChoice,
    RecurringGift,
)
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import Checkout, Method
from fundraising_service.service_layer import gift_commands as cmd
from fundraising_service.service_layer.gift_handlers import public_name
from servicekit.authz import Ownership, acting_member
from servicekit.bus import Caller, UseCase
from servicekit.domain import DomainError


class DonorRequired(DomainError):
    status = 422
    code = "donor-required"
    title = "Donor required"


def _address(a: g.AddressIn | None) -> PostalAddress | None:
    if a is None:
        return None
    return PostalAddress(line1=a.line1, line2=a.line2, postal_code=a.postal_code, city=a.city, country=a.country)


def _donor(d: g.DonorIn) -> Donor:
    return Donor(first_name=d.first_name, last_name=d.last_name, company_name=d.company_name,
                 company_id=d.company_id, address=_address(d.address))


def _member(req: Any, who: Caller) -> str:
    """Alumni act for themselves; staff must name the member."""
    if not who.staff:
        return acting_member(who.principal, req.member_id, Ownership.NAMED)
    if req.member_id is None:
        raise DonorRequired("staff must name the donor (member_id)")
    return str(req.member_id)


def _details(req: g.RecordGift | g.GiveOnline) -> cmd.GiftDetails:
    return cmd.GiftDetails(campaign_id=req.campaign_id, amount=Money(req.amount_minor, req.currency),
                           fund_id=req.fund_id, appeal_id=req.appeal_id, anonymous=req.anonymous,
                           name_publicly=req.name_publicly, donor=_donor(req.donor),
                           company=req.donor.kind is DonorKind.COMPANY, receipt=ReceiptChoice(req.receipt),
                           locale=str(req.locale), pledge_id=req.pledge_id)


def _launch(req: g.LaunchCampaign, who: Caller) -> cmd.LaunchCampaign:
    e = req.legal_entity
    address = _address(e.address)
    assert address is not None
    return cmd.LaunchCampaign(
        tenant=who.tenant, name_fr=req.name_fr, name_en=req.name_en, description_fr=req.description_fr,
        description_en=req.description_en, goal=Money(req.goal_minor, req.currency), starts_at=req.starts_at,
        ends_at=req.ends_at,
        legal_entity=LegalEntity(entity_id=e.entity_id, name=e.name, address=address, purpose=e.purpose,
                                 may_issue_receipts=e.may_issue_receipts, status=e.status),
        funds=tuple(Fund(f.fund_id, f.name_fr, f.name_en) for f in req.funds),
        appeals=tuple(Appeal(a.appeal_id, a.name_fr, a.name_en) for a in req.appeals), giving_day=req.giving_day)


def _percent(c: Campaign) -> float:
    return round(100 * c.raised_minor / c.goal.minor_units, 1) if c.goal.minor_units else 0.0


def campaign_view(c: Campaign) -> g.CampaignView:
    e = c.legal_entity
    assert e is not None and c.starts_at is not None
    return g.CampaignView(
        campaign_id=c.id, name_fr=c.name_fr, name_en=c.name_en, description_fr=c.description_fr,
        description_en=c.description_en, goal_minor=c.goal.minor_units, currency=c.goal.currency,
        starts_at=c.starts_at, ends_at=c.ends_at,
        legal_entity=g.LegalEntityView(entity_id=e.entity_id, name=e.name, purpose=e.purpose,
                                       may_issue_receipts=e.may_issue_receipts, status=e.status,
                                       address=g.AddressView(line1=e.address.line1, line2=e.address.line2,
                                                             postal_code=e.address.postal_code,
                                                             city=e.address.city, country=e.address.country)),
        funds=[g.FundView(fund_id=f.fund_id, name_fr=f.name_fr, name_en=f.name_en) for f in c.funds],
        appeals=[g.FundView(fund_id=a.appeal_id, name_fr=a.name_fr, name_en=a.name_en) for a in c.appeals],
        giving_day=c.giving_day, status=g.CampaignStatus(c.status), raised_minor=c.raised_minor, gifts=c.gifts,
        donors=c.donors, progress_percent=_percent(c), goal_reached_at=c.goal_reached_at, closed_at=c.closed_at)


def _public(found: tuple[Campaign, list[str]]) -> g.PublicCampaignView:
    c, names = found
    assert c.legal_entity is not None
    return g.PublicCampaignView(
        campaign_id=c.id, name_fr=c.name_fr, name_en=c.name_en, description_fr=c.description_fr,
        description_en=c.description_en, goal_minor=c.goal.minor_units, currency=c.goal.currency,
        raised_minor=c.raised_minor, donors=c.donors, progress_percent=_percent(c), status=g.CampaignStatus(c.status),
        ends_at=c.ends_at, entity_name=c.legal_entity.name, named_donors=[g.PublicDonor(name=n) for n in names])


def gift_view(x: Gift) -> g.GiftView:
    assert x.paid_on is not None and x.received_at is not None
    return g.GiftView(
        gift_id=x.id, member_id=x.member_id, campaign_id=x.campaign_id, fund_id=x.fund_id, appeal_id=x.appeal_id,
        amount_minor=x.amount.minor_units, refunded_minor=x.refunded_minor, currency=x.amount.currency,
        nature=str(x.nature), method=str(x.method), provider=x.provider, reference=x.reference, paid_on=x.paid_on,
        received_at=x.received_at, anonymous=x.anonymous, company=x.donor.is_company,
        donor_name=public_name(x.donor) if x.donor.is_company else
        " ".join(n for n in (x.donor.first_name, x.donor.last_name) if n) or None,
        status=str(x.status), receipt=str(x.receipt), recurring_gift_id=x.recurring_gift_id, pledge_id=x.pledge_id,
        instalment=x.instalment, matches_gift_id=x.matches_gift_id)


def recurring_view(r: RecurringGift) -> g.RecurringGiftView:
    assert r.started_at is not None
    return g.RecurringGiftView(
        recurring_gift_id=r.id, member_id=r.member_id, campaign_id=r.campaign_id, amount_minor=r.amount.minor_units,
        currency=r.amount.currency, frequency=GiftFrequency(r.frequency), status=str(r.status),
        next_charge_on=r.next_charge_on, charges=r.charges, failures=r.failures, last_failure=r.last_failure,
        started_at=r.started_at, collection=str(r.collection), next_attempt_on=r.next_attempt_on, provider=r.provider)


def _recurring_checkout(found: tuple[str, Checkout]) -> g.RecurringCheckout:
    return g.RecurringCheckout(recurring_gift_id=found[0], checkout_id=found[1].id, provider=found[1].provider,
                               url=found[1].url or "", expires_at=found[1].expires_at)


def pledge_view(p: Pledge) -> g.PledgeView:
    assert p.made_at is not None
    return g.PledgeView(
        pledge_id=p.id, member_id=p.member_id, campaign_id=p.campaign_id, total_minor=p.total.minor_units,
        paid_minor=p.paid_minor, currency=p.total.currency, status=str(p.status), made_at=p.made_at,
        instalments=[g.InstalmentView(number=n, due_on=i.due_on, amount_minor=i.amount_minor, paid_minor=i.paid_minor)
                     for n, i in enumerate(p.schedule, start=1)])


def _leaderboard(found: tuple[Campaign, list[dict[str, Any]], list[dict[str, Any]]]) -> g.Leaderboard:
    c, rows, programs = found
    views = [g.LeaderboardRow(**r) for r in rows]
    top = 20
    return g.Leaderboard(
        campaign_id=c.id, currency=c.goal.currency, giving_day=c.giving_day,
        by_participation=sorted(views, key=lambda r: (-r.participation_percent, -r.donors, r.program))[:top],
        by_raised=sorted(views, key=lambda r: (-r.raised_minor, r.program))[:top],
        by_donors=sorted(views, key=lambda r: (-r.donors, r.program))[:top],
        by_program=sorted((g.LeaderboardRow(**r) for r in programs), key=lambda r: -r.participation_percent),
        computed_at=datetime.now(UTC))


def command(name: str) -> str:
    return naming.command_subject("fundraising", name)


def query(name: str) -> str:
    return naming.query_subject("fundraising", name)


GIFT_USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=command(g.LAUNCH_CAMPAIGN), request=g.LaunchCampaign, roles=STAFF, idempotent=True,
            message=_launch, reply=campaign_view, description="Launch a fundraising campaign."),
    UseCase(subject=command(g.CLOSE_CAMPAIGN), request=g.CampaignRef, roles=STAFF, idempotent=True,
            message=lambda req, who: cmd.CloseCampaign(who.tenant, req.campaign_id), reply=campaign_view,
            description="Close a campaign: no more gifts."),
    UseCase(subject=query(g.GET_CAMPAIGN), request=g.CampaignRef, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: cmd.GetCampaign(who.tenant, req.campaign_id), reply=campaign_view,
            description="A campaign and its live progress."),
    UseCase(subject=query(g.LIST_CAMPAIGNS), request=g.ListCampaigns, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: cmd.ListCampaigns(who.tenant, req.status, req.limit),
            reply=lambda found: g.CampaignList(items=[campaign_view(c) for c in found]),
            description="Campaigns, newest first."),
    UseCase(subject=query(g.PUBLIC_CAMPAIGN), request=g.CampaignRef, roles=EVERYONE,
            message=lambda req, who: cmd.PublicCampaign(who.tenant, req.campaign_id), reply=_public,
            description="Public campaign page: progress and the donors who agreed to be named."),
    UseCase(subject=command(g.RECORD_GIFT), request=g.RecordGift, roles=STAFF, idempotent=True,
            message=lambda req, who: cmd.RecordGift(
                tenant=who.tenant, member_id=req.member_id, details=_details(req), method=Method(req.method),
                reference=req.reference, received_on=req.received_on, nature=Nature(req.nature),
                matches_gift_id=req.matches_gift_id),
            reply=gift_view, description="Record a gift received by cheque, transfer or cash (or in kind)."),
    UseCase(subject=command(g.GIVE_ONLINE), request=g.GiveOnline, roles=ALUMNI_AND_STAFF, idempotent=True,
            message=lambda req, who: cmd.GiveOnline(tenant=who.tenant, member_id=_member(req, who),
                                                    details=_details(req),
                                                    return_url=str(req.return_url) if req.return_url else None),
            reply=lambda found: g.GiftCheckout(gift_id=found[0], checkout_id=found[1].id, provider=found[1].provider,
                                               url=found[1].url, expires_at=found[1].expires_at),
            description="Open a hosted checkout for a gift (alumni: their own)."),
    UseCase(subject=command(g.REFUND_GIFT), request=g.RefundGift, roles=STAFF, idempotent=True,
            message=lambda req, who: cmd.RefundGift(who.tenant, req.gift_id, req.amount_minor, req.reason),
            reply=gift_view, description="Refund a gift, wholly or in part."),
    UseCase(subject=query(g.LIST_GIFTS), request=g.ListGifts, roles=STAFF,
            message=lambda req, who: cmd.ListGifts(who.tenant, req.campaign_id, req.member_id, req.after, req.limit),
            reply=lambda found: g.GiftPage(items=[gift_view(x) for x in found[0]], next_cursor=found[1]),
            description="Gifts of a campaign or a member, newest first."),
    UseCase(subject=command(g.START_RECURRING_GIFT), request=g.StartRecurringGift, roles=ALUMNI_AND_STAFF,
            idempotent=True,
            message=lambda req, who: cmd.StartRecurringGift(
                tenant=who.tenant, member_id=_member(req, who), campaign_id=req.campaign_id, fund_id=req.fund_id,
                amount=Money(req.amount_minor, req.currency), frequency=Frequency(req.frequency),
                first_charge_on=req.first_charge_on, anonymous=req.anonymous, receipt=ReceiptChoice(req.receipt),
                donor=_donor(req.donor), company=req.donor.kind is DonorKind.COMPANY),
            reply=recurring_view, description="Set up a monthly or yearly gift."),
    UseCase(subject=command(g.RECORD_RECURRING_CHARGE), request=g.RecordRecurringCharge, roles=STAFF,
            idempotent=True,
            message=lambda req, who: cmd.RecordRecurringCharge(
                tenant=who.tenant, recurring_gift_id=req.recurring_gift_id,
                succeeded=req.outcome is g.RecurringChargeOutcome.SUCCEEDED, charged_on=req.charged_on,
                method=Method(req.method), reason=req.reason),
            reply=recurring_view, description="Record one charge of a recurring gift (succeeded or failed)."),
    UseCase(subject=command(g.CHANGE_RECURRING_GIFT), request=g.ChangeRecurringGift, roles=ALUMNI_AND_STAFF,
            idempotent=True,
            message=lambda req, who: cmd.ChangeRecurringGift(
                tenant=who.tenant, recurring_gift_id=req.recurring_gift_id, action=str(req.action),
                reason=req.reason, member_id=None if who.staff else acting_member(who.principal, None)),
            reply=recurring_view, description="Pause, resume or cancel a recurring gift (alumni: their own)."),
    UseCase(subject=query(g.LIST_RECURRING_GIFTS), request=g.ListRecurringGifts, roles=STAFF,
            message=lambda req, who: cmd.ListRecurringGifts(who.tenant, req.member_id, req.status, req.limit),
            reply=lambda found: g.RecurringGiftList(items=[recurring_view(r) for r in found]),
            description="Recurring gifts, failed ones included."),
    UseCase(subject=command(g.MAKE_PLEDGE), request=g.MakePledge, roles=ALUMNI_AND_STAFF, idempotent=True,
            message=lambda req, who: cmd.MakePledge(
                tenant=who.tenant, member_id=_member(req, who), campaign_id=req.campaign_id, fund_id=req.fund_id,
                total=Money(req.total_minor, req.currency), due_dates=tuple(req.due_dates), anonymous=req.anonymous),
            reply=pledge_view, description="Pledge an amount paid in instalments."),
    UseCase(subject=query(g.LIST_PLEDGES), request=g.ListPledges, roles=STAFF,
            message=lambda req, who: cmd.ListPledges(who.tenant, req.member_id, req.limit),
            reply=lambda found: g.PledgeList(items=[pledge_view(p) for p in found]),
            description="Pledges and their fulfilment."),
    UseCase(subject=query(g.CAMPAIGN_LEADERBOARD), request=g.CampaignRef, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: cmd.CampaignLeaderboard(who.tenant, req.campaign_id), reply=_leaderboard,
            description="Class-giving leaderboard of a campaign: participation, raised, donors per cohort."),
    UseCase(subject=query(g.GIVING_REPORT), request=g.GivingReportQuery, roles=STAFF,
            message=lambda req, who: cmd.GivingReport(who.tenant, req.year),
            reply=lambda found: g.GivingReport(**found),
            description="Retention, LYBUNT/SYBUNT and the recurring base of a year."),
    UseCase(subject=command(g.REBUILD_PROGRESS), request=g.CampaignRef, roles=STAFF,
            message=lambda req, who: cmd.RebuildProgress(who.tenant, req.campaign_id),
            reply=lambda found: g.ProgressRebuilt(campaign_id=found[0], raised_minor=found[1], gifts=found[2],
                                                  donors=found[3]),
            description="Recompute a campaign's progress from its gifts (the projection's replay)."),
    UseCase(subject=command(g.START_RECURRING_GIFT_ONLINE), request=g.StartRecurringGiftOnline,
            roles=ALUMNI_AND_STAFF, idempotent=True,
            message=lambda req, who: cmd.StartRecurringGiftOnline(
                tenant=who.tenant, member_id=_member(req, who), campaign_id=req.campaign_id, fund_id=req.fund_id,
                amount=Money(req.amount_minor, req.currency), frequency=Frequency(req.frequency),
                anonymous=req.anonymous, receipt=ReceiptChoice(req.receipt), donor=_donor(req.donor),
                return_url=str(req.return_url) if req.return_url else None),
            reply=_recurring_checkout,
            description="Set up a monthly or yearly gift charged automatically: the first period through the "
                        "hosted checkout, which saves the card."),
    UseCase(subject=command(g.UPDATE_RECURRING_PAYMENT_METHOD), request=g.UpdateRecurringPaymentMethod,
            roles=ALUMNI_AND_STAFF, idempotent=True,
            message=lambda req, who: cmd.UpdateRecurringPaymentMethod(
                tenant=who.tenant, recurring_gift_id=req.recurring_gift_id,
                member_id=None if who.staff else acting_member(who.principal, None),
                return_url=str(req.return_url) if req.return_url else None),
            reply=_recurring_checkout,
            description="A failed recurring gift: pay the overdue period with a new card, saved for the next ones."),
    UseCase(subject=command(g.CHARGE_DUE_RECURRING_GIFTS), request=g.ChargeDueIn, roles=STAFF,
            message=lambda req, who: cmd.ChargeDueRecurringGifts(tenant=who.tenant, as_of=req.as_of),
            reply=lambda run: g.ChargeRunView(as_of=run.as_of, due=run.due, charged=run.charged, failed=run.failed,
                                              skipped=run.skipped),
            description="Charge the recurring gifts due now (the scheduler does it every hour)."),
    UseCase(subject=query(g.MY_DONATIONS), request=g.MyDonationsQuery, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: cmd.MyDonations(who.tenant, acting_member(who.principal, None)),
            reply=lambda found: g.MyDonations(gifts=[gift_view(x) for x in found[0]],
                                              recurring=[recurring_view(r) for r in found[1]],
                                              pledges=[pledge_view(p) for p in found[2]]),
            description="Your gifts, recurring gifts and pledges."),
]

