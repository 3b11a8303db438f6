"""The payment port: checkouts, signed webhooks (Stripe's scheme, shared by the local provider),
manual payments and refunds, through the use cases with a fake unit of work."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs

import pytest
import stripe
from structlog.testing import capture_logs

from alumni_contracts.fundraising import commands as c
from alumni_contracts.fundraising.v1 import DuesPaid, DuesPaymentFailed, DuesRefunded
from alumni_contracts.rpc import Principal, Role
from fundraising_service.adapters.stripe_checkout import (
    LocalCheckoutProvider,
    StripeCheckoutProvider,
    local_event,
    sign_webhook,
)
from fundraising_service.bootstrap import bootstrap
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import (
    AmountMismatch,
    BadWebhook,
    Checkout,
    CheckoutStatus,
    InvalidPayment,
    Method,
    Payment,
    PaymentInProgress,
    PaymentStatus,
    PaymentTarget,
    ProviderUnavailable,
    Purpose,
    RefundRefused,
    UnknownCheckout,
)
from fundraising_service.entrypoints.payment_use_cases import PayerNotNamed
from fundraising_service.service_layer import payment_handlers as h
from fundraising_service.service_layer.commands import (
    CreateCheckout,
    ListPayments,
    ReceiveWebhook,
    RecordManualPayment,
    RefundPayment,
)
from fundraising_service.service_layer.contract_mapping import to_contract
from servicekit.authz import MemberNotLinked
from servicekit.testing.fakes import FakeUnitOfWork

SECRET = "whsec_local_test"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
DUES = PaymentTarget(Purpose.DUES, "ms1", "m1", "standard")


class FakePaymentsUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__(to_contract)
        self.checkout_rows: dict[tuple[str, str], Checkout] = {}
        self.payment_rows: dict[tuple[str, str], Payment] = {}
        self.webhooks: set[tuple[str, str, str]] = set()
        self.checkouts = self.payments = self

    async def get(self, tenant: str, some_id: str) -> Any:
        found = self.checkout_rows.get((tenant, some_id)) or self.payment_rows.get((tenant, some_id))
        if found is not None:
            self.track(found)
        return found

    async def save(self, aggregate: Checkout | Payment) -> None:
        rows: dict[tuple[str, str], Any] = self.checkout_rows if isinstance(aggregate, Checkout) \
            else self.payment_rows
        rows[(aggregate.tenant, aggregate.id)] = aggregate
        self.track(aggregate)

    async def unsettled_for(self, tenant: str, reference_id: str) -> list[Checkout]:
        return [c for (t, _), c in self.checkout_rows.items() if t == tenant and c.target.reference_id == reference_id
                and c.status in (CheckoutStatus.OPEN, CheckoutStatus.PROCESSING)]

    async def of_member(self, tenant: str, member_id: str | None, after: str | None, limit: int) -> list[Payment]:
        return [p for (t, _), p in self.payment_rows.items() if t == tenant and member_id in (None, p.target.member_id)]

    async def webhook_seen(self, tenant: str, provider: str, event_id: str) -> bool:
        return (tenant, provider, event_id) in self.webhooks

    async def remember_webhook(self, tenant: str, provider: str, event_id: str, checkout_id: str | None,
                               outcome: str, at: datetime) -> None:
        self.webhooks.add((tenant, provider, event_id))

    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int:
        return 0


def local_provider() -> LocalCheckoutProvider:
    return LocalCheckoutProvider(page_url="http://127.0.0.1:8030", webhook_secret=SECRET)


async def open_checkout(uow: FakePaymentsUnitOfWork, providers: h.Providers, amount: int = 5000,
                        methods: tuple[Method, ...] = (Method.CARD,), tenant: str = "demo",
                        target: PaymentTarget = DUES) -> Checkout:
    return await h.create_checkout(CreateCheckout(tenant, target, Money(amount, "EUR"), "Cotisation 2026",
                                                  methods, None), uow, providers, clock=lambda: NOW)


def webhook(checkout: Checkout, *, paid: bool = True, amount: int | None = None, age: int = 0,
            secret: str = SECRET, tenant: str | None = None, reason: str | None = None) -> tuple[str, str]:
    assert checkout.session_id is not None
    body = local_event(session_id=checkout.session_id, checkout_id=checkout.id, tenant=tenant or checkout.tenant,
                       amount_minor=checkout.amount.minor_units if amount is None else amount, currency="EUR",
                       methods=[str(m) for m in checkout.methods], paid=paid, created=int(time.time()), reason=reason)
    return body, sign_webhook(body, secret, int(time.time()) - age)


async def deliver(uow: FakePaymentsUnitOfWork, providers: h.Providers, body: str, signature: str,
                  tenant: str = "demo", provider: str = "local") -> str:
    return await h.receive_webhook(ReceiveWebhook(tenant, provider, body, signature), uow, providers,
                                   clock=lambda: NOW)


@pytest.fixture
def uow() -> FakePaymentsUnitOfWork:
    return FakePaymentsUnitOfWork()


@pytest.fixture
def providers() -> h.Providers:
    return h.Providers.of(local_provider())


# -- the signature scheme --------------------------------------------------------------

def test_local_signature_is_stripes_scheme() -> None:
    body = '{"id":"evt_1","object":"event"}'
    assert sign_webhook(body, SECRET, 1_700_000_000) == \
        stripe.WebhookSignature.generate_signature_header(body, SECRET, 1_700_000_000)
    assert stripe.WebhookSignature.verify_header(body, sign_webhook(body, SECRET, int(time.time())), SECRET, 300)


async def test_a_signed_payment_webhook_completes_the_checkout_and_emits_dues_paid(
        uow: FakePaymentsUnitOfWork, providers: h.Providers) -> None:
    target = PaymentTarget(Purpose.DUES, "ms1", "m1", "lifetime", 1, 3)
    checkout = await open_checkout(uow, providers, target=target)
    assert checkout.url is not None and checkout.url.startswith("http://127.0.0.1:8030/checkout/cs_local_")
    assert uow.published == []  # opening a checkout publishes nothing

    assert await deliver(uow, providers, *webhook(checkout)) == "processed"

    assert checkout.status is CheckoutStatus.COMPLETED
    [event] = uow.published
    paid = event.data
    assert isinstance(paid, DuesPaid)
    assert (paid.membership_id, paid.member_id, paid.plan_id, paid.amount_minor, paid.currency) == \
        ("ms1", "m1", "lifetime", 5000, "EUR")
    assert (paid.method, paid.provider, paid.instalment, paid.instalments, paid.reference) == \
        ("card", "local", 1, 3, None)
    [payment] = uow.payment_rows.values()
    assert payment.id == paid.payment_id == checkout.payment_id and payment.status is PaymentStatus.SUCCEEDED


@pytest.mark.parametrize("case", ["wrong secret", "older than 300 s", "future", "tampered body", "no header",
                                  "garbage header"])
async def test_a_webhook_that_fails_verification_changes_nothing(
        case: str, uow: FakePaymentsUnitOfWork, providers: h.Providers) -> None:
    checkout = await open_checkout(uow, providers)
    body, signature = webhook(checkout, secret="whsec_other" if case == "wrong secret" else SECRET,
                              age={"older than 300 s": 301, "future": -301}.get(case, 0))
    if case == "tampered body":
        body = body.replace('"amount_total":5000', '"amount_total":1')
        assert '"amount_total":1,' in body
    signature = {"no header": "", "garbage header": "t=abc,v1=zz"}.get(case, signature)
    commits = uow.commits
    with pytest.raises(BadWebhook):
        await deliver(uow, providers, body, signature)
    assert checkout.status is CheckoutStatus.OPEN and uow.payment_rows == {} and uow.webhooks == set()
    assert uow.commits == commits and uow.published == []


async def test_a_webhook_just_within_the_tolerance_is_accepted(uow: FakePaymentsUnitOfWork,
                                                                providers: h.Providers) -> None:
    checkout = await open_checkout(uow, providers)
    assert await deliver(uow, providers, *webhook(checkout, age=290)) == "processed"


async def test_a_webhook_for_an_unknown_or_foreign_checkout_is_refused(uow: FakePaymentsUnitOfWork,
                                                                       providers: h.Providers) -> None:
    theirs = await open_checkout(uow, providers, tenant="other")
    with pytest.raises(UnknownCheckout):  # signed by the provider, but another tenant's checkout
        await deliver(uow, providers, *webhook(theirs, tenant="demo"))
    with pytest.raises(UnknownCheckout):  # metadata says another tenant than the endpoint's
        await deliver(uow, providers, *webhook(theirs))
    uow.checkout_rows.clear()
    with pytest.raises(UnknownCheckout):
        await deliver(uow, providers, *webhook(theirs), tenant="other")
    assert uow.payment_rows == {} and uow.published == [] and uow.webhooks == set()


async def test_an_amount_differing_from_the_checkout_is_refused_and_logged(uow: FakePaymentsUnitOfWork,
                                                                          providers: h.Providers) -> None:
    checkout = await open_checkout(uow, providers, amount=5000)
    with capture_logs() as logs, pytest.raises(AmountMismatch):
        await deliver(uow, providers, *webhook(checkout, amount=500))
    assert checkout.status is CheckoutStatus.OPEN and uow.payment_rows == {} and uow.published == []
    [line] = [x for x in logs if x["event"].startswith("payment webhook refused")]
    assert (line["expected_minor"], line["reported_minor"], line["log_level"]) == (5000, 500, "warning")


async def test_the_same_webhook_twice_is_one_payment_and_one_event(uow: FakePaymentsUnitOfWork,
                                                                   providers: h.Providers) -> None:
    checkout = await open_checkout(uow, providers)
    body, signature = webhook(checkout)
    assert await deliver(uow, providers, body, signature) == "processed"
    assert await deliver(uow, providers, body, signature) == "duplicate"
    # Another event id reporting the same outcome (a provider resending under a new id).
    assert await deliver(uow, providers, *webhook(checkout)) == "duplicate"
    assert len(uow.payment_rows) == 1 and len(uow.published) == 1


async def test_a_failed_payment_emits_dues_payment_failed_and_stays_visible(uow: FakePaymentsUnitOfWork,
                                                                           providers: h.Providers) -> None:
    checkout = await open_checkout(uow, providers)
    assert await deliver(uow, providers, *webhook(checkout, paid=False, reason="card_declined")) == "processed"
    [event] = uow.published
    assert isinstance(event.data, DuesPaymentFailed) and event.data.reason == "card_declined"
    assert checkout.status is CheckoutStatus.FAILED
    [payment], _ = await h.list_payments(ListPayments("demo", "m1", None, 10), uow)
    assert payment.status is PaymentStatus.FAILED and payment.reason == "card_declined"


async def test_sepa_debit_is_pending_until_the_money_arrives(uow: FakePaymentsUnitOfWork,
                                                             providers: h.Providers) -> None:
    checkout = await open_checkout(uow, providers, methods=(Method.CARD, Method.SEPA_DEBIT))
    body, _ = webhook(checkout, paid=False)
    pending = json.loads(body)
    pending["type"] = "checkout.session.completed"  # completed by the payer, payment_status unpaid
    pending["id"] = "evt_pending"
    body = json.dumps(pending)
    assert await deliver(uow, providers, body, sign_webhook(body, SECRET, int(time.time()))) == "processed"
    assert checkout.status is CheckoutStatus.PROCESSING and uow.published == []
    succeeded = {**pending, "id": "evt_settled", "type": "checkout.session.async_payment_succeeded"}
    body = json.dumps(succeeded)
    assert await deliver(uow, providers, body, sign_webhook(body, SECRET, int(time.time()))) == "processed"
    [event] = uow.published
    assert isinstance(event.data, DuesPaid) and event.data.method == "sepa_debit"


def test_sepa_debit_is_offered_for_euros_only() -> None:
    with pytest.raises(InvalidPayment):
        Checkout.open(tenant="demo", target=DUES, amount=Money(5000, "CHF"), description="x",
                      methods=(Method.SEPA_DEBIT,), provider="local", now=NOW)


async def test_other_stripe_event_types_are_acknowledged_and_ignored(uow: FakePaymentsUnitOfWork,
                                                                    providers: h.Providers) -> None:
    body = json.dumps({"id": "evt_x", "object": "event", "type": "customer.created", "created": 1,
                       "data": {"object": {"id": "cus_1", "object": "customer"}}})
    assert await deliver(uow, providers, body, sign_webhook(body, SECRET, int(time.time()))) == "ignored"
    assert uow.published == []


# -- manual payments and refunds -------------------------------------------------------------

async def test_a_manual_payment_emits_dues_paid_at_once_with_its_reference(uow: FakePaymentsUnitOfWork) -> None:
    payment = await h.record_manual_payment(RecordManualPayment(
        "demo", DUES, Money(4000, "EUR"), Method.CHEQUE, "CHQ 0012345", date(2026, 11, 20)), uow, clock=lambda: NOW)
    [event] = uow.published
    assert isinstance(event.data, DuesPaid)
    assert (event.data.method, event.data.provider, event.data.reference) == ("cheque", "manual", "CHQ 0012345")
    assert event.data.paid_at.date() == date(2026, 11, 20) and payment.status is PaymentStatus.SUCCEEDED
    with pytest.raises(InvalidPayment):  # received tomorrow
        await h.record_manual_payment(RecordManualPayment(
            "demo", DUES, Money(4000, "EUR"), Method.CASH, None, date(2026, 11, 27)), uow, clock=lambda: NOW)
    with pytest.raises(InvalidPayment):  # a card is not recorded by hand
        await h.record_manual_payment(RecordManualPayment(
            "demo", DUES, Money(4000, "EUR"), Method.CARD, None, date(2026, 11, 20)), uow, clock=lambda: NOW)


async def test_a_manual_payment_entered_late_is_dated_when_received_bounded_and_explained(
        uow: FakePaymentsUnitOfWork) -> None:
    """An old cheque entered late (or a migrated dues history) is dated the day it was received:
    at most three years back, and past a month the office records why."""
    def manual(received_on: date, reason: str | None = None) -> RecordManualPayment:
        return RecordManualPayment("demo", DUES, Money(6000, "EUR"), Method.CHEQUE, "CHQ 42", received_on,
                                   late_entry_reason=reason)

    last_year = date(2025, 10, 1)
    with pytest.raises(InvalidPayment, match="late_entry_reason"):
        await h.record_manual_payment(manual(last_year), uow, clock=lambda: NOW)
    with pytest.raises(InvalidPayment, match="late_entry_reason"):  # blank is no reason
        await h.record_manual_payment(manual(last_year, "   "), uow, clock=lambda: NOW)
    with pytest.raises(InvalidPayment, match="at most 1096 days"):
        await h.record_manual_payment(manual(date(2023, 11, 20), "migrated history"), uow, clock=lambda: NOW)
    assert uow.published == [] and uow.payment_rows == {}

    payment = await h.record_manual_payment(manual(last_year, "chèque 2025 saisi en retard"), uow,
                                            clock=lambda: NOW)
    assert payment.late_entry_reason == "chèque 2025 saisi en retard"
    [event] = uow.published
    assert isinstance(event.data, DuesPaid) and event.data.paid_at == datetime(2025, 10, 1, 12, tzinfo=UTC)
    within = await h.record_manual_payment(manual(date(2026, 10, 26)), uow, clock=lambda: NOW)  # 31 days: no reason
    assert within.late_entry_reason is None
    oldest = await h.record_manual_payment(manual(date(2023, 11, 26), "migrated history"), uow, clock=lambda: NOW)
    assert oldest.at == datetime(2023, 11, 26, 12, tzinfo=UTC)


async def test_refunds_never_exceed_the_payment_and_reach_the_provider(uow: FakePaymentsUnitOfWork) -> None:
    refunded: list[tuple[str, int, str]] = []
    local = local_provider()

    async def refund(payment: Payment, amount_minor: int, key: str) -> str:
        refunded.append((payment.id, amount_minor, key))
        return "re_1"

    local.refund = refund  # type: ignore[method-assign]
    providers = h.Providers.of(local)
    checkout = await open_checkout(uow, providers, amount=6000)
    await deliver(uow, providers, *webhook(checkout))
    assert checkout.payment_id is not None
    payment = await h.refund_payment(RefundPayment("demo", checkout.payment_id, 2000, "double"), uow, providers)
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED and refunded[0][:2] == (payment.id, 2000)
    with pytest.raises(RefundRefused):
        await h.refund_payment(RefundPayment("demo", checkout.payment_id, 4001, "too much"), uow, providers)
    payment = await h.refund_payment(RefundPayment("demo", checkout.payment_id, 4000, "rest"), uow, providers)
    assert payment.status is PaymentStatus.REFUNDED and len(refunded) == 2 and refunded[0][2] != refunded[1][2]
    refunds = [e.data for e in uow.published if isinstance(e.data, DuesRefunded)]
    assert [r.amount_minor for r in refunds] == [2000, 4000] and refunds[0].payment_id == payment.id
    with pytest.raises(RefundRefused):
        await h.refund_payment(RefundPayment("demo", checkout.payment_id, 1, "again"), uow, providers)


# -- the request handlers ----------------------------------------------------------------------

async def test_alumni_open_checkouts_for_themselves_only(uow: FakePaymentsUnitOfWork,
                                                        providers: h.Providers) -> None:
    specs = {s.subject.rsplit(".", 1)[-1]: s for s in bootstrap(lambda: uow, providers).requests}
    alumnus = Principal(tenant="demo", subject="a", member_id="m1", roles=frozenset({Role.ALUMNUS}))
    request = {"purpose": "dues", "reference_id": "ms1", "plan_id": "standard", "amount_minor": 5000,
               "currency": "EUR", "description": "Cotisation", "methods": ["card", "sepa_debit"]}
    created = await specs[c.CREATE_CHECKOUT].handler(c.CreateCheckout.model_validate(request), alumnus)
    assert isinstance(created, c.CheckoutCreated) and created.provider == "local"
    # Another member's checkout or payments: "not found", like every record of someone else.
    with pytest.raises(MemberNotLinked):
        await specs[c.CREATE_CHECKOUT].handler(
            c.CreateCheckout.model_validate({**request, "member_id": "m2"}), alumnus)
    with pytest.raises(MemberNotLinked):
        await specs[c.LIST_PAYMENTS].handler(c.ListPayments(member_id="m2"), alumnus)
    manager = Principal(tenant="demo", subject="s", roles=frozenset({Role.MANAGER}))
    with pytest.raises(PayerNotNamed):  # staff must say who pays
        await specs[c.CREATE_CHECKOUT].handler(c.CreateCheckout.model_validate(request), manager)
    created = await specs[c.CREATE_CHECKOUT].handler(
        c.CreateCheckout.model_validate({**request, "member_id": "m2"}), manager)
    assert isinstance(created, c.CheckoutCreated)
    assert {ck.target.member_id for ck in uow.checkout_rows.values()} == {"m1", "m2"}


# -- Stripe Checkout against a local stub of Stripe's API -------------------------------------

class _StripeStub(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, list[str]], str | None]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        type(self).received.append((self.path, form, self.headers.get("Idempotency-Key")))
        if self.path == "/v1/checkout/sessions":
            body: dict[str, Any] = {"id": "cs_test_1", "object": "checkout.session",
                                    "url": "https://checkout.stripe.test/c/pay/cs_test_1", "expires_at": 1_800_000_000}
        else:
            body = {"id": "re_test_1", "object": "refund"}
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        """Stripe's read endpoints a subscription refund needs (an invoice's payments, the
        subscription of a checkout, its invoices), answered from `objects`."""
        path, _, query = self.path.partition("?")
        type(self).received.append((path, parse_qs(query), None))
        body = type(self).objects.get(path, {"error": {"type": "invalid_request_error", "message": "No such object"}})
        raw = json.dumps(body).encode()
        self.send_response(200 if "error" not in body else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    objects: ClassVar[dict[str, dict[str, Any]]] = {}

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def stripe_stub() -> Iterator[str]:
    _StripeStub.received = []
    _StripeStub.objects = {}
    server = HTTPServer(("127.0.0.1", 0), _StripeStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_stripe_checkout_session_offers_card_and_sepa_debit(stripe_stub: str,
                                                                   uow: FakePaymentsUnitOfWork) -> None:
    provider = StripeCheckoutProvider(api_key="sk_test_x", webhook_secret="whsec_stripe",
                                      default_return_url="https://alumni.example/console/", api_base=stripe_stub)
    providers = h.Providers.of(provider)
    checkout = await open_checkout(uow, providers, methods=(Method.CARD, Method.SEPA_DEBIT))
    [(path, form, key)] = _StripeStub.received
    assert path == "/v1/checkout/sessions" and key == f"checkout-{checkout.id}"
    assert form["mode"] == ["payment"] and form["client_reference_id"] == [checkout.id]
    assert (form["payment_method_types[0]"], form["payment_method_types[1]"]) == (["card"], ["sepa_debit"])
    assert form["line_items[0][price_data][unit_amount]"] == ["5000"]
    assert form["line_items[0][price_data][currency]"] == ["eur"]
    assert form["metadata[tenant]"] == ["demo"] and form["metadata[checkout_id]"] == [checkout.id]
    assert "card" not in " ".join(k for k in form if "number" in k)  # no card data, ever
    assert checkout.session_id == "cs_test_1" and checkout.url == "https://checkout.stripe.test/c/pay/cs_test_1"

    # Stripe's own webhook, verified by the same code as the local provider's, with Stripe's secret.
    body, _ = webhook(checkout)
    with pytest.raises(BadWebhook):  # signed with the local secret: not Stripe's
        await deliver(uow, providers, body, sign_webhook(body, SECRET, int(time.time())), provider="stripe")
    assert await deliver(uow, providers, body, sign_webhook(body, "whsec_stripe", int(time.time())),
                         provider="stripe") == "processed"
    assert checkout.payment_id is not None
    payment = uow.payment_rows[("demo", checkout.payment_id)]
    await h.refund_payment(RefundPayment("demo", payment.id, 1000, "partial"), uow, providers)
    assert _StripeStub.received[-1][0] == "/v1/refunds"
    assert _StripeStub.received[-1][1]["amount"] == ["1000"] and _StripeStub.received[-1][1]["payment_intent"]


def test_payment_enums_mirror_the_contracts() -> None:
    """The domain may not import contracts: values are converted by value, so both sides must agree."""
    from alumni_contracts.fundraising import v1
    from fundraising_service.domain.payments import PaymentStatus as DomainStatus
    from servicekit.testing.enums import assert_mirrored

    assert_mirrored(v1.PaymentMethod, Method)
    assert_mirrored(c.OnlineMethod, Method, domain_only=["cheque", "transfer", "cash"])
    assert_mirrored(c.ManualMethod, Method, domain_only=["card", "sepa_debit"])
    assert_mirrored(c.PaymentPurpose, Purpose)
    assert_mirrored(c.PaymentStatus, DomainStatus)


# -- automatic renewal (Stripe: a yearly subscription) --------------------------------------

def invoice_event(checkout: Checkout, *, kind: str = "invoice.paid", reason: str = "subscription_cycle",
                  amount: int = 5000, invoice: str = "in_2027") -> tuple[str, str]:
    """A subscription invoice as Stripe sends it (API 2025+: metadata under `parent`)."""
    body = json.dumps({
        "id": f"evt_{kind}_{invoice}", "object": "event", "type": kind, "created": int(time.time()),
        "data": {"object": {
            "id": invoice, "object": "invoice", "billing_reason": reason, "currency": "eur",
            "amount_paid": amount if kind == "invoice.paid" else 0, "amount_due": amount,
            "parent": {"type": "subscription_details", "subscription_details": {
                "subscription": "sub_1", "metadata": {"tenant": checkout.tenant, "checkout_id": checkout.id}}}}}})
    return body, sign_webhook(body, SECRET, int(time.time()))


async def test_automatic_renewals_pay_again_and_a_failed_one_is_dues_payment_failed(
        uow: FakePaymentsUnitOfWork, providers: h.Providers) -> None:
    checkout = await h.create_checkout(CreateCheckout("demo", DUES, Money(5000, "EUR"), "Cotisation annuelle",
                                                      (Method.CARD,), None, recurring=True), uow, providers)
    assert await deliver(uow, providers, *invoice_event(checkout, reason="subscription_create")) == "ignored"
    with pytest.raises(InvalidPayment):  # a renewal before the first payment completed
        await deliver(uow, providers, *invoice_event(checkout))
    await deliver(uow, providers, *webhook(checkout))  # the first year, through the checkout
    renewal = invoice_event(checkout, invoice="in_2027")
    assert await deliver(uow, providers, *renewal) == "processed"
    assert await deliver(uow, providers, *renewal) == "duplicate"
    with pytest.raises(AmountMismatch):
        await deliver(uow, providers, *invoice_event(checkout, invoice="in_x", amount=9000))
    assert await deliver(uow, providers, *invoice_event(checkout, kind="invoice.payment_failed",
                                                        invoice="in_2028")) == "processed"
    kinds = [type(e.data).__name__ for e in uow.published]
    assert kinds == ["DuesPaid", "DuesPaid", "DuesPaymentFailed"]
    failed = uow.published[-1].data
    assert isinstance(failed, DuesPaymentFailed) and failed.reason == "renewal_payment_failed"
    assert failed.membership_id == "ms1" and failed.plan_id == "standard"
    statuses = sorted(str(p.status) for p in uow.payment_rows.values())
    assert statuses == ["failed", "succeeded", "succeeded"]  # visible: the failed renewal is a payment


async def test_a_checkout_without_renewal_refuses_renewal_invoices(uow: FakePaymentsUnitOfWork,
                                                                   providers: h.Providers) -> None:
    checkout = await open_checkout(uow, providers)
    await deliver(uow, providers, *webhook(checkout))
    with pytest.raises(InvalidPayment):
        await deliver(uow, providers, *invoice_event(checkout))
    with pytest.raises(InvalidPayment):  # renewal is for yearly dues paid at once
        Checkout.open(tenant="demo", target=PaymentTarget(Purpose.DUES, "ms1", "m1", "lifetime", 1, 3),
                      amount=Money(5000, "EUR"), description="x", methods=(Method.CARD,), provider="local",
                      now=NOW, recurring=True)


async def test_stripe_renewing_checkout_is_a_yearly_subscription(stripe_stub: str,
                                                                 uow: FakePaymentsUnitOfWork) -> None:
    provider = StripeCheckoutProvider(api_key="sk_test_x", webhook_secret="whsec_stripe",
                                      default_return_url="https://alumni.example/console/", api_base=stripe_stub)
    await h.create_checkout(CreateCheckout("demo", DUES, Money(5000, "EUR"), "Cotisation annuelle", (Method.CARD,),
                                           None, recurring=True), uow, h.Providers.of(provider))
    [(_, form, _)] = _StripeStub.received
    assert form["mode"] == ["subscription"]
    assert form["line_items[0][price_data][recurring][interval]"] == ["year"]
    assert form["subscription_data[metadata][tenant]"] == ["demo"] and "payment_intent_data[metadata][tenant]" not in form


@pytest.mark.parametrize("body", ["[1, 2]", '{"object": "customer", "id": "cus_1"}', "not json", '{"object": "event"}'])
async def test_a_well_signed_body_that_is_not_an_event_is_refused(body: str, uow: FakePaymentsUnitOfWork,
                                                                   providers: h.Providers) -> None:
    with pytest.raises(BadWebhook):
        await deliver(uow, providers, body, sign_webhook(body, SECRET, int(time.time())))
    assert uow.commits == 0 and uow.webhooks == set()


# -- one checkout per due -------------------------------------------------------------

async def test_a_second_request_for_the_same_due_gets_the_checkout_already_open(uow: FakePaymentsUnitOfWork,
                                                                               providers: h.Providers) -> None:
    """Found trying the demo: two joins (two tabs, a double click with a new key) opened two
    checkouts for one due, both payable, and paying both bought two years."""
    first = await open_checkout(uow, providers)
    again = await open_checkout(uow, providers)
    assert again.id == first.id and again.url == first.url and len(uow.checkout_rows) == 1
    other_instalment = PaymentTarget(Purpose.DUES, "ms1", "m1", "standard", 2, 3)
    assert (await open_checkout(uow, providers, target=other_instalment)).id != first.id  # another due
    assert (await open_checkout(uow, providers, amount=9000)).id != first.id  # another plan's price
    assert (await open_checkout(uow, providers, tenant="other")).id != first.id  # another tenant's
    gift = PaymentTarget(Purpose.GIFT, "campaign-1", "m1")
    assert (await open_checkout(uow, providers, target=gift)).id != (await open_checkout(uow, providers,
                                                                                        target=gift)).id


async def test_a_due_gets_a_new_checkout_once_the_open_one_is_paid_failed_or_nearly_expired(
        uow: FakePaymentsUnitOfWork, providers: h.Providers) -> None:
    first = await open_checkout(uow, providers)
    body, signature = webhook(first, paid=False)
    await deliver(uow, providers, body, signature)
    assert first.status is CheckoutStatus.FAILED
    second = await open_checkout(uow, providers)
    assert second.id != first.id
    assert second.expires_at is not None
    nearly_expired = second.expires_at - timedelta(minutes=5)
    late = await h.create_checkout(CreateCheckout("demo", DUES, Money(5000, "EUR"), "Cotisation 2026", (Method.CARD,),
                                                  None), uow, providers, clock=lambda: nearly_expired)
    assert late.id != second.id  # five minutes left is too short to pay: a fresh one


async def test_a_direct_debit_on_its_way_refuses_a_second_checkout_for_the_due(uow: FakePaymentsUnitOfWork,
                                                                               providers: h.Providers) -> None:
    checkout = await open_checkout(uow, providers, methods=(Method.CARD, Method.SEPA_DEBIT))
    checkout.status = CheckoutStatus.PROCESSING
    with pytest.raises(PaymentInProgress):
        await open_checkout(uow, providers, methods=(Method.CARD, Method.SEPA_DEBIT))


@pytest.mark.parametrize("currency", ["XYZ", "JPY"])
def test_payments_are_in_two_decimal_currencies_only(currency: str) -> None:
    with pytest.raises(InvalidPayment, match="two-decimal ISO 4217"):
        Checkout.open(tenant="demo", target=DUES, amount=Money(9000, currency), description="x",
                      methods=(Method.CARD,), provider="local", now=NOW)


def _listing(url: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"object": "list", "url": url, "has_more": False, "data": list(items)}


def _invoice_payments(invoice: str, intent: str) -> dict[str, Any]:
    return _listing("/v1/invoice_payments", {
        "id": f"inpay_{invoice}", "object": "invoice_payment", "invoice": invoice, "status": "paid",
        "amount_paid": 5000, "amount_requested": 5000, "currency": "eur", "is_default": True, "livemode": False,
        "created": 1_800_000_000, "payment": {"type": "payment_intent", "payment_intent": intent}})


def subscription_completed(checkout: Checkout, invoice: str | None) -> tuple[str, str]:
    """`checkout.session.completed` of a `subscription`-mode session: no payment intent on the
    session, the first invoice instead (null when the event predates this adapter's reading of it)."""
    body = json.dumps({
        "id": f"evt_sub_{checkout.id}", "object": "event", "type": "checkout.session.completed",
        "created": int(time.time()), "data": {"object": {
            "id": checkout.session_id, "object": "checkout.session", "mode": "subscription",
            "client_reference_id": checkout.id, "amount_total": 5000, "currency": "eur",
            "metadata": {"tenant": checkout.tenant, "checkout_id": checkout.id}, "payment_method_types": ["card"],
            "payment_status": "paid", "status": "complete", "payment_intent": None, "invoice": invoice,
            "subscription": "sub_1"}}})
    return body, sign_webhook(body, "whsec_stripe", int(time.time()))


@pytest.mark.parametrize("first_invoice", ["in_first", None])
async def test_refunding_a_subscriptions_payments_finds_their_payment_intent(
        stripe_stub: str, uow: FakePaymentsUnitOfWork, first_invoice: str | None) -> None:
    """A subscription checkout's session has no payment intent: the refund of its first payment
    (and of a renewal) goes through the invoice's payments, as Stripe's API gives them; a first
    payment recorded without its invoice is found through the subscription (by metadata)."""
    provider = StripeCheckoutProvider(api_key="sk_test_x", webhook_secret="whsec_stripe",
                                      default_return_url="https://alumni.example/console/", api_base=stripe_stub)
    providers = h.Providers.of(provider)
    checkout = await h.create_checkout(CreateCheckout("demo", DUES, Money(5000, "EUR"), "Cotisation annuelle",
                                                      (Method.CARD,), None, recurring=True), uow, providers)
    assert await deliver(uow, providers, *subscription_completed(checkout, first_invoice), provider="stripe") \
        == "processed"
    assert checkout.payment_id is not None
    first = uow.payment_rows[("demo", checkout.payment_id)]
    assert first.provider_payment_ref == first_invoice

    _StripeStub.objects = {
        "/v1/invoice_payments": _invoice_payments("in_first", "pi_first"),
        "/v1/subscriptions/search": {"object": "search_result", "url": "/v1/subscriptions/search", "has_more": False,
                                     "data": [{"id": "sub_1", "object": "subscription"}]},
        "/v1/invoices": _listing("/v1/invoices",
                                 {"id": "in_renewal", "object": "invoice", "billing_reason": "subscription_cycle"},
                                 {"id": "in_first", "object": "invoice", "billing_reason": "subscription_create"}),
    }
    await h.refund_payment(RefundPayment("demo", first.id, 5000, "member left"), uow, providers)
    refunds = [r for r in _StripeStub.received if r[0] == "/v1/refunds"]
    assert [r[1]["payment_intent"] for r in refunds] == [["pi_first"]] and refunds[0][1]["amount"] == ["5000"]
    lookups = [(path, q) for path, q, _ in _StripeStub.received if path == "/v1/invoice_payments"]
    assert lookups[-1][1]["invoice"] == ["in_first"] and lookups[-1][1]["status"] == ["paid"]
    searched = [q for path, q, _ in _StripeStub.received if path == "/v1/subscriptions/search"]
    assert bool(searched) is (first_invoice is None)  # searched only when the invoice was not recorded
    if searched:
        assert searched[-1]["query"] == [f"metadata['checkout_id']:'{checkout.id}'"]

    # A renewal: its invoice is its own reference. An invoice without a paid payment intent is a
    # refusal from the provider's side (502), no refund is asked of Stripe.
    await deliver(uow, providers, *invoice_event_signed(checkout, "in_renewal"), provider="stripe")
    renewal = next(p for p in uow.payment_rows.values() if p.renewal_ref == "in_renewal")
    _StripeStub.objects["/v1/invoice_payments"] = _listing("/v1/invoice_payments")
    with pytest.raises(ProviderUnavailable):
        await h.refund_payment(RefundPayment("demo", renewal.id, 2000, "partial"), uow, providers)
    assert len([r for r in _StripeStub.received if r[0] == "/v1/refunds"]) == 1
    _StripeStub.objects["/v1/invoice_payments"] = _invoice_payments("in_renewal", "pi_renewal")
    await h.refund_payment(RefundPayment("demo", renewal.id, 2000, "partial"), uow, providers)
    last = [r for r in _StripeStub.received if r[0] == "/v1/refunds"][-1]
    assert last[1]["payment_intent"] == ["pi_renewal"] and last[1]["amount"] == ["2000"]


def invoice_event_signed(checkout: Checkout, invoice: str) -> tuple[str, str]:
    body, _ = invoice_event(checkout, invoice=invoice)
    return body, sign_webhook(body, "whsec_stripe", int(time.time()))
