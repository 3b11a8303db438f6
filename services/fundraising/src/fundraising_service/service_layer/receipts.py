"""The tax-receipt engine's use cases: issue from payment events, void and reissue, registers.

Issuing is driven by events (`donation_received`, `dues_paid`) that fundraising published
through its outbox, so the receipt is written in its own transaction *after* the gift
committed: a crash in between leaves the event in the outbox or unacknowledged on the
stream, and the receipt appears once it is delivered again. The inbox makes a redelivery a
no-op, and the one-live-receipt-per-source unique key makes a second event about the same gift
one too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from fundraising_service.domain.receipts import (
    Donor,
    DonorKind,
    GiftNature,
    LegalEntity,
    NotReceiptable,
    Receipt,
    ReceiptLine,
    ReceiptRequest,
    ReceiptSource,
    check_receiptable,
    is_gapless,
)
from servicekit.csv_cells import neutralise
from servicekit.domain import NotFound, utcnow
from servicekit.logging import get_logger
from servicekit.mongo import Document
from servicekit.uow import UnitOfWork

log = get_logger(__name__)


class ReceiptNotFound(NotFound):
    code = "receipt-not-found"
    title = "Receipt not found"


class DonorNotProjectedYet(Exception):
    """The donor's member record has not reached fundraising yet: transient, redelivered later."""


# -- ports ------------------------------------------------------------------------------------

class ReceiptRepository(Protocol):
    async def next_sequence(self, tenant: str, legal_entity_id: str, year: int) -> int: ...
    async def reserve(self, tenant: str, legal_entity_id: str, year: int, count: int) -> int:
        """Advance the counter by `count` in this transaction; the first of the numbers taken."""
        ...
    async def add(self, receipt: Receipt) -> None: ...
    async def add_many(self, receipts: list[Receipt]) -> None: ...
    async def save(self, receipt: Receipt) -> None: ...
    async def get(self, tenant: str, receipt_id: str) -> Receipt | None: ...
    async def live_for(self, tenant: str, source_key: str) -> Receipt | None: ...
    async def of_member(self, tenant: str, member_id: str, year: int | None, limit: int) -> list[Receipt]: ...
    async def register(self, tenant: str, legal_entity_id: str, year: int) -> list[Receipt]: ...
    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int: ...


class LegalEntityLookup(Protocol):
    """The legal-entity registry: who receives a campaign's gifts, a plan's dues."""

    async def all(self, tenant: str) -> list[LegalEntity]: ...
    async def upsert(self, entity: LegalEntity) -> None: ...


class ReceiptProfiles(Protocol):
    async def get(self, tenant: str, member_id: str) -> Document | None: ...
    async def put(self, tenant: str, member_id: str, profile: Document) -> None: ...
    async def donor_name(self, tenant: str, member_id: str) -> str | None: ...
    async def get_many(self, tenant: str, member_ids: list[str]) -> dict[str, Document]: ...
    async def donor_names(self, tenant: str, member_ids: list[str]) -> dict[str, str]: ...
    async def hold_line(self, tenant: str, member_id: str, legal_entity_id: str, year: int, source_key: str,
                        line: ReceiptLine, currency: str) -> None: ...
    async def held(self, tenant: str, year: int) -> list[Document]: ...
    async def release(self, tenant: str, ids: list[str]) -> None: ...
    async def erase(self, tenant: str, member_id: str) -> int: ...
    async def pseudonymise_held(self, tenant: str, member_id: str, pseudonym: str) -> int: ...


class ReceiptUnitOfWork(UnitOfWork, Protocol):
    @property
    def receipts(self) -> ReceiptRepository: ...

    @property
    def legal_entities(self) -> LegalEntityLookup: ...

    @property
    def receipt_profiles(self) -> ReceiptProfiles: ...


# -- commands -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PaymentToReceipt:
    """A gift or a dues payment, as the receipt engine needs it (from `donation_received` or `dues_paid`)."""

    tenant: str
    source: ReceiptSource  # DONATION or DUES
    source_id: str
    member_id: str
    amount_minor: int
    currency: str
    received_at: datetime
    method: str = "unspecified"
    campaign_id: str | None = None
    plan_id: str | None = None
    nature: GiftNature = GiftNature.CASH
    # What the gift event carries (donation_received within v1, optional): they win over the
    # registry and the donor's receipt profile, as they were when the gift was made.
    entity: LegalEntity | None = None
    donor: Donor | None = None
    receipt_choice: str | None = None  # per_gift | yearly_summary | none
    instalment: int | None = None  # dues paid in instalments: the deductible share is spread over them
    instalments: int | None = None


@dataclass(frozen=True)
class VoidOnRefund:
    tenant: str
    source_id: str
    reason: str


@dataclass(frozen=True)
class UpsertLegalEntity:
    entity: LegalEntity


@dataclass(frozen=True)
class ListLegalEntities:
    tenant: str


@dataclass(frozen=True)
class SetReceiptProfile:
    tenant: str
    member_id: str
    postal_address: str
    yearly_summary: bool
    company_name: str | None = None
    company_id: str | None = None


@dataclass(frozen=True)
class ListReceipts:
    tenant: str
    member_id: str
    year: int | None = None
    limit: int = 100


@dataclass(frozen=True)
class GetReceipt:
    tenant: str
    receipt_id: str
    member_id: str | None  # None: staff (any receipt of the tenant)
    language: str = "fr"


@dataclass(frozen=True)
class FoundReceipt:
    receipt: Receipt
    language: str
    replaces_number: str | None


@dataclass(frozen=True)
class VoidReceipt:
    tenant: str
    receipt_id: str
    reason: str
    reissue: bool = True
    postal_address: str | None = None
    nature: GiftNature | None = None


@dataclass(frozen=True)
class ReceiptRegister:
    tenant: str
    legal_entity_id: str
    year: int


@dataclass(frozen=True)
class DonorSummary:
    tenant: str
    member_id: str
    year: int


@dataclass(frozen=True)
class IssueYearlyReceipts:
    tenant: str
    year: int


@dataclass
class VoidOutcome:
    voided: Receipt
    reissued: Receipt | None


@dataclass
class Register:
    entity: LegalEntity
    year: int
    receipts: list[Receipt] = field(default_factory=list)

    @property
    def gapless(self) -> bool:
        return is_gapless([r.sequence for r in self.receipts])


# -- issuing ------------------------------------------------------------------------------------

def entity_for(entities: list[LegalEntity], source: ReceiptSource, campaign_id: str | None,
               plan_id: str | None) -> LegalEntity | None:
    if source is ReceiptSource.DUES:
        return next((e for e in entities if plan_id is not None and plan_id in e.dues_plans), None)
    if campaign_id is not None:
        found = next((e for e in entities if campaign_id in e.campaign_ids), None)
        if found is not None:
            return found
    return next((e for e in entities if e.default_for_gifts), None)


def deductible_share(share: int, instalment: int | None, instalments: int | None) -> int:
    """The deductible part of one dues payment: the plan's whole share for a single payment; in
    N instalments, share // N each and the remainder on the last (their sum is the share)."""
    if not instalments or instalments <= 1 or instalment is None:
        return share
    each = share // instalments
    return share - each * (instalments - 1) if instalment >= instalments else each


def with_signatory(entity: LegalEntity, registry: list[LegalEntity]) -> LegalEntity:
    """The gift's snapshot of its entity, signed by whom the registry names for that entity."""
    known = next((e for e in registry if e.id == entity.id), None)
    if known is None:
        return entity
    return LegalEntity(id=entity.id, tenant=entity.tenant, name=entity.name, address=entity.address,
                       object=entity.object, status=entity.status or known.status,
                       may_issue_receipts=entity.may_issue_receipts, signatory_name=known.signatory_name,
                       signatory_title=known.signatory_title)


async def donor_of(uow: ReceiptUnitOfWork, tenant: str, member_id: str,
                   given: Donor | None = None) -> tuple[Donor, Document | None]:
    profile = await uow.receipt_profiles.get(tenant, member_id)
    if given is not None:  # the gift names its donor; the profile may still know the address
        address = given.address or (profile.get("postal_address") if profile else None)
        return Donor(member_id, given.name, address, given.kind, given.company_id), profile
    return donor_from(member_id, await uow.receipt_profiles.donor_name(tenant, member_id), profile), profile


def donor_from(member_id: str, name: str | None, profile: Document | None) -> Donor:
    """The donor a receipt names: the company they give as (their profile), else the member."""
    if name is None:
        raise DonorNotProjectedYet(f"member {member_id} is not projected in fundraising yet")
    address = profile.get("postal_address") if profile else None
    if profile and profile.get("company_name"):
        return Donor(member_id, profile["company_name"], address, DonorKind.COMPANY, profile.get("company_id"))
    return Donor(member_id, name, address)


async def issue_for_payment(cmd: PaymentToReceipt, uow: ReceiptUnitOfWork,
                            clock: Callable[[], datetime] = utcnow) -> str | None:
    """The receipt's id, or None when the payment gets none (yet): not receiptable, or held for
    the donor's yearly summary."""
    key = f"{cmd.source}:{cmd.source_id}"
    async with uow:
        existing = await uow.receipts.live_for(cmd.tenant, key)
        if existing is not None:  # the same gift again (another event, a replay): one receipt
            await uow.commit()
            return existing.id
        registry = await uow.legal_entities.all(cmd.tenant)
        entity = with_signatory(cmd.entity, registry) if cmd.entity is not None else \
            entity_for(registry, cmd.source, cmd.campaign_id, cmd.plan_id)
        amount = cmd.amount_minor
        if entity is not None and cmd.source is ReceiptSource.DUES and cmd.plan_id is not None:
            amount = min(amount, deductible_share(entity.dues_plans.get(cmd.plan_id, 0), cmd.instalment,
                                                  cmd.instalments))
        if entity is None or amount <= 0:
            log.info("no tax receipt: no receipting entity or nothing deductible", source=key)
            await uow.commit()
            return None
        if cmd.receipt_choice == "none":
            log.info("no tax receipt: the donor asked for none", source=key)
            await uow.commit()
            return None
        donor, profile = await donor_of(uow, cmd.tenant, cmd.member_id, cmd.donor)
        line = ReceiptLine(cmd.source_id, paris_day(cmd.received_at), amount, cmd.method)
        request = ReceiptRequest(tenant=cmd.tenant, source=cmd.source, source_key=key, entity=entity, donor=donor,
                                 lines=(line,), currency=cmd.currency, nature=cmd.nature)
        try:
            check_receiptable(request)
        except NotReceiptable as exc:
            log.info("no tax receipt", source=key, reason=str(exc))
            await uow.commit()
            return None
        yearly = cmd.receipt_choice == "yearly_summary" or (
            cmd.receipt_choice is None and bool(profile and profile.get("yearly_summary")))
        if cmd.source is ReceiptSource.DONATION and yearly:
            await uow.receipt_profiles.hold_line(cmd.tenant, cmd.member_id, entity.id, line.received_on.year, key,
                                                 line, cmd.currency)
            await uow.commit()
            return None
        sequence = await uow.receipts.next_sequence(cmd.tenant, entity.id, line.received_on.year)
        receipt = Receipt.issue(request, sequence, clock())
        await uow.receipts.add(receipt)
        await uow.commit()
    return receipt.id


YEARLY_BATCH = 100  # donors per transaction: one counter move per entity for the whole batch


async def issue_yearly_receipts(cmd: IssueYearlyReceipts, uow_factory: Callable[[], ReceiptUnitOfWork],
                                clock: Callable[[], datetime] = utcnow, batch: int = YEARLY_BATCH
                                ) -> tuple[int, int]:
    """One summary receipt per (donor, entity) for the gifts held during `year`, `batch` donors
    per transaction (the numbers of a batch are reserved with one counter move; a crash leaves
    the remaining lines held, and running it again finishes)."""
    async with uow_factory() as uow:
        held = await uow.receipt_profiles.held(cmd.tenant, cmd.year)
    groups: dict[tuple[str, str, str], list[Document]] = {}
    for d in held:
        groups.setdefault((d["member_id"], d["legal_entity_id"], d["currency"]), []).append(d)
    ordered = sorted(groups.items())
    issued = skipped = 0
    for start in range(0, len(ordered), batch):
        done, failed = await issue_summaries(uow_factory(), cmd.tenant, cmd.year, ordered[start:start + batch], clock)
        issued, skipped = issued + done, skipped + failed
    return issued, skipped


AfterBatch = Callable[[Any, int, int], Awaitable[None]]


async def issue_summaries(uow: ReceiptUnitOfWork, tenant: str, year: int,
                          groups: list[tuple[tuple[str, str, str], list[Document]]],
                          clock: Callable[[], datetime] = utcnow, after: AfterBatch | None = None
                          ) -> tuple[int, int]:
    """Issue a batch of summaries in one transaction; `after(uow, issued, skipped)` runs in that
    same transaction before it commits (the background job moves its cursor and counters there)."""
    skipped = 0
    async with uow:
        entities = {e.id: e for e in await uow.legal_entities.all(tenant)}
        members = sorted({member_id for (member_id, _, _), _ in groups})
        # Two `$in` reads for the whole batch (not two point reads per donor).
        profiles = await uow.receipt_profiles.get_many(tenant, members)
        names = await uow.receipt_profiles.donor_names(tenant, members)
        ready: dict[str, list[tuple[ReceiptRequest, list[Document]]]] = {}
        for (member_id, entity_id, currency), docs in groups:
            try:
                entity = entities.get(entity_id)
                if entity is None:
                    raise NotReceiptable(f"legal entity {entity_id} is not in the registry")
                donor = donor_from(member_id, names.get(member_id), profiles.get(member_id))
                lines = tuple(sorted((ReceiptLine(d["source_id"], date.fromisoformat(d["received_on"]),
                                                  d["amount_minor"], d["method"]) for d in docs),
                                     key=lambda ln: ln.received_on))
                # The key names the summary's first gift: a gift held after the donor's summary
                # was issued (late, or a run in the middle of the year) gets a supplementary
                # summary under its own number instead of colliding with the first one, and the
                # same lines always make the same key (a line is released with its receipt).
                request = ReceiptRequest(tenant=tenant, source=ReceiptSource.YEARLY_SUMMARY,
                                         source_key=f"{ReceiptSource.YEARLY_SUMMARY}:{member_id}:{entity_id}:{year}:"
                                                    f"{lines[0].source_id}",
                                         entity=entity, donor=donor, lines=lines, currency=currency)
                check_receiptable(request)
                ready.setdefault(entity_id, []).append((request, docs))
            except (NotReceiptable, DonorNotProjectedYet) as exc:
                log.warning("yearly receipt not issued", member_id=member_id, reason=str(exc))
                skipped += 1
        now = clock()
        released: list[str] = []
        issued: list[Receipt] = []
        for entity_id, items in ready.items():
            first = await uow.receipts.reserve(tenant, entity_id, year, len(items))
            for k, (request, docs) in enumerate(items):
                issued.append(Receipt.issue(request, first + k, now))
                released += [d["_id"] for d in docs]
        await uow.receipts.add_many(issued)
        await uow.receipt_profiles.release(tenant, released)
        if after is not None:
            await after(uow, len(issued), skipped)
        await uow.commit()
    return sum(len(items) for items in ready.values()), skipped


def paris_day(at: datetime) -> date:
    from fundraising_service.domain.receipts import PARIS
    return at.astimezone(PARIS).date()


# -- corrections --------------------------------------------------------------------------------

async def void_receipt(cmd: VoidReceipt, uow: ReceiptUnitOfWork,
                       clock: Callable[[], datetime] = utcnow) -> VoidOutcome:
    async with uow:
        old = await uow.receipts.get(cmd.tenant, cmd.receipt_id)
        if old is None:
            raise ReceiptNotFound(cmd.receipt_id)
        now = clock()
        new: Receipt | None = None
        if cmd.reissue:
            donor = old.donor
            if cmd.postal_address is not None:
                donor = Donor(donor.member_id, donor.name, cmd.postal_address, donor.kind, donor.company_id)
            request = old.correction(donor=donor, nature=cmd.nature)
            check_receiptable(request)
            sequence = await uow.receipts.next_sequence(cmd.tenant, old.legal_entity_id, old.year)
            new = Receipt.issue(request, sequence, now, replaces=old.id)
        old.void(cmd.reason, now, replaced_by=new.id if new else None)
        await uow.receipts.save(old)  # frees the source's live key first
        if new is not None:
            await uow.receipts.add(new)
        await uow.commit()
    return VoidOutcome(old, new)


async def void_on_refund(cmd: VoidOnRefund, uow: ReceiptUnitOfWork, clock: Callable[[], datetime] = utcnow) -> None:
    """A refunded payment's receipt is voided (not reissued: a partial refund is reissued by a
    manager for what was kept, with `void_receipt`). A gift still held for a yearly summary
    leaves the summary."""
    async with uow:
        await uow.receipt_profiles.release(cmd.tenant, [f"{cmd.tenant}:{ReceiptSource.DONATION}:{cmd.source_id}"])
        for source in (ReceiptSource.DUES, ReceiptSource.DONATION):
            live = await uow.receipts.live_for(cmd.tenant, f"{source}:{cmd.source_id}")
            if live is not None:
                live.void(cmd.reason, clock())
                await uow.receipts.save(live)
        await uow.commit()


# -- registry, profiles, queries ----------------------------------------------------------------

async def upsert_legal_entity(cmd: UpsertLegalEntity, uow: ReceiptUnitOfWork) -> LegalEntity:
    async with uow:
        await uow.legal_entities.upsert(cmd.entity)
        await uow.commit()
    return cmd.entity


async def list_legal_entities(cmd: ListLegalEntities, uow: ReceiptUnitOfWork) -> list[LegalEntity]:
    async with uow:
        return sorted(await uow.legal_entities.all(cmd.tenant), key=lambda e: e.id)


async def set_receipt_profile(cmd: SetReceiptProfile, uow: ReceiptUnitOfWork) -> Document:
    profile: Document = {"postal_address": cmd.postal_address, "yearly_summary": cmd.yearly_summary,
                         "company_name": cmd.company_name, "company_id": cmd.company_id}
    async with uow:
        await uow.receipt_profiles.put(cmd.tenant, cmd.member_id, profile)
        await uow.commit()
    return {"member_id": cmd.member_id, **profile}


async def list_receipts(cmd: ListReceipts, uow: ReceiptUnitOfWork) -> list[Receipt]:
    async with uow:
        return await uow.receipts.of_member(cmd.tenant, cmd.member_id, cmd.year, cmd.limit)


async def get_receipt(cmd: GetReceipt, uow: ReceiptUnitOfWork) -> FoundReceipt:
    async with uow:
        receipt = await uow.receipts.get(cmd.tenant, cmd.receipt_id)
        if receipt is None or (cmd.member_id is not None and receipt.donor.member_id != cmd.member_id):
            raise ReceiptNotFound(cmd.receipt_id)  # another donor's receipt: "not found", as everywhere
        replaced = await uow.receipts.get(cmd.tenant, receipt.replaces) if receipt.replaces else None
    return FoundReceipt(receipt, cmd.language, replaced.number if replaced else None)


async def receipt_register(cmd: ReceiptRegister, uow: ReceiptUnitOfWork) -> Register:
    async with uow:
        entity = next((e for e in await uow.legal_entities.all(cmd.tenant) if e.id == cmd.legal_entity_id), None)
        found = await uow.receipts.register(cmd.tenant, cmd.legal_entity_id, cmd.year)
        if entity is None and found:  # an entity known only from its gifts' snapshots
            entity = found[0].entity
        if entity is None:
            raise NotFound(f"legal entity {cmd.legal_entity_id}")
        return Register(entity, cmd.year, found)


REGISTER_COLUMNS = ["number", "sequence", "status", "issued_at", "donor", "donor_kind", "cerfa", "cgi_article",
                    "address", "amount", "currency", "nature", "method", "source", "payment_dates", "replaces",
                    "replaced_by", "void_reason"]


def register_csv(register: Register) -> str:
    """The yearly register (one row per number, voided ones included): `;`-separated, amounts in
    euros with a decimal comma (what a French accountant's spreadsheet opens), cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(REGISTER_COLUMNS)
    for r in register.receipts:
        units, cents = divmod(r.amount_minor, 100)
        row: list[Any] = [r.number, r.sequence, str(r.status), r.issued_at.isoformat() if r.issued_at else "",
                          r.donor.name, str(r.donor.kind), r.form.number, r.form.cgi_article, r.donor.address or "",
                          f"{units},{cents:02d}", r.currency, str(r.nature), r.method, str(r.source),
                          " ".join(ln.received_on.isoformat() for ln in r.lines), r.replaces or "",
                          r.replaced_by or "", r.void_reason or ""]
        writer.writerow([neutralise(str(cell)) for cell in row])
    return "\ufeff" + out.getvalue()


@dataclass(frozen=True)
class Summary:
    member_id: str
    year: int
    # per entity: (entity, entity id, live receipts, amount receipted, currency)
    rows: list[tuple[LegalEntity | None, str, int, int, str]]


async def donor_summary(cmd: DonorSummary, uow: ReceiptUnitOfWork) -> Summary:
    """A donor's live receipts of one year, totalled per legal entity."""
    async with uow:
        receipts = await uow.receipts.of_member(cmd.tenant, cmd.member_id, cmd.year, 1000)
        if not receipts and await uow.receipt_profiles.donor_name(cmd.tenant, cmd.member_id) is None:
            raise NotFound(f"member {cmd.member_id}")  # not a donor of this tenant
        entities = {e.id: e for e in await uow.legal_entities.all(cmd.tenant)}
    totals: dict[tuple[str, str], list[int]] = {}
    for r in receipts:
        if str(r.status) != "issued":
            continue
        t = totals.setdefault((r.legal_entity_id, r.currency), [0, 0])
        t[0] += 1
        t[1] += r.amount_minor
    return Summary(cmd.member_id, cmd.year,
                   [(entities.get(eid), eid, n, amount, cur) for (eid, cur), (n, amount) in sorted(totals.items())])


async def erase_receipt_donor(uow: ReceiptUnitOfWork, tenant: str, member_id: str, alias: str) -> dict[str, int]:
    return {"receipts": await uow.receipts.pseudonymise(tenant, member_id, alias)
            + await uow.receipt_profiles.pseudonymise_held(tenant, member_id, alias),
            "receipt_profiles": await uow.receipt_profiles.erase(tenant, member_id)}
