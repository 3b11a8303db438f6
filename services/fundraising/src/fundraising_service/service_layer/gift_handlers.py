"""Use cases of campaigns, gifts, recurring gifts, pledges and giving figures.

Every gift — recorded by hand, paid online (created in the very transaction that handles the
provider's webhook), a recurring charge, a pledge instalment — moves its campaign's progress
in the same transaction, and publishes `donation_received` through the outbox.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from fundraising_service.domain.campaigns import Campaign, PostalAddress, UnknownCampaign
from fundraising_service.domain.gifts import (
    Donor,
    Gift,
    InvalidGift,
    Nature,
    Pledge,
    ReceiptChoice,
    RecurringGift,
    RecurringGiftTransitionRefused,
    UnknownGift,
    UnknownPledge,
    UnknownRecurringGift,
)
from fundraising_service.domain.model import Money, UnknownDonor
from fundraising_service.domain.payments import (
    MANUAL,
    Checkout,
    Method,
    Payment,
    PaymentStatus,
    PaymentTarget,
    ProviderUnavailable,
    Purpose,
)
from fundraising_service.service_layer.gift_commands import (
    CampaignLeaderboard,
    ChangeRecurringGift,
    CloseCampaign,
    GetCampaign,
    GiftDetails,
    GiveOnline,
    GivingReport,
    LaunchCampaign,
    ListCampaigns,
    ListGifts,
    ListPledges,
    ListRecurringGifts,
    MakePledge,
    MyDonations,
    PublicCampaign,
    RebuildProgress,
    RecordGift,
    RecordRecurringCharge,
    RefundGift,
    StartRecurringGift,
)
from fundraising_service.service_layer.gift_ports import GiftsUnitOfWork
from fundraising_service.service_layer.payment_handlers import Providers
from servicekit.domain import utcnow
from servicekit.logging import get_logger

log = get_logger(__name__)


# -- campaigns ---------------------------------------------------------------------------

async def launch_campaign(cmd: LaunchCampaign, uow: GiftsUnitOfWork,
                          clock: Callable[[], datetime] = utcnow) -> Campaign:
    now = clock()
    async with uow:
        campaign = Campaign.launch(tenant=cmd.tenant, name_fr=cmd.name_fr, name_en=cmd.name_en,
                                   description_fr=cmd.description_fr, description_en=cmd.description_en,
                                   goal=cmd.goal, starts_at=cmd.starts_at or now, ends_at=cmd.ends_at,
                                   legal_entity=cmd.legal_entity, funds=cmd.funds, appeals=cmd.appeals,
                                   giving_day=cmd.giving_day, now=now)
        await uow.campaigns.save(campaign)
        await uow.commit()
    return campaign


async def _campaign(uow: GiftsUnitOfWork, tenant: str, campaign_id: str) -> Campaign:
    campaign = await uow.campaigns.get(tenant, campaign_id)
    if campaign is None:  # another tenant's campaign is as unknown as a missing one
        raise UnknownCampaign(f"no campaign {campaign_id}")
    return campaign


async def close_campaign(cmd: CloseCampaign, uow: GiftsUnitOfWork, clock: Callable[[], datetime] = utcnow) -> Campaign:
    async with uow:
        campaign = await _campaign(uow, cmd.tenant, cmd.campaign_id)
        campaign.close(clock())
        await uow.campaigns.save(campaign)
        await uow.commit()
    return campaign


async def get_campaign(query: GetCampaign, uow: GiftsUnitOfWork) -> Campaign:
    async with uow:
        return await _campaign(uow, query.tenant, query.campaign_id)


async def list_campaigns(query: ListCampaigns, uow: GiftsUnitOfWork) -> list[Campaign]:
    async with uow:
        return await uow.campaigns.list(query.tenant, query.status, query.limit)


async def public_campaign(query: PublicCampaign, uow: GiftsUnitOfWork) -> tuple[Campaign, list[str]]:
    """The campaign and the names of donors who agreed to be named (never anonymous ones)."""
    async with uow:
        campaign = await _campaign(uow, query.tenant, query.campaign_id)
        names: list[str] = []
        for gift in await uow.gifts.of_campaign(query.tenant, query.campaign_id):
            if gift.named_publicly and not gift.anonymous and gift.net_minor > 0:
                name = public_name(gift.donor)
                if name and name not in names:
                    names.append(name)
    return campaign, names


def public_name(donor: Donor) -> str | None:
    if donor.company_name:
        return donor.company_name
    if donor.first_name and donor.last_name:
        return f"{donor.first_name} {donor.last_name[0]}."
    return donor.first_name or None


# -- gifts -------------------------------------------------------------------------------

async def _donor(uow: GiftsUnitOfWork, tenant: str, member_id: str, donor: Donor) -> Donor:
    """The donor as the receipt names them: the member's projected names unless given."""
    known = await uow.cohorts.name(tenant, member_id)
    if known is None:
        # Registered but maybe not yet projected here (eventual consistency): retry in a moment.
        raise UnknownDonor(f"member {member_id} is not known to fundraising (yet)")
    if donor.company_name is None and not (donor.first_name and donor.last_name):
        donor = replace(donor, first_name=donor.first_name or known[0], last_name=donor.last_name or known[1])
    return donor


async def _book(uow: GiftsUnitOfWork, campaign: Campaign, gift: Gift, now: datetime) -> None:
    """Save a new gift. The campaign's progress follows from its `donation_received` (the
    progress projection, `apply_to_progress`): one consumer moves it, so concurrent gifts to
    one campaign on a giving day never contend for its counters."""
    await uow.gifts.save(gift)


async def apply_to_progress(tenant: str, campaign_id: str, member_id: str, amount_minor: int, refund: bool,
                            uow: GiftsUnitOfWork, clock: Callable[[], datetime] = utcnow) -> None:
    """The progress projection, fed by `donation_received` / `donation_refunded` (inbox-guarded:
    a redelivery changes nothing); `campaign_goal_reached` once, from here."""
    async with uow:
        campaign = await uow.campaigns.get(tenant, campaign_id)
        if campaign is None:
            log.warning("progress of an unknown campaign", campaign_id=campaign_id)
            return
        if refund:
            campaign.remove(amount_minor)
            await uow.campaigns.add_progress(campaign, -amount_minor, 0, 0)
        else:
            new_donor = await uow.campaigns.first_gift_of(campaign, member_id)
            campaign.add_gift(Money(amount_minor, campaign.goal.currency), new_donor, clock())
            await uow.campaigns.add_progress(campaign, amount_minor, 1, 1 if new_donor else 0)
        await uow.commit()


async def rebuild_campaign_progress(cmd: RebuildProgress, uow: GiftsUnitOfWork) -> tuple[str, int, int, int]:
    """The use case: a manager recomputes a campaign's progress from its gifts."""
    async with uow:
        await _campaign(uow, cmd.tenant, cmd.campaign_id)  # another tenant's: 404
    return (cmd.campaign_id, *await rebuild_progress(cmd.tenant, cmd.campaign_id, uow))


async def rebuild_progress(tenant: str, campaign_id: str, uow: GiftsUnitOfWork) -> tuple[int, int, int]:
    """Recompute a campaign's progress from its gifts (the source records): (raised, gifts, donors)."""
    async with uow:
        gifts = await uow.gifts.of_campaign(tenant, campaign_id)
        raised = sum(g.net_minor for g in gifts)
        donors = sorted({g.member_id for g in gifts})
        await uow.campaigns.reset_progress(tenant, campaign_id, raised, len(gifts), donors)
        await uow.commit()
    return raised, len(gifts), len(donors)


async def _apply_to_pledge(uow: GiftsUnitOfWork, gift: Gift, now: datetime) -> None:
    if gift.pledge_id is None:
        return
    pledge = await uow.pledges.get(gift.tenant, gift.pledge_id)
    if pledge is None:
        raise UnknownPledge(f"no pledge {gift.pledge_id}")
    pledge.pay(gift.id, gift.amount, now)
    await uow.pledges.save(pledge)


async def _check_pledge(uow: GiftsUnitOfWork, tenant: str, pledge_id: str | None, member_id: str,
                        amount: Money) -> int | None:
    if pledge_id is None:
        return None
    pledge = await uow.pledges.get(tenant, pledge_id)
    if pledge is None:
        raise UnknownPledge(f"no pledge {pledge_id}")
    return pledge.check_payment(amount, member_id)


async def record_gift(cmd: RecordGift, uow: GiftsUnitOfWork, clock: Callable[[], datetime] = utcnow) -> Gift:
    """A gift received outside the platform; a cash one is also a manual payment of the port."""
    now = clock()
    d = cmd.details
    async with uow:
        campaign = await _campaign(uow, cmd.tenant, d.campaign_id)
        at = now if cmd.received_on >= now.date() else datetime.combine(cmd.received_on, now.timetz())
        campaign.check_gift(d.amount, d.fund_id, d.appeal_id, max(at, campaign.starts_at or at))
        donor = await _donor(uow, cmd.tenant, cmd.member_id, d.donor)
        matches = None
        if cmd.matches_gift_id is not None:
            matches = await uow.gifts.get(cmd.tenant, cmd.matches_gift_id)
            if matches is None:
                raise UnknownGift(f"no gift {cmd.matches_gift_id} to match")
        instalment = await _check_pledge(uow, cmd.tenant, d.pledge_id, cmd.member_id, d.amount)
        payment_id = None
        if cmd.nature is Nature.CASH:
            payment = Payment.manual(tenant=cmd.tenant, target=PaymentTarget(Purpose.GIFT, campaign.id, cmd.member_id),
                                     amount=d.amount, method=cmd.method, reference=cmd.reference,
                                     received_on=cmd.received_on, now=now,
                                     late_entry_reason="gift" if (now.date() - cmd.received_on).days > 31 else None)
            await uow.payments.save(payment)
            payment_id = payment.id
        gift = Gift.receive(tenant=cmd.tenant, member_id=cmd.member_id, amount=d.amount, campaign_id=campaign.id,
                            legal_entity=campaign.legal_entity, method=cmd.method, provider=MANUAL,
                            paid_on=cmd.received_on, now=now, donor=donor, fund_id=d.fund_id, appeal_id=d.appeal_id,
                            nature=cmd.nature, reference=cmd.reference, anonymous=d.anonymous,
                            named_publicly=d.name_publicly, receipt=d.receipt, locale=d.locale,
                            payment_id=payment_id, pledge_id=d.pledge_id, instalment=instalment, matches=matches)
        await _book(uow, campaign, gift, now)
        await _apply_to_pledge(uow, gift, now)
        await uow.commit()
    return gift


def _intent(member_id: str, d: GiftDetails, instalment: int | None) -> dict[str, Any]:
    donor = asdict(d.donor)
    return {"member_id": member_id, "campaign_id": d.campaign_id, "fund_id": d.fund_id, "appeal_id": d.appeal_id,
            "anonymous": d.anonymous, "name_publicly": d.name_publicly, "donor": donor, "receipt": str(d.receipt),
            "locale": d.locale, "pledge_id": d.pledge_id, "instalment": instalment}


async def give_online(cmd: GiveOnline, uow: GiftsUnitOfWork, providers: Providers,
                      clock: Callable[[], datetime] = utcnow) -> tuple[str, Checkout]:
    """A hosted checkout for a gift: the gift itself is created by the provider's webhook."""
    if providers.checkout is None:
        raise ProviderUnavailable("no payment provider is configured for online payments")
    provider = providers.checkout
    now = clock()
    d = cmd.details
    async with uow:
        campaign = await _campaign(uow, cmd.tenant, d.campaign_id)
        campaign.check_gift(d.amount, d.fund_id, d.appeal_id, now)
        donor = await _donor(uow, cmd.tenant, cmd.member_id, d.donor)
        instalment = await _check_pledge(uow, cmd.tenant, d.pledge_id, cmd.member_id, d.amount)
        checkout = Checkout.open(tenant=cmd.tenant, target=PaymentTarget(Purpose.GIFT, campaign.id, cmd.member_id),
                                 amount=d.amount, description=f"Don — {campaign.name_fr}"[:120],
                                 methods=(Method.CARD,), provider=provider.name, now=now)
        checkout.attach(await provider.create_checkout(checkout, cmd.return_url, now))
        await uow.checkouts.save(checkout)
        gift_id = checkout.id  # the gift takes its checkout's id: one gift per checkout, by construction
        await uow.gift_intents.put(cmd.tenant, gift_id, _intent(cmd.member_id, replace(d, donor=donor), instalment))
        await uow.commit()
    return gift_id, checkout


async def gift_paid(uow: GiftsUnitOfWork, payment: Payment, now: datetime) -> Gift | None:
    """Called by the webhook handler, inside its transaction, for a succeeded gift payment."""
    if payment.target.purpose is not Purpose.GIFT or payment.status is not PaymentStatus.SUCCEEDED \
            or payment.checkout_id is None:
        return None
    intent = await uow.gift_intents.get(payment.tenant, payment.checkout_id)
    if intent is None:
        log.warning("gift payment without a gift intent", payment_id=payment.id, checkout_id=payment.checkout_id)
        return None
    if intent.get("kind") in ("recurring_start", "recurring_update"):
        from fundraising_service.service_layer.recurring_collection import recurring_paid

        return await recurring_paid(uow, payment, intent, now)
    campaign = await _campaign(uow, payment.tenant, str(intent["campaign_id"]))
    donor_doc: dict[str, Any] = dict(intent["donor"])  # type: ignore[call-overload]
    address = donor_doc.pop("address", None)
    donor = Donor(**donor_doc, address=PostalAddress(**address) if address else None)
    paid_at = payment.at or now
    # Paid: the money is in even if the campaign closed meanwhile (it is not refused after the fact).
    gift = Gift.receive(tenant=payment.tenant, member_id=payment.target.member_id, amount=payment.amount,
                        campaign_id=campaign.id, legal_entity=campaign.legal_entity, method=payment.method,
                        provider=payment.provider, paid_on=paid_at.date(), now=max(now, paid_at), donor=donor,
                        fund_id=_str(intent.get("fund_id")), appeal_id=_str(intent.get("appeal_id")),
                        anonymous=bool(intent.get("anonymous")), named_publicly=bool(intent.get("name_publicly")),
                        receipt=ReceiptChoice(str(intent.get("receipt", "per_gift"))),
                        locale=str(intent.get("locale", "fr")), payment_id=payment.id,
                        pledge_id=_str(intent.get("pledge_id")),
                        instalment=int(str(intent["instalment"])) if intent.get("instalment") else None,
                        gift_id=payment.checkout_id)
    await _book(uow, campaign, gift, now)
    await _apply_to_pledge(uow, gift, now)
    return gift


def _str(value: object) -> str | None:
    return None if value is None else str(value)


async def refund_gift(cmd: RefundGift, uow: GiftsUnitOfWork, providers: Providers,
                      clock: Callable[[], datetime] = utcnow) -> Gift:
    now = clock()
    async with uow:
        gift = await uow.gifts.get(cmd.tenant, cmd.gift_id)
        if gift is None:
            raise UnknownGift(f"no gift {cmd.gift_id}")
        gift.refund(cmd.amount_minor, cmd.reason, now)
        if gift.payment_id is not None:
            payment = await uow.payments.get(cmd.tenant, gift.payment_id)
            if payment is not None:
                key = f"refund-{payment.id}-{payment.refunded_minor}-{cmd.amount_minor}"
                payment.refund(cmd.amount_minor, cmd.reason, now)
                if payment.provider != MANUAL:
                    await providers.named(payment.provider).refund(payment, cmd.amount_minor, key)
                await uow.payments.save(payment)
        await uow.gifts.save(gift)  # the progress follows from `donation_refunded`
        await uow.commit()
    return gift


async def list_gifts(query: ListGifts, uow: GiftsUnitOfWork) -> tuple[list[Gift], str | None]:
    async with uow:
        found = await uow.gifts.page(query.tenant, query.campaign_id, query.member_id, query.after, query.limit + 1)
    page = found[:query.limit]
    return page, (page[-1].id if len(found) > query.limit else None)


# -- recurring gifts ---------------------------------------------------------------------

async def start_recurring_gift(cmd: StartRecurringGift, uow: GiftsUnitOfWork,
                               clock: Callable[[], datetime] = utcnow) -> RecurringGift:
    now = clock()
    async with uow:
        if cmd.campaign_id is not None:
            campaign = await _campaign(uow, cmd.tenant, cmd.campaign_id)
            campaign.check_gift(cmd.amount, cmd.fund_id, None, now)
        donor = await _donor(uow, cmd.tenant, cmd.member_id, cmd.donor)
        first = cmd.first_charge_on or now.date()
        if first < now.date():
            raise InvalidGift("the first charge cannot be in the past")
        recurring = RecurringGift.start(tenant=cmd.tenant, member_id=cmd.member_id, campaign_id=cmd.campaign_id,
                                        fund_id=cmd.fund_id, amount=cmd.amount, frequency=cmd.frequency, donor=donor,
                                        anonymous=cmd.anonymous, receipt=cmd.receipt, first_charge_on=first, now=now)
        await uow.recurring_gifts.save(recurring)
        await uow.commit()
    return recurring


async def record_recurring_charge(cmd: RecordRecurringCharge, uow: GiftsUnitOfWork,
                                  clock: Callable[[], datetime] = utcnow) -> RecurringGift:
    """One charge's outcome: a success is a gift (and `donation_received`), a failure puts the
    recurring gift in `failed` and publishes `recurring_gift_failed` (the donor's reminder)."""
    now = clock()
    async with uow:
        recurring = await uow.recurring_gifts.get(cmd.tenant, cmd.recurring_gift_id)
        if recurring is None:
            raise UnknownRecurringGift(f"no recurring gift {cmd.recurring_gift_id}")
        if recurring.status.value in ("cancelled", "paused"):
            raise RecurringGiftTransitionRefused(f"recurring gift {recurring.id} is {recurring.status}")
        if recurring.automatic:  # its charges are the scheduler's (a second record would pay a period twice)
            raise RecurringGiftTransitionRefused(f"recurring gift {recurring.id} is charged automatically")
        if not cmd.succeeded:
            recurring.charge_failed(cmd.reason or "charge_failed", now)
        else:
            recurring.charged(cmd.charged_on)
            campaign = await _campaign(uow, cmd.tenant, recurring.campaign_id) if recurring.campaign_id else None
            gift = Gift.receive(tenant=cmd.tenant, member_id=recurring.member_id, amount=recurring.amount,
                                campaign_id=recurring.campaign_id,
                                legal_entity=campaign.legal_entity if campaign else None, method=cmd.method,
                                provider=MANUAL, paid_on=cmd.charged_on, now=now, donor=recurring.donor,
                                fund_id=recurring.fund_id, anonymous=recurring.anonymous, receipt=recurring.receipt,
                                recurring_gift_id=recurring.id)
            if campaign is not None:
                await _book(uow, campaign, gift, now)
            else:
                await uow.gifts.save(gift)
        await uow.recurring_gifts.save(recurring)
        await uow.commit()
    return recurring


async def change_recurring_gift(cmd: ChangeRecurringGift, uow: GiftsUnitOfWork,
                                clock: Callable[[], datetime] = utcnow) -> RecurringGift:
    async with uow:
        recurring = await uow.recurring_gifts.get(cmd.tenant, cmd.recurring_gift_id)
        if recurring is None or (cmd.member_id is not None and recurring.member_id != cmd.member_id):
            raise UnknownRecurringGift(f"no recurring gift {cmd.recurring_gift_id}")
        match cmd.action:
            case "pause":
                recurring.pause()
            case "resume":
                recurring.resume()
            case _:
                recurring.cancel(cmd.reason, clock())
        await uow.recurring_gifts.save(recurring)
        await uow.commit()
    return recurring


async def list_recurring_gifts(query: ListRecurringGifts, uow: GiftsUnitOfWork) -> list[RecurringGift]:
    async with uow:
        return await uow.recurring_gifts.list(query.tenant, query.member_id, query.status, query.limit)


# -- pledges -----------------------------------------------------------------------------

async def make_pledge(cmd: MakePledge, uow: GiftsUnitOfWork, clock: Callable[[], datetime] = utcnow) -> Pledge:
    now = clock()
    async with uow:
        if cmd.campaign_id is not None:
            campaign = await _campaign(uow, cmd.tenant, cmd.campaign_id)
            campaign.check_gift(cmd.total, cmd.fund_id, None, now)
        donor = await _donor(uow, cmd.tenant, cmd.member_id, Donor())
        pledge = Pledge.make(tenant=cmd.tenant, member_id=cmd.member_id, campaign_id=cmd.campaign_id,
                             fund_id=cmd.fund_id, total=cmd.total, due_dates=cmd.due_dates, donor=donor,
                             anonymous=cmd.anonymous, now=now)
        await uow.pledges.save(pledge)
        await uow.commit()
    return pledge


async def list_pledges(query: ListPledges, uow: GiftsUnitOfWork) -> list[Pledge]:
    async with uow:
        return await uow.pledges.list(query.tenant, query.member_id, query.limit)


async def my_donations(query: MyDonations, uow: GiftsUnitOfWork
                       ) -> tuple[list[Gift], list[RecurringGift], list[Pledge]]:
    async with uow:
        gifts = await uow.gifts.page(query.tenant, None, query.member_id, None, 200)
        recurring = await uow.recurring_gifts.list(query.tenant, query.member_id, None, 100)
        pledges = await uow.pledges.list(query.tenant, query.member_id, 100)
    return gifts, recurring, pledges


# -- class giving ------------------------------------------------------------------------

Row = dict[str, Any]


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


Leaderboard = tuple[Campaign, list[Row], list[Row]]
# Consoles poll the leaderboard every 5 s during a giving day; it reads the campaign's gifts and
# the register (~1 s at 10,000 members and 5,000 gifts on the stand-in, bench/RESULTS.md), so
# each replica computes it at most once per this many seconds, whatever the number of consoles.
LEADERBOARD_TTL_SECONDS = 4.0
_leaderboards: dict[tuple[str, str], tuple[float, Leaderboard]] = {}


async def campaign_leaderboard(query: CampaignLeaderboard, uow: GiftsUnitOfWork,
                               clock: Callable[[], datetime] = utcnow) -> Leaderboard:
    """Per cohort and per program: alumni of record (fundraising's projection of members),
    distinct donors among them and net amount raised. A company's matching gift counts in the
    amount of its employee's cohort but not as a donor of it."""
    key = (query.tenant, query.campaign_id)
    cached = _leaderboards.get(key)
    if cached is not None and time.monotonic() - cached[0] < LEADERBOARD_TTL_SECONDS:
        return cached[1]
    board = await _compute_leaderboard(query, uow)
    if len(_leaderboards) > 1000:
        _leaderboards.clear()
    _leaderboards[key] = (time.monotonic(), board)
    return board


async def _compute_leaderboard(query: CampaignLeaderboard, uow: GiftsUnitOfWork) -> Leaderboard:
    async with uow:
        campaign = await _campaign(uow, query.tenant, query.campaign_id)
        gifts = [g for g in await uow.gifts.of_campaign(query.tenant, query.campaign_id) if g.net_minor > 0]
        main = await uow.cohorts.main_cohorts(query.tenant)  # one pass over the register
    sizes: dict[tuple[str, int], int] = defaultdict(int)
    for main_cohort in main.values():
        sizes[main_cohort] += 1
    donors: dict[tuple[str, int], set[str]] = defaultdict(set)
    raised: dict[tuple[str, int], int] = defaultdict(int)
    for gift in gifts:
        cohort = main.get(gift.member_id)  # the main cohort counts, once
        if cohort is not None:
            raised[cohort] += gift.net_minor
            if gift.matches_gift_id is None and not gift.donor.is_company:
                donors[cohort].add(gift.member_id)
    rows = [{"program": p, "graduation_year": y, "alumni": n, "donors": len(donors[(p, y)]),
             "participation_percent": _percent(len(donors[(p, y)]), n), "raised_minor": raised[(p, y)]}
            for (p, y), n in sizes.items()]
    by_program: dict[str, Row] = {}
    for row in rows:
        total = by_program.setdefault(str(row["program"]), {"program": row["program"], "graduation_year": 0, "alumni": 0,
                                                        "donors": 0, "raised_minor": 0})
        for key in ("alumni", "donors", "raised_minor"):
            total[key] += row[key]
    for total in by_program.values():
        total["participation_percent"] = _percent(total["donors"], total["alumni"])
    return campaign, rows, list(by_program.values())


async def giving_report(query: GivingReport, uow: GiftsUnitOfWork) -> Row:
    """Retention, LYBUNT / SYBUNT and the recurring base of one calendar year."""
    async with uow:
        history = await uow.gifts.years(query.tenant, query.year - 10)
        recurring = await uow.recurring_gifts.list(query.tenant, None, None, 10_000)
    by_donor: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[str, str] = {}
    for member_id, year, net, name in history:
        if net > 0 and year <= query.year:
            by_donor[member_id][year] += net
            names[member_id] = name
    this, last = query.year, query.year - 1
    donors_this = {m for m, years in by_donor.items() if this in years}
    donors_last = {m for m, years in by_donor.items() if last in years}
    retained = donors_this & donors_last

    def row(member_id: str) -> Row:
        years = by_donor[member_id]
        return {"member_id": member_id, "name": names.get(member_id, ""), "last_gift_year": max(years),
                "total_minor": sum(years.values())}

    lybunt = [row(m) for m in sorted(donors_last - donors_this)]
    sybunt = [row(m) for m in sorted(m for m, years in by_donor.items()
                                     if this not in years and last not in years)]
    active = sum(1 for r in recurring if r.status.value == "active")
    failed = sum(1 for r in recurring if r.status.value == "failed")
    paused = sum(1 for r in recurring if r.status.value == "paused")
    cancelled = sum(1 for r in recurring if r.status.value == "cancelled" and r.cancelled_at is not None
                    and r.cancelled_at.year == this)
    return {"year": this, "donors_this_year": len(donors_this), "donors_last_year": len(donors_last),
            "retained": len(retained), "retention_percent": _percent(len(retained), len(donors_last)),
            "lybunt": lybunt, "sybunt": sybunt, "recurring_active": active, "recurring_failed": failed,
            "recurring_cancelled_this_year": cancelled,
            "recurring_churn_percent": _percent(cancelled, active + failed + paused + cancelled)}

