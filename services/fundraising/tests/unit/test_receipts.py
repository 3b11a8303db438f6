"""The tax-receipt engine through `bootstrap(...)` with an in-memory unit of work: rules,
numbering, idempotency, corrections, register, summary, PDF, tenancy."""

from __future__ import annotations

import base64
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfReader

from alumni_contracts.common import Money as MoneyOut
from alumni_contracts.envelope import CloudEvent
from alumni_contracts.fundraising import receipts as c
from alumni_contracts.fundraising.v1 import DonationReceived, DuesPaid, DuesRefunded
from alumni_contracts.rpc import Principal, Role
from fundraising_service.bootstrap import bootstrap
from fundraising_service.domain import receipts as d
from fundraising_service.domain.model import Donation
from fundraising_service.domain.receipts import LegalEntity, Receipt, ReceiptLine
from fundraising_service.service_layer.commands import ProjectMember
from fundraising_service.service_layer.contract_mapping import to_contract
from servicekit.domain import ConcurrencyConflict, DomainError
from servicekit.mongo import Document
from servicekit.testing.fakes import FakeUnitOfWork, handle_as_consumer

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
T = "demo"
FOUNDATION = LegalEntity(id="fondation", tenant=T, name="Fondation de l'École", address="1 rue de l'École, 75005 Paris",
                         object="Bourses et recherche", status="Fondation reconnue d'utilité publique",
                         may_issue_receipts=True, signatory_name="Claire Martin", signatory_title="Présidente",
                         campaign_ids=("bourses",), default_for_gifts=True)
ASSOCIATION = LegalEntity(id="association", tenant=T, name="Association des diplômés", address="2 rue Haute, Lyon",
                          object="Réseau des diplômés", status="Association d'intérêt général",
                          may_issue_receipts=True, signatory_name="Paul Durand", signatory_title="Trésorier",
                          dues_plans={"standard": 4500})
CLUB = LegalEntity(id="club", tenant=T, name="Club", address="x", object="y", status="association loi 1901",
                   may_issue_receipts=False, signatory_name="z", signatory_title="z", campaign_ids=("gala",))


# -- pure rules -----------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "words"), [
    (0, "zéro"), (1, "un"), (16, "seize"), (17, "dix-sept"), (21, "vingt et un"), (71, "soixante et onze"),
    (72, "soixante-douze"), (80, "quatre-vingts"), (81, "quatre-vingt-un"), (91, "quatre-vingt-onze"),
    (99, "quatre-vingt-dix-neuf"), (100, "cent"), (101, "cent un"), (200, "deux cents"), (280, "deux cent quatre-vingts"),
    (1000, "mille"), (1001, "mille un"), (2000, "deux mille"), (80_000, "quatre-vingt mille"),
    (200_000, "deux cent mille"), (1_000_000, "un million"), (2_500_000, "deux millions cinq cent mille"),
    (1984, "mille neuf cent quatre-vingt-quatre")])
def test_french_words(n: int, words: str) -> None:
    assert d.french_words(n) == words


def test_amounts_in_words_fr_and_en() -> None:
    assert d.amount_in_words(12345, "fr") == "cent vingt-trois euros et quarante-cinq centimes"
    assert d.amount_in_words(100, "fr") == "un euro"
    assert d.amount_in_words(5, "fr") == "zéro euro et cinq centimes"
    assert d.amount_in_words(100_000_000, "fr") == "un million d'euros"
    assert d.amount_in_words(12345, "en") == "one hundred and twenty-three euros and forty-five cents"
    assert d.amount_in_words(100, "en") == "one euro"


def test_numbering_rules() -> None:
    assert d.format_number(2026, 42) == "2026-000042"
    assert d.next_sequence(None) == 1 and d.next_sequence(41) == 42
    with pytest.raises(d.InvalidReceiptNumber):
        d.format_number(2026, 0)
    assert d.is_gapless([3, 1, 2]) and not d.is_gapless([1, 3]) and not d.is_gapless([1, 1, 2])
    # the fiscal year is the French calendar year of the payment
    assert d.fiscal_year(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == 2027
    assert d.cerfa_for(d.DonorKind.INDIVIDUAL) == d.CerfaForm("11580", "200")
    assert d.cerfa_for(d.DonorKind.COMPANY) == d.CerfaForm("16216", "238 bis")


# -- an in-memory unit of work ---------------------------------------------------------------

class Store:
    def __init__(self) -> None:
        self.receipts: dict[str, Receipt] = {}
        self.counters: dict[tuple[str, str, int], int] = {}
        self.entities: dict[tuple[str, str], LegalEntity] = {}
        self.profiles: dict[tuple[str, str], Document] = {}
        self.members: dict[tuple[str, str], str] = {}
        self.held: dict[str, Document] = {}


class FakeReceiptsUnitOfWork(FakeUnitOfWork):
    def __init__(self, store: Store) -> None:
        super().__init__(to_contract)
        self.s = store
        self.receipts = self
        self.legal_entities = self
        self.receipt_profiles = FakeProfiles(store)
        self.donations = self
        self.members = self

    # receipts
    async def next_sequence(self, tenant: str, legal_entity_id: str, year: int) -> int:
        return await self.reserve(tenant, legal_entity_id, year, 1)

    async def reserve(self, tenant: str, legal_entity_id: str, year: int, count: int) -> int:
        key = (tenant, legal_entity_id, year)
        first = d.next_sequence(self.s.counters.get(key))
        self.s.counters[key] = first + count - 1
        return first

    async def add(self, receipt: Any) -> None:
        if isinstance(receipt, Donation):
            self.track(receipt)
            return
        if await self.live_for(receipt.tenant, receipt.source_key):
            raise ConcurrencyConflict("duplicate live key")
        self.s.receipts[receipt.id] = receipt
        self.track(receipt)

    async def add_many(self, receipts: list[Receipt]) -> None:
        for r in receipts:
            await self.add(r)

    async def save(self, receipt: Receipt) -> None:
        self.s.receipts[receipt.id] = receipt
        self.track(receipt)

    async def get(self, tenant: str, receipt_id: str) -> Receipt | None:
        r = self.s.receipts.get(receipt_id)
        return r if r and r.tenant == tenant else None

    async def live_for(self, tenant: str, source_key: str) -> Receipt | None:
        return next((r for r in self.s.receipts.values() if r.tenant == tenant and r.source_key == source_key
                     and r.status is d.ReceiptStatus.ISSUED), None)

    async def of_member(self, tenant: str, member_id: str, year: int | None, limit: int) -> list[Receipt]:
        return [r for r in self.s.receipts.values() if r.tenant == tenant and r.donor.member_id == member_id
                and (year is None or r.year == year)][:limit]

    async def register(self, tenant: str, legal_entity_id: str, year: int) -> list[Receipt]:
        return sorted((r for r in self.s.receipts.values() if (r.tenant, r.legal_entity_id, r.year)
                       == (tenant, legal_entity_id, year)), key=lambda r: r.sequence)

    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int:
        return 0

    # entities
    async def all(self, tenant: str) -> list[LegalEntity]:
        return [e for (t, _), e in self.s.entities.items() if t == tenant]

    async def upsert(self, entity: LegalEntity) -> None:
        self.s.entities[(entity.tenant, entity.id)] = entity

    async def apply(self, member: ProjectMember) -> bool:
        self.s.members[(member.tenant, member.member_id)] = f"{member.first_name} {member.last_name}"
        return True

    async def exists(self, tenant: str, member_id: str) -> bool:
        return (tenant, member_id) in self.s.members


class FakeProfiles:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def get(self, tenant: str, member_id: str) -> Document | None:
        return self.s.profiles.get((tenant, member_id))

    async def put(self, tenant: str, member_id: str, profile: Document) -> None:
        self.s.profiles[(tenant, member_id)] = profile

    async def donor_name(self, tenant: str, member_id: str) -> str | None:
        return self.s.members.get((tenant, member_id))

    async def get_many(self, tenant: str, member_ids: list[str]) -> dict[str, Document]:
        return {m: p for m in member_ids if (p := self.s.profiles.get((tenant, m))) is not None}

    async def donor_names(self, tenant: str, member_ids: list[str]) -> dict[str, str]:
        return {m: n for m in member_ids if (n := self.s.members.get((tenant, m))) is not None}

    async def hold_line(self, tenant: str, member_id: str, legal_entity_id: str, year: int, source_key: str,
                        line: ReceiptLine, currency: str) -> None:
        self.s.held.setdefault(source_key, {
            "_id": source_key, "tenant": tenant, "member_id": member_id, "legal_entity_id": legal_entity_id,
            "year": year, "currency": currency, "source_id": line.source_id,
            "received_on": line.received_on.isoformat(), "amount_minor": line.amount_minor, "method": line.method})

    async def held(self, tenant: str, year: int) -> list[Document]:
        return [h for h in self.s.held.values() if h["tenant"] == tenant and h["year"] == year]

    async def release(self, tenant: str, ids: list[str]) -> None:
        for i in ids:
            self.s.held.pop(i, None)

    async def erase(self, tenant: str, member_id: str) -> int:
        return 0

    async def pseudonymise_held(self, tenant: str, member_id: str, pseudonym: str) -> int:
        return 0



@pytest.fixture
def store() -> Store:
    s = Store()
    for e in (FOUNDATION, ASSOCIATION, CLUB):
        s.entities[(e.tenant, e.id)] = e
    s.members[(T, "m1")] = "Łukasz Nowak-Żółć"
    s.members[(T, "m2")] = "=HYPERLINK(1)"
    s.members[("other", "x1")] = "Other Tenant"
    return s


@pytest.fixture
def parts(store: Store) -> Any:
    return bootstrap(lambda: FakeReceiptsUnitOfWork(store))


def handler(parts: Any, event_name: str) -> Any:
    return next(h for sub, h in parts.events if sub.event.event_name == event_name
                and sub.lane == "receipts")


def donation_event(donation_id: str, member: str = "m1", amount: int = 5000, campaign: str | None = "bourses",
                   tenant: str = T, currency: str = "EUR", at: datetime = NOW) -> CloudEvent[Any]:
    return CloudEvent.wrap(DonationReceived(donation_id=donation_id, member_id=member,
                                            amount=MoneyOut(minor_units=amount, currency=currency),
                                            campaign_id=campaign, received_at=at),
                           tenant=tenant, subject=donation_id, aggregate_version=1, correlation_id="c1")


def dues_event(payment_id: str, plan: str = "standard", amount: int = 6000) -> CloudEvent[Any]:
    return CloudEvent.wrap(DuesPaid(payment_id=payment_id, membership_id="ms1", member_id="m1", plan_id=plan,
                                    amount_minor=amount, currency="EUR", paid_at=NOW, method="cheque",
                                    provider="manual"), tenant=T, subject=payment_id, aggregate_version=1, correlation_id="c1")


async def call(parts: Any, subject_suffix: str, request: Any, who: Principal) -> Any:
    spec = next(s for s in parts.requests if s.subject.endswith("." + subject_suffix))
    return await spec.handler(request, who)


STAFF = Principal(tenant=T, subject="manager", roles=frozenset({Role.MANAGER}))
ALUMNUS = Principal(tenant=T, subject="u1", member_id="m1", roles=frozenset({Role.ALUMNUS}))
OTHER_ALUMNUS = Principal(tenant=T, subject="u2", member_id="m2", roles=frozenset({Role.ALUMNUS}))


# -- issuing --------------------------------------------------------------------------------

async def test_a_gift_gets_one_receipt_with_the_entitys_next_number_even_delivered_twice(
        parts: Any, store: Store) -> None:
    on_donation = handler(parts, "donation_received")
    event = donation_event("d1")
    await handle_as_consumer(on_donation, event)
    await handle_as_consumer(on_donation, event)  # a redelivery
    await handle_as_consumer(on_donation, donation_event("d1"))  # another event about the same gift
    await handle_as_consumer(on_donation, donation_event("d2", amount=1234))
    receipts = sorted(store.receipts.values(), key=lambda r: r.sequence)
    assert [(r.number, r.amount_minor, r.legal_entity_id) for r in receipts] == [
        ("2026-000001", 5000, "fondation"), ("2026-000002", 1234, "fondation")]
    assert receipts[0].form.number == "11580" and receipts[0].donor.name == "Łukasz Nowak-Żółć"


async def test_no_receipt_when_the_entity_may_not_issue_them_or_the_currency_is_not_euro(
        parts: Any, store: Store) -> None:
    on_donation = handler(parts, "donation_received")
    await handle_as_consumer(on_donation, donation_event("d1", campaign="gala"))  # the club may not receipt
    await handle_as_consumer(on_donation, donation_event("d2", currency="CHF"))
    await handle_as_consumer(on_donation, donation_event("d3", tenant="other", member="x1"))  # no entity there
    assert store.receipts == {} and store.counters == {}  # no number burnt


async def test_a_donor_not_projected_yet_is_retried_not_dead_lettered(parts: Any, store: Store) -> None:
    from fundraising_service.service_layer.receipts import DonorNotProjectedYet
    with pytest.raises(DonorNotProjectedYet):
        await handle_as_consumer(handler(parts, "donation_received"), donation_event("d1", member="late"))
    assert not issubclass(DonorNotProjectedYet, DomainError)  # transient: left unacked, redelivered
    assert store.counters == {}


async def test_dues_receipt_only_the_deductible_share_and_a_refund_voids_it(parts: Any, store: Store) -> None:
    await handle_as_consumer(handler(parts, "dues_paid"), dues_event("p1"))
    await handle_as_consumer(handler(parts, "dues_paid"), dues_event("p2", plan="unknown-plan"))
    [receipt] = store.receipts.values()
    assert (receipt.legal_entity_id, receipt.amount_minor, receipt.source, receipt.method) == (
        "association", 4500, d.ReceiptSource.DUES, "cheque")
    refund = CloudEvent.wrap(DuesRefunded(payment_id="p1", membership_id="ms1", member_id="m1", plan_id="standard",
                                          amount_minor=6000, currency="EUR", refunded_at=NOW, reason="duplicate"),
                             tenant=T, subject="p1", aggregate_version=2, correlation_id="c1")
    await handle_as_consumer(handler(parts, "dues_refunded"), refund)
    assert receipt.status is d.ReceiptStatus.VOIDED and receipt.void_reason == "refunded: duplicate"


async def test_yearly_summary_donors_get_one_receipt_for_the_year(parts: Any, store: Store) -> None:
    store.profiles[(T, "m1")] = {"postal_address": "3 avenue Foch, Lyon", "yearly_summary": True}
    on_donation = handler(parts, "donation_received")
    for month in (1, 2, 3):
        await handle_as_consumer(on_donation, donation_event(f"d{month}", amount=2000,
                                                             at=datetime(2026, month, 5, tzinfo=UTC)))
    assert store.receipts == {} and len(store.held) == 3
    result = await call(parts, c.ISSUE_YEARLY_RECEIPTS, c.IssueYearlyReceipts(year=2026), STAFF)
    assert (result.issued, result.skipped) == (1, 0)
    [receipt] = store.receipts.values()
    assert receipt.amount_minor == 6000 and len(receipt.lines) == 3 and receipt.source is d.ReceiptSource.YEARLY_SUMMARY
    assert receipt.donor.address == "3 avenue Foch, Lyon" and store.held == {}
    again = await call(parts, c.ISSUE_YEARLY_RECEIPTS, c.IssueYearlyReceipts(year=2026), STAFF)
    assert (again.issued, len(store.receipts)) == (0, 1)


async def test_a_company_gift_follows_cerfa_16216(parts: Any, store: Store) -> None:
    await call(parts, c.SET_RECEIPT_PROFILE, c.SetReceiptProfile(postal_address="10 quai, Paris",
                                                                 company_name="ACME SAS", company_id="552100554"),
               ALUMNUS)
    await handle_as_consumer(handler(parts, "donation_received"), donation_event("d1"))
    [receipt] = store.receipts.values()
    assert (receipt.donor.kind, receipt.form.number, receipt.form.cgi_article, receipt.donor.name) == (
        d.DonorKind.COMPANY, "16216", "238 bis", "ACME SAS")


# -- corrections, queries -------------------------------------------------------------------

async def test_void_and_reissue_takes_a_new_number_and_never_edits(parts: Any, store: Store) -> None:
    on_donation = handler(parts, "donation_received")
    await handle_as_consumer(on_donation, donation_event("d1"))
    await handle_as_consumer(on_donation, donation_event("d2"))
    first = next(r for r in store.receipts.values() if r.sequence == 1)
    out = await call(parts, c.VOID_RECEIPT, c.VoidReceipt(receipt_id=first.id, reason="wrong address",
                                                          postal_address="5 rue Neuve, Paris"), STAFF)
    assert out.voided.status == "voided" and out.voided.number == "2026-000001"
    assert out.reissued.number == "2026-000003" and out.reissued.replaces == first.id
    assert store.receipts[out.reissued.receipt_id].donor.address == "5 rue Neuve, Paris"
    with pytest.raises(d.ReceiptAlreadyVoided):
        await call(parts, c.VOID_RECEIPT, c.VoidReceipt(receipt_id=first.id, reason="again"), STAFF)
    register = await call(parts, c.RECEIPT_REGISTER, c.ReceiptRegisterQuery(legal_entity_id="fondation", year=2026),
                          STAFF)
    assert register.count == 3 and register.gapless
    rows = register.csv.lstrip("\ufeff").split("\r\n")
    assert rows[0].startswith("number;sequence;status") and rows[1].startswith("2026-000001;1;voided")
    # the PDF of the reissued receipt says what it replaces
    pdf = await call(parts, c.RECEIPT_PDF, c.ReceiptPdfQuery(receipt_id=out.reissued.receipt_id), STAFF)
    text = pdf_text(pdf)
    assert "annule et remplace le reçu n° 2026-000001" in text


async def test_register_cells_are_neutralised(parts: Any, store: Store) -> None:
    await handle_as_consumer(handler(parts, "donation_received"), donation_event("d1", member="m2"))
    register = await call(parts, c.RECEIPT_REGISTER, c.ReceiptRegisterQuery(legal_entity_id="fondation", year=2026),
                          STAFF)
    assert ";'=HYPERLINK(1);" in register.csv


async def test_donors_see_and_download_their_own_receipts_only(parts: Any, store: Store) -> None:
    await handle_as_consumer(handler(parts, "donation_received"), donation_event("d1", amount=12345))
    mine = await call(parts, c.LIST_RECEIPTS, c.ListReceipts(), ALUMNUS)
    assert [r.number for r in mine.items] == ["2026-000001"]
    assert (await call(parts, c.LIST_RECEIPTS, c.ListReceipts(member_id="m1"), OTHER_ALUMNUS)).items == []
    receipt_id = mine.items[0].receipt_id
    fr = pdf_text(await call(parts, c.RECEIPT_PDF, c.ReceiptPdfQuery(receipt_id=receipt_id), ALUMNUS))
    for mention in ("Reçu n° 2026-000001", "Cerfa n° 11580", "article 200", "Fondation de l'École",
                    "Fondation reconnue d'utilité publique", "Bourses et recherche", "Łukasz Nowak-Żółć",
                    "cent vingt-trois euros et quarante-cinq centimes", "Numéraire", "15/06/2026",
                    "Claire Martin, Présidente", "(adresse non communiquée)"):
        assert mention in fr, mention
    en = pdf_text(await call(parts, c.RECEIPT_PDF, c.ReceiptPdfQuery(receipt_id=receipt_id, language="en"),
                             ALUMNUS))
    assert "courtesy translation" in en and "one hundred and twenty-three euros" in en
    with pytest.raises(DomainError) as refused:  # another alumnus: not found
        await call(parts, c.RECEIPT_PDF, c.ReceiptPdfQuery(receipt_id=receipt_id), OTHER_ALUMNUS)
    assert refused.value.code == "receipt-not-found"
    foreign = Principal(tenant="other", subject="m", roles=frozenset({Role.MANAGER}))
    with pytest.raises(DomainError):  # another tenant's manager: not found either
        await call(parts, c.RECEIPT_PDF, c.ReceiptPdfQuery(receipt_id=receipt_id), foreign)
    summary = await call(parts, c.DONOR_SUMMARY, c.DonorSummaryQuery(year=2026), ALUMNUS)
    assert summary.total_minor == 12345 and summary.lines[0].legal_entity_name == "Fondation de l'École"


async def test_legal_entities_are_declared_by_managers(parts: Any, store: Store) -> None:
    entity = c.LegalEntityIn(legal_entity_id="fondation2", name="Fondation 2", address="a", object="o", status="s",
                             may_issue_receipts=True, signatory_name="n", signatory_title="t",
                             dues_plans={"gold": 9000})
    await call(parts, c.UPSERT_LEGAL_ENTITY, entity, STAFF)
    listed = await call(parts, c.LIST_LEGAL_ENTITIES, c.ListLegalEntities(), STAFF)
    assert "fondation2" in [e.legal_entity_id for e in listed.items]
    assert store.entities[(T, "fondation2")].dues_plans == {"gold": 9000}


def test_contract_events_carry_the_number() -> None:
    req = d.ReceiptRequest(tenant=T, source=d.ReceiptSource.DONATION, source_key="donation:d1", entity=FOUNDATION,
                           donor=d.Donor("m1", "A B", None), lines=(ReceiptLine("d1", date(2026, 6, 15), 5000, "card"),),
                           currency="EUR")
    receipt = Receipt.issue(req, 7, NOW)
    receipt.void("typo", NOW, replaced_by="r2")
    issued, voided = (to_contract(e) for e, _ in receipt.pending_events())
    assert isinstance(issued, c.ReceiptIssued) and issued.number == "2026-000007" and issued.cerfa == "11580"
    assert isinstance(voided, c.ReceiptVoided) and voided.replaced_by_receipt_id == "r2"


def pdf_text(reply: Any) -> str:
    data = base64.b64decode(reply.content_base64)
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# -- the gift events of the fundraising issue (donation_received evolved within v1) -----------

def rich_gift(donation_id: str, **extra: Any) -> CloudEvent[Any]:
    from alumni_contracts.fundraising import v1
    address = v1.PostalAddress(line1="3 avenue Bernard Hirsch", postal_code="95000", city="Cergy")
    fields: dict[str, Any] = {
        "donor": v1.DonorIdentity(kind=v1.DonorKind.INDIVIDUAL, first_name="Camille", last_name="Durand",
                                  address=address), **extra}
    data = DonationReceived(
        donation_id=donation_id, member_id="m1", amount=MoneyOut(minor_units=25000, currency="EUR"),
        campaign_id="campus", received_at=NOW, paid_on=date(2026, 6, 2), method=v1.PaymentMethod.TRANSFER,
        nature=v1.GiftNature.IN_KIND,
        legal_entity=v1.LegalEntitySnapshot(entity_id="fondation", name="Fondation (au jour du don)",
                                            address=address, purpose="Le campus", may_issue_receipts=True,
                                            status="FRUP"), **fields)
    return CloudEvent.wrap(data, tenant=T, subject=donation_id, aggregate_version=1, correlation_id="c1")


async def test_the_gift_events_snapshot_wins_and_the_registry_signs(parts: Any, store: Store) -> None:
    on_donation = handler(parts, "donation_received")
    await handle_as_consumer(on_donation, rich_gift("g1"))
    [receipt] = store.receipts.values()
    assert receipt.entity is not None and receipt.entity.name == "Fondation (au jour du don)"
    assert (receipt.entity.signatory_name, receipt.legal_entity_id) == ("Claire Martin", "fondation")
    assert receipt.donor.name == "Camille Durand" and receipt.donor.address == "3 avenue Bernard Hirsch\n95000 Cergy"
    assert (receipt.nature, receipt.method, receipt.lines[0].received_on) == (
        d.GiftNature.IN_KIND, "transfer", date(2026, 6, 2))
    await handle_as_consumer(on_donation, rich_gift("g2", receipt="none"))
    await handle_as_consumer(on_donation, rich_gift("g3", receipt="yearly_summary"))
    assert len(store.receipts) == 1 and list(store.held) == ["donation:g3"]
    from alumni_contracts.fundraising.v1 import DonationRefunded
    refund = CloudEvent.wrap(DonationRefunded(donation_id="g1", member_id="m1",
                                              amount=MoneyOut(minor_units=25000, currency="EUR"),
                                              refunded_total_minor=25000, refunded_at=NOW, reason="erreur"),
                             tenant=T, subject="g1", aggregate_version=2, correlation_id="c1")
    await handle_as_consumer(handler(parts, "donation_refunded"), refund)
    assert receipt.status is d.ReceiptStatus.VOIDED and receipt.void_reason == "refunded: erreur"


async def test_a_company_gift_event_is_cerfa_16216(parts: Any, store: Store) -> None:
    from alumni_contracts.fundraising import v1
    await handle_as_consumer(handler(parts, "donation_received"), rich_gift(
        "c1", company=True, donor=v1.DonorIdentity(kind=v1.DonorKind.COMPANY, company_name="Durand Conseil SAS",
                                                   company_id="552100554")))
    [receipt] = store.receipts.values()
    assert (receipt.form.number, receipt.donor.name, receipt.donor.company_id) == (
        "16216", "Durand Conseil SAS", "552100554")


def fonts_of(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return {str(f["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()}


@pytest.mark.parametrize(("name", "embedded"), [("Bérénice Lœuvre-D’Arc", False), ("Łukasz Nowak-Żółć", True)])
def test_fonts_are_embedded_only_when_the_core_fonts_cannot_print_the_text(name: str, embedded: bool) -> None:
    from fundraising_service.adapters.receipt_pdf import render_receipt
    req = d.ReceiptRequest(tenant=T, source=d.ReceiptSource.DONATION, source_key="donation:d1", entity=FOUNDATION,
                           donor=d.Donor("m1", name, "1 rue « Haute »"),
                           lines=(ReceiptLine("d1", date(2026, 6, 15), 12345, "cheque"),), currency="EUR")
    pdf = render_receipt(Receipt.issue(req, 1, NOW), "fr")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert name in text and "123,45 €" in text and "« Haute »" in text
    assert any("Roboto" in f for f in fonts_of(pdf)) is embedded


def test_a_dues_share_is_spread_over_instalments() -> None:
    from fundraising_service.service_layer.receipts import deductible_share
    assert deductible_share(4500, None, None) == 4500
    assert [deductible_share(4500, i, 2) for i in (1, 2)] == [2250, 2250]
    assert [deductible_share(90000, i, 7) for i in range(1, 8)] == [12857] * 6 + [12858]
    assert sum(deductible_share(90000, i, 7) for i in range(1, 8)) == 90000


async def test_yearly_summaries_in_batches_take_consecutive_numbers_and_skip_the_unknown(store: Store) -> None:
    from fundraising_service.service_layer import receipts as r
    for i in range(5):
        store.members[(T, f"y{i}")] = f"Donor {i}"
    for i in range(6):  # y5 is not projected: skipped, its gifts stay held
        line = ReceiptLine(f"g{i}", date(2026, 2, 1), 1000 + i, "sepa_debit")
        await FakeProfiles(store).hold_line(T, f"y{i}", "fondation", 2026, f"donation:g{i}", line, "EUR")
    await handle_as_consumer(handler(bootstrap(lambda: FakeReceiptsUnitOfWork(store)), "donation_received"),
                             donation_event("d-first"))  # a per-gift receipt first: number 1
    issued, skipped = await r.issue_yearly_receipts(r.IssueYearlyReceipts(T, 2026),
                                                    lambda: FakeReceiptsUnitOfWork(store), batch=2)
    assert (issued, skipped) == (5, 1)
    numbers = sorted(rc.sequence for rc in store.receipts.values())
    assert numbers == [1, 2, 3, 4, 5, 6] and list(store.held) == ["donation:g5"]


# -- yearly summaries as a background job ---------------------------------------------------------

class FakeJobs:
    """`receipt_jobs` in memory: one running job per (tenant, entity, year); progress fenced by
    the lease token the test hands out (as the leased queue does)."""

    def __init__(self) -> None:
        self.jobs: dict[str, Any] = {}
        self.tokens: dict[str, str | None] = {}

    async def add(self, job: Any) -> None:
        from fundraising_service.domain.receipt_jobs import YearlyJobAlreadyRunning
        if any((j.tenant, j.active_key) == (job.tenant, job.active_key) for j in self.jobs.values()):
            raise YearlyJobAlreadyRunning(job.active_key)
        self.jobs[job.id] = job
        self.tokens[job.id] = None

    async def get(self, tenant: str, job_id: str) -> Any:
        import copy
        job = self.jobs.get(job_id)
        return copy.deepcopy(job) if job is not None and job.tenant == tenant else None

    async def list(self, tenant: str, legal_entity_id: str | None, limit: int) -> list[Any]:
        return [j for j in self.jobs.values() if j.tenant == tenant
                and legal_entity_id in (None, j.legal_entity_id)][:limit]

    async def save_progress(self, job: Any, token: str | None) -> None:
        if token is not None and self.tokens[job.id] != token:
            raise ConcurrencyConflict("lease lost")
        self.jobs[job.id] = job


class FakeJobsUnitOfWork(FakeReceiptsUnitOfWork):
    def __init__(self, store: Store, jobs: FakeJobs) -> None:
        super().__init__(store)
        self.receipt_jobs = jobs


async def _hold(store: Store, donors: int, unknown: int = 0, entity: str = "fondation") -> None:
    for i in range(donors + unknown):
        if i < donors:
            store.members[(T, f"y{i:02d}")] = f"Donor {i}"
        for k in (1, 2):
            line = ReceiptLine(f"g{i}-{k}", date(2026, 2 * k, 1), 1000 + i, "sepa_debit")
            await FakeProfiles(store).hold_line(T, f"y{i:02d}", entity, 2026, f"donation:g{i}-{k}", line, "EUR")


def _job_parts(store: Store, jobs: FakeJobs, woken: list[int]) -> Any:
    return bootstrap(lambda: FakeJobsUnitOfWork(store, jobs), wake_receipt_jobs=lambda: woken.append(1))


async def test_yearly_job_starts_in_the_background_reports_progress_and_issues_every_summary(store: Store) -> None:
    from fundraising_service.service_layer import receipt_jobs as j
    await _hold(store, donors=5, unknown=1)  # y05 is not projected: skipped, left held
    jobs, woken = FakeJobs(), []
    parts = _job_parts(store, jobs, woken)
    started = await call(parts, c.START_YEARLY_RECEIPTS, c.StartYearlyReceipts(legal_entity_id="fondation",
                                                                                 year=2026), STAFF)
    assert (started.state, started.total, started.done) == ("running", 6, 0) and woken == [1]
    assert store.receipts == {}  # nothing issued inside the request
    # One job per (entity, year) at a time.
    with pytest.raises(DomainError) as again:
        await call(parts, c.START_YEARLY_RECEIPTS, c.StartYearlyReceipts(legal_entity_id="fondation", year=2026),
                   STAFF)
    assert again.value.status == 409 and again.value.code == "yearly-receipts-running"
    jobs.tokens[started.job_id] = "lease-1"
    done = await j.run_yearly_job(T, started.job_id, "lease-1", lambda: FakeJobsUnitOfWork(store, jobs),
                                  _always_mine, batch=2)
    assert done
    progress = await call(parts, c.GET_YEARLY_RECEIPT_JOB, c.YearlyReceiptJobQuery(job_id=started.job_id), STAFF)
    assert (progress.state, progress.done, progress.skipped, progress.total) == ("done", 5, 1, 6)
    assert progress.finished_at is not None and progress.resumed == 0
    assert sorted(r.sequence for r in store.receipts.values()) == [1, 2, 3, 4, 5]
    assert all(len(r.lines) == 2 for r in store.receipts.values())
    assert sorted(store.held) == ["donation:g5-1", "donation:g5-2"]
    # Done: the entity-year is free again; nothing new held → done at once, no wake-up.
    store.held.clear()
    empty = await call(parts, c.START_YEARLY_RECEIPTS, c.StartYearlyReceipts(legal_entity_id="fondation",
                                                                               year=2026), STAFF)
    assert (empty.state, empty.total) == ("done", 0) and woken == [1]
    listed = await call(parts, c.LIST_YEARLY_RECEIPT_JOBS, c.ListYearlyReceiptJobs(), STAFF)
    assert {x.job_id for x in listed.items} == {started.job_id, empty.job_id}


async def _always_mine() -> bool:
    return True


async def test_yearly_job_given_back_midway_resumes_after_its_cursor_without_gap_or_duplicate(store: Store) -> None:
    from fundraising_service.service_layer import receipt_jobs as j
    await _hold(store, donors=6, unknown=1)
    jobs = FakeJobs()
    parts = _job_parts(store, jobs, [])
    # A per-gift receipt of the same entity and year comes first: the summaries continue its numbering.
    await handle_as_consumer(handler(parts, "donation_received"), donation_event("d-first"))
    job = await call(parts, c.START_YEARLY_RECEIPTS, c.StartYearlyReceipts(legal_entity_id="fondation", year=2026),
                     STAFF)
    jobs.tokens[job.job_id] = "worker-a"
    batches = 0

    async def one_batch_then_crash() -> bool:  # worker A stops after its first batch (killed, stopped)
        nonlocal batches
        batches += 1
        return batches == 1

    uow = lambda: FakeJobsUnitOfWork(store, jobs)  # noqa: E731
    assert not await j.run_yearly_job(T, job.job_id, "worker-a", uow, one_batch_then_crash, batch=3)
    midway = await call(parts, c.GET_YEARLY_RECEIPT_JOB, c.YearlyReceiptJobQuery(job_id=job.job_id), STAFF)
    assert (midway.state, midway.done, midway.skipped, midway.total) == ("running", 3, 0, 7)
    # Worker A, its lease lost, cannot commit another batch (fencing): nothing is issued twice.
    jobs.tokens[job.job_id] = "worker-b"
    before = dict(store.receipts), dict(store.held), dict(store.counters)
    with pytest.raises(ConcurrencyConflict):
        await j.run_yearly_job(T, job.job_id, "worker-a", uow, _always_mine, batch=3)
    store.receipts, store.held, store.counters = before  # what the aborted transaction rolls back
    assert await j.run_yearly_job(T, job.job_id, "worker-b", uow, _always_mine, batch=3)
    final = await call(parts, c.GET_YEARLY_RECEIPT_JOB, c.YearlyReceiptJobQuery(job_id=job.job_id), STAFF)
    assert (final.state, final.done, final.skipped, final.resumed) == ("done", 6, 1, 1)
    numbers = sorted(r.sequence for r in store.receipts.values())
    assert numbers == list(range(1, 8))  # 1 per-gift + 6 summaries: no gap, no duplicate
    assert len({r.donor.member_id for r in store.receipts.values() if r.source is d.ReceiptSource.YEARLY_SUMMARY}) == 6


async def test_yearly_job_refuses_unknown_or_non_receipting_entities_and_other_tenants(store: Store) -> None:
    jobs = FakeJobs()
    parts = _job_parts(store, jobs, [])
    with pytest.raises(DomainError) as unknown:
        await call(parts, c.START_YEARLY_RECEIPTS, c.StartYearlyReceipts(legal_entity_id="nope", year=2026), STAFF)
    assert (unknown.value.status, unknown.value.code) == (404, "legal-entity-not-found")
    with pytest.raises(DomainError) as club:
        await call(parts, c.START_YEARLY_RECEIPTS, c.StartYearlyReceipts(legal_entity_id="club", year=2026), STAFF)
    assert (club.value.status, club.value.code) == (422, "entity-may-not-receipt")
    job = await call(parts, c.START_YEARLY_RECEIPTS, c.StartYearlyReceipts(legal_entity_id="fondation", year=2026),
                     STAFF)
    foreign = Principal(tenant="other", subject="manager", roles=frozenset({Role.MANAGER}))
    with pytest.raises(DomainError) as other:
        await call(parts, c.GET_YEARLY_RECEIPT_JOB, c.YearlyReceiptJobQuery(job_id=job.job_id), foreign)
    assert other.value.status == 404
    assert (await call(parts, c.LIST_YEARLY_RECEIPT_JOBS, c.ListYearlyReceiptJobs(), foreign)).items == []
    staff_only = {s.subject.rsplit(".", 1)[1]: s.roles for s in parts.requests if "yearly_receipt" in s.subject}
    assert all(Role.ALUMNUS not in roles for roles in staff_only.values()) and len(staff_only) == 4


async def test_a_gift_held_after_the_donors_summary_gets_a_supplementary_summary(store: Store) -> None:
    from fundraising_service.service_layer import receipts as r
    await _hold(store, donors=1)
    uow = lambda: FakeReceiptsUnitOfWork(store)  # noqa: E731
    assert await r.issue_yearly_receipts(r.IssueYearlyReceipts(T, 2026), uow) == (1, 0)
    late = ReceiptLine("g-late", date(2026, 12, 20), 700, "cheque")
    await FakeProfiles(store).hold_line(T, "y00", "fondation", 2026, "donation:g-late", late, "EUR")
    assert await r.issue_yearly_receipts(r.IssueYearlyReceipts(T, 2026), uow) == (1, 0)
    first, second = sorted(store.receipts.values(), key=lambda rc: rc.sequence)
    assert (first.sequence, second.sequence) == (1, 2) and first.source_key != second.source_key
    assert [ln.source_id for ln in second.lines] == ["g-late"] and store.held == {}


def test_receipt_lines_are_wrapped_word_by_word_and_long_words_left_to_fpdf() -> None:
    from fundraising_service.adapters.receipt_pdf import wrap
    width = len  # one unit per character
    assert wrap("un deux trois quatre", width, 9) == ["un deux", "trois", "quatre"]
    assert wrap("ligne un\nligne deux", width, 20) == ["ligne un", "ligne deux"]
    assert wrap("", width, 5) == [""]
    assert wrap("anticonstitutionnellement", width, 10) is None
