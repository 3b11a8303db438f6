from __future__ import annotations

from datetime import datetime
from typing import Protocol

from fundraising_service.domain.model import Donation, Money
from fundraising_service.domain.payments import ChargeResult, Checkout, HostedCheckout, Payment, PaymentNotification
from fundraising_service.service_layer.commands import ProjectMember
from fundraising_service.service_layer.receipts import ReceiptUnitOfWork
from servicekit.uow import ErasingUnitOfWork


class DonationRepository(Protocol):
    async def add(self, donation: Donation) -> None: ...
    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int: ...


class DonorProjection(Protocol):
    async def apply(self, member: ProjectMember) -> bool: ...
    async def exists(self, tenant: str, member_id: str) -> bool: ...
    async def erase(self, tenant: str, member_id: str) -> int: ...


class CheckoutRepository(Protocol):
    async def get(self, tenant: str, checkout_id: str) -> Checkout | None: ...
    async def save(self, checkout: Checkout) -> None: ...
    async def unsettled_for(self, tenant: str, reference_id: str) -> list[Checkout]:
        """Open or processing checkouts for one membership (or campaign…): few at any time."""
        ...
    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int: ...


class PaymentRepository(Protocol):
    async def get(self, tenant: str, payment_id: str) -> Payment | None: ...
    async def save(self, payment: Payment) -> None: ...
    async def of_member(self, tenant: str, member_id: str | None, after: str | None, limit: int) -> list[Payment]: ...
    async def webhook_seen(self, tenant: str, provider: str, event_id: str) -> bool: ...
    async def remember_webhook(self, tenant: str, provider: str, event_id: str, checkout_id: str | None,
                               outcome: str, at: datetime) -> None: ...
    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int: ...


class PaymentProvider(Protocol):
    """The payment port: a hosted checkout (no card data here), signed webhooks, refunds."""

    name: str

    async def create_checkout(self, checkout: Checkout, return_url: str | None, now: datetime) -> HostedCheckout:
        """Open the hosted payment page for `checkout`."""
        ...

    def parse_webhook(self, payload: str, signature: str) -> PaymentNotification:
        """Verify the signature (and its age) over the raw body, then parse: `BadWebhook` otherwise."""
        ...

    async def refund(self, payment: Payment, amount_minor: int, key: str) -> str:
        """Refund at the provider (idempotent by `key`); returns the provider's refund id."""
        ...

    async def charge_saved(self, mandate_ref: str, amount: Money, key: str, metadata: dict[str, str]) -> ChargeResult:
        """Charge a saved payment method off-session (the donor is not there), idempotent by `key`:
        the same key twice is the same charge. A decline is a result; `ProviderUnavailable` when
        the provider could not be asked (then the same key is tried again later)."""
        ...


class FundraisingUnitOfWork(ErasingUnitOfWork, ReceiptUnitOfWork, Protocol):
    @property
    def donations(self) -> DonationRepository: ...

    @property
    def members(self) -> DonorProjection: ...

    @property
    def checkouts(self) -> CheckoutRepository: ...

    @property
    def payments(self) -> PaymentRepository: ...
