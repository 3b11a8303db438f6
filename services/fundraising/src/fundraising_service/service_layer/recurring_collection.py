"""Automatic collection of recurring gifts (issue 12 item 2).

- **Start**: the donor pays the first period through the hosted checkout, which also saves the
  card for later off-session charges (Stripe: `setup_future_usage=off_session` on a customer;
  the local provider: a saved "test card"). The provider's signed webhook — idempotent by its
  event id and by the checkout — creates the recurring gift and the first gift in one transaction.
- **Charges**: a leased scheduler (`Sweep`, one replica at a time) charges every gift due. Each
  attempt is first *claimed* on the recurring gift (a conditional write: two schedulers never
  both hold it), then charged at the provider under the attempt's key (`rg-<id>-<period>-<n>`, the
  provider's idempotency key: a crash between the charge and its record re-runs the very same
  charge, never a second one), then settled: a gift (`donation_received`, hence the receipt) or a
  failure (`recurring_gift_failed`: the donor's reminder) with the next retry on the dunning schedule.
- **Update**: a failed gift's donor pays the overdue period with a new card through a new
  checkout; the webhook settles the period, replaces the saved card and returns the gift to `active`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from fundraising_service.domain.campaigns import PostalAddress
from fundraising_service.domain.gifts import (
    ChargeAttempt,
    ChargeNotDue,
    Donor,
    Frequency,
    Gift,
    InvalidGift,
    ReceiptChoice,
    RecurringGift,
    RecurringGiftTransitionRefused,
    RecurringStatus,
    UnknownRecurringGift,
    check_amount,
)
from fundraising_service.domain.payments import (
    ChargeResult,
    Checkout,
    Method,
    Payment,
    PaymentStatus,
    PaymentTarget,
    ProviderUnavailable,
    Purpose,
)
from fundraising_service.service_layer.gift_commands import (
    ChargeDueRecurringGifts,
    StartRecurringGiftOnline,
    UpdateRecurringPaymentMethod,
)
from fundraising_service.service_layer.gift_handlers import _campaign, _donor
from fundraising_service.service_layer.gift_ports import GiftsUnitOfWork
from fundraising_service.service_layer.payment_handlers import Providers
from servicekit.domain import new_id, utcnow
from servicekit.logging import get_logger

log = get_logger(__name__)

FREQUENCY_FR = {Frequency.MONTHLY: "mensuel", Frequency.YEARLY: "annuel"}


@dataclass(frozen=True)
class ChargeRun:
    as_of: date
    due: int
    charged: int
    failed: int
    skipped: int


async def start_recurring_gift_online(cmd: StartRecurringGiftOnline, uow: GiftsUnitOfWork, providers: Providers,
                                      clock: Callable[[], datetime] = utcnow) -> tuple[str, Checkout]:
    """A hosted checkout for the first period; the recurring gift is made by the webhook (and
    takes the checkout's id: one recurring gift per checkout, by construction)."""
    if providers.checkout is None:
        raise ProviderUnavailable("no payment provider is configured for online payments")
    provider = providers.checkout
    now = clock()
    check_amount(cmd.amount)
    async with uow:
        name = "Fondation"
        if cmd.campaign_id is not None:
            campaign = await _campaign(uow, cmd.tenant, cmd.campaign_id)
            campaign.check_gift(cmd.amount, cmd.fund_id, None, now)
            name = campaign.name_fr
        donor = await _donor(uow, cmd.tenant, cmd.member_id, cmd.donor)
        checkout = Checkout.open(
            tenant=cmd.tenant, target=PaymentTarget(Purpose.GIFT, cmd.campaign_id or "recurring-gift", cmd.member_id),
            amount=cmd.amount, description=f"Don {FREQUENCY_FR[cmd.frequency]} — {name}"[:120],
            methods=(Method.CARD,), provider=provider.name, now=now, save_method=True)
        checkout.attach(await provider.create_checkout(checkout, cmd.return_url, now))
        await uow.checkouts.save(checkout)
        await uow.gift_intents.put(cmd.tenant, checkout.id, {
            "kind": "recurring_start", "member_id": cmd.member_id, "campaign_id": cmd.campaign_id,
            "fund_id": cmd.fund_id, "frequency": str(cmd.frequency), "anonymous": cmd.anonymous,
            "receipt": str(cmd.receipt), "donor": asdict(donor)})
        await uow.commit()
    return checkout.id, checkout


async def update_recurring_payment_method(cmd: UpdateRecurringPaymentMethod, uow: GiftsUnitOfWork,
                                          providers: Providers, clock: Callable[[], datetime] = utcnow
                                          ) -> tuple[str, Checkout]:
    """The reminder's link: a checkout paying the overdue period with a new card, saved for the next."""
    if providers.checkout is None:
        raise ProviderUnavailable("no payment provider is configured for online payments")
    provider = providers.checkout
    now = clock()
    async with uow:
        recurring = await uow.recurring_gifts.get(cmd.tenant, cmd.recurring_gift_id)
        if recurring is None or (cmd.member_id is not None and recurring.member_id != cmd.member_id):
            raise UnknownRecurringGift(f"no recurring gift {cmd.recurring_gift_id}")
        if recurring.status is not RecurringStatus.FAILED:
            raise RecurringGiftTransitionRefused(
                f"recurring gift {recurring.id} is {recurring.status}: only a failed one needs a new payment method")
        checkout = Checkout.open(
            tenant=cmd.tenant,
            target=PaymentTarget(Purpose.GIFT, recurring.campaign_id or "recurring-gift", recurring.member_id),
            amount=recurring.amount, description=f"Don {FREQUENCY_FR[recurring.frequency]} — échéance du "
                                                 f"{recurring.next_charge_on}"[:120],
            methods=(Method.CARD,), provider=provider.name, now=now, save_method=True)
        checkout.attach(await provider.create_checkout(checkout, cmd.return_url, now))
        await uow.checkouts.save(checkout)
        await uow.gift_intents.put(cmd.tenant, checkout.id, {
            "kind": "recurring_update", "member_id": recurring.member_id, "recurring_gift_id": recurring.id,
            "campaign_id": recurring.campaign_id})
        await uow.commit()
    return recurring.id, checkout


def _donor_of(intent: dict[str, Any]) -> Donor:
    doc: dict[str, Any] = dict(intent["donor"])
    address = doc.pop("address", None)
    return Donor(**doc, address=PostalAddress(**address) if address else None)


async def _book_charge(uow: GiftsUnitOfWork, recurring: RecurringGift, payment: Payment, paid_on: date,
                       now: datetime, gift_id: str | None = None) -> Gift:
    campaign = await uow.campaigns.get(recurring.tenant, recurring.campaign_id) if recurring.campaign_id else None
    gift = Gift.receive(tenant=recurring.tenant, member_id=recurring.member_id, amount=recurring.amount,
                        campaign_id=recurring.campaign_id, legal_entity=campaign.legal_entity if campaign else None,
                        method=payment.method, provider=payment.provider, paid_on=paid_on, now=now,
                        donor=recurring.donor, fund_id=recurring.fund_id, anonymous=recurring.anonymous,
                        receipt=recurring.receipt, payment_id=payment.id, recurring_gift_id=recurring.id,
                        gift_id=gift_id)
    await uow.gifts.save(gift)  # the campaign's progress and the receipt follow from `donation_received`
    return gift


async def recurring_paid(uow: GiftsUnitOfWork, payment: Payment, intent: dict[str, Any], now: datetime
                         ) -> Gift | None:
    """Inside the webhook's transaction: the first period (a new recurring gift) or an overdue one
    paid with a new card. The same webhook twice never comes here twice (provider event id, one
    payment per checkout)."""
    assert payment.checkout_id is not None
    paid_at = payment.at or now
    now = max(now, paid_at)
    mandate = payment.mandate_ref
    if intent["kind"] == "recurring_start":
        common: dict[str, Any] = {
            "tenant": payment.tenant, "member_id": payment.target.member_id, "campaign_id": intent.get("campaign_id"),
            "fund_id": intent.get("fund_id"), "amount": payment.amount, "frequency": Frequency(intent["frequency"]),
            "donor": _donor_of(intent), "anonymous": bool(intent.get("anonymous")),
            "receipt": ReceiptChoice(str(intent.get("receipt", "yearly_summary")))}
        if mandate is not None:
            recurring = RecurringGift.start_automatic(gift_id=payment.checkout_id, provider=payment.provider,
                                                      mandate_ref=mandate, paid_on=paid_at.date(), now=now, **common)
        else:  # the provider kept no card: the office records the next charges (never a silent stop)
            log.warning("recurring gift paid without a saved payment method", checkout_id=payment.checkout_id)
            recurring = RecurringGift.start(first_charge_on=paid_at.date(), now=now, **common)
            recurring.id = payment.checkout_id
            recurring.charged(paid_at.date())
        await uow.recurring_gifts.save(recurring)
        return await _book_charge(uow, recurring, payment, paid_at.date(), now, gift_id=payment.checkout_id)
    found = await uow.recurring_gifts.get(payment.tenant, str(intent["recurring_gift_id"]))
    if found is None:
        log.warning("overdue period paid for an unknown recurring gift", checkout_id=payment.checkout_id)
        return None
    if found.status is RecurringStatus.CANCELLED or mandate is None:
        # The money is in: a gift all the same (refundable by the office), the schedule unchanged.
        log.warning("overdue period paid but the recurring gift is cancelled or no card was saved",
                    recurring_gift_id=found.id)
    else:
        found.payment_method_updated(payment.provider, mandate, paid_at.date(), now)
        await uow.recurring_gifts.save(found)
    return await _book_charge(uow, found, payment, paid_at.date(), now, gift_id=payment.checkout_id)


async def charge_due_recurring_gifts(cmd: ChargeDueRecurringGifts, uow_factory: Callable[[], GiftsUnitOfWork],
                                     providers: Providers, clock: Callable[[], datetime] = utcnow,
                                     test_clock: bool = False) -> ChargeRun:
    """Charge what is due on `as_of` (default today). A day in the future is the test clock of
    development and tests only (`FUNDRAISING_TEST_CLOCK`): it advances the time of the charges."""
    now = clock()
    today = cmd.as_of or now.date()
    if today > now.date():
        if not test_clock:
            raise InvalidGift("as_of is in the future: charges are made on their day (no test clock here)")
        now = datetime.combine(today, now.timetz())
    async with (reader := uow_factory()):
        due = await reader.recurring_gifts.due(today, cmd.limit, cmd.tenant)
    charged = failed = skipped = 0
    for tenant, recurring_id in due:
        try:
            outcome = await _charge_one(tenant, recurring_id, today, now, uow_factory, providers)
        except Exception:  # one gift's trouble never stops the others; its claim expires and it is tried again
            log.exception("recurring charge failed unexpectedly", tenant=tenant, recurring_gift_id=recurring_id)
            outcome = None
        if outcome is None:
            skipped += 1
        elif outcome:
            charged += 1
        else:
            failed += 1
    if due:
        log.info("recurring gifts charged", as_of=str(today), due=len(due), charged=charged, failed=failed,
                 skipped=skipped)
    return ChargeRun(today, len(due), charged, failed, skipped)


async def _charge_one(tenant: str, recurring_id: str, today: date, now: datetime,
                      uow_factory: Callable[[], GiftsUnitOfWork], providers: Providers) -> bool | None:
    """True: charged; False: declined (dunning); None: not charged now (claimed elsewhere, not due,
    the provider unreachable — the claim expires and the same attempt runs again later)."""
    async with (uow := uow_factory()):
        recurring = await uow.recurring_gifts.get(tenant, recurring_id)
        if recurring is None:
            return None
        try:
            attempt = recurring.claim_charge(today, now)
        except ChargeNotDue:
            return None
        if not await uow.recurring_gifts.claim(recurring):  # another scheduler changed it first
            return None
    provider = providers.by_name.get(recurring.provider or "")
    if provider is None or recurring.mandate_ref is None:
        log.warning("recurring gift's provider is not configured here", recurring_gift_id=recurring_id,
                    provider=recurring.provider)
        return None
    try:
        result = await provider.charge_saved(recurring.mandate_ref, recurring.amount, attempt.key,
                                             {"tenant": tenant, "recurring_gift_id": recurring_id,
                                              "period": attempt.period.isoformat()})
    except ProviderUnavailable:
        log.warning("payment provider unavailable for a recurring charge", recurring_gift_id=recurring_id,
                    key=attempt.key)
        return None
    return await _settle(tenant, attempt, result, now, uow_factory)


async def _settle(tenant: str, attempt: ChargeAttempt, result: ChargeResult, now: datetime,
                  uow_factory: Callable[[], GiftsUnitOfWork]) -> bool | None:
    uow = uow_factory()
    async with uow:
        recurring = await uow.recurring_gifts.get(tenant, attempt.recurring_gift_id)
        if recurring is None or not recurring.settle_charge(attempt, result.succeeded, result.reason, now):
            return None
        if result.succeeded:
            payment = Payment(id=new_id(), tenant=tenant,
                              target=PaymentTarget(Purpose.GIFT, recurring.campaign_id or recurring.id,
                                                   recurring.member_id),
                              amount=recurring.amount, method=result.method, provider=recurring.provider or "",
                              status=PaymentStatus.SUCCEEDED, at=now, reference=attempt.key,
                              provider_payment_ref=result.reference)
            await uow.payments.save(payment)
            await _book_charge(uow, recurring, payment, now.date(), now)
        await uow.recurring_gifts.save(recurring)
        await uow.commit()
    log.info("recurring charge settled", recurring_gift_id=recurring.id, key=attempt.key,
             succeeded=result.succeeded, reason=result.reason)
    return result.succeeded
