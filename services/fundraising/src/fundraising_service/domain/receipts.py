"""Tax receipts (*reçus fiscaux*): pure rules, no I/O.

- Numbering: one sequence per (tenant, legal entity, calendar year), starting at 1, without
  gap or duplicate. The number a receipt gets is decided by the counter the repository writes
  in the receipt's own transaction; this module only formats and checks it.
- Which form: Cerfa n° 11580 (individuals, CGI article 200) or n° 16216 (companies, *mécénat*,
  CGI article 238 bis).
- Amount in words, in French (for the official French receipt) and in English (the courtesy
  version), written here rather than pulled from a library: the rules are short, and the
  official text must not change with a dependency upgrade.
- Immutability: a receipt is never edited; a correction voids it (`ReceiptVoided`) and a new
  receipt is issued under a new number (`Receipt.reissue`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from servicekit.domain import AggregateRoot, Conflict, DomainError, DomainEvent, new_id

PARIS = ZoneInfo("Europe/Paris")
# French tax receipts are in euros: a gift in another currency is not receipted here (a
# manager converts and records it in euros if the entity wants to receipt it).
RECEIPT_CURRENCY = "EUR"
NUMBER_WIDTH = 6


class DonorKind(StrEnum):
    INDIVIDUAL = "individual"
    COMPANY = "company"


class GiftNature(StrEnum):
    """Nature of the gift, as the Cerfa forms list it."""

    CASH = "cash"  # numéraire
    IN_KIND = "in_kind"  # don en nature
    EXPENSE_WAIVER = "expense_waiver"  # abandon de frais


class ReceiptSource(StrEnum):
    DONATION = "donation"
    DUES = "dues"
    YEARLY_SUMMARY = "yearly_summary"


class ReceiptStatus(StrEnum):
    ISSUED = "issued"
    VOIDED = "voided"


@dataclass(frozen=True)
class CerfaForm:
    number: str
    cgi_article: str


CERFA = {DonorKind.INDIVIDUAL: CerfaForm("11580", "200"), DonorKind.COMPANY: CerfaForm("16216", "238 bis")}


def cerfa_for(kind: DonorKind) -> CerfaForm:
    return CERFA[kind]


@dataclass(frozen=True)
class LegalEntity:
    """The organisation that receives the money and signs the receipt."""

    id: str
    tenant: str
    name: str
    address: str
    object: str  # objet de l'organisme
    status: str  # e.g. "association reconnue d'utilité publique", "fondation", "intérêt général"
    may_issue_receipts: bool
    signatory_name: str
    signatory_title: str
    # Dues that are (partly) a gift to this entity: plan id → tax-deductible share (minor units).
    dues_plans: dict[str, int] = field(default_factory=dict)
    # Campaigns whose gifts this entity receives (until campaigns carry their entity themselves).
    campaign_ids: tuple[str, ...] = ()
    # Receives gifts given to no campaign.
    default_for_gifts: bool = False


@dataclass(frozen=True)
class Donor:
    member_id: str
    name: str
    address: str | None
    kind: DonorKind = DonorKind.INDIVIDUAL
    company_id: str | None = None  # SIREN, for companies


class NotReceiptable(DomainError):
    code = "not-receiptable"
    title = "No tax receipt for this payment"


class ReceiptAlreadyVoided(Conflict):
    code = "receipt-voided"
    title = "Receipt already voided"


class InvalidReceiptNumber(DomainError):
    code = "invalid-receipt-number"
    title = "Invalid receipt number"


# -- numbering ------------------------------------------------------------------------------

def fiscal_year(at: datetime) -> int:
    """The calendar year of the payment, in France (a gift on 31 Dec 23:30 UTC+1 is next year's)."""
    return at.astimezone(PARIS).year


def format_number(year: int, sequence: int) -> str:
    if sequence < 1 or year < 2000:
        raise InvalidReceiptNumber(f"no receipt number {year}/{sequence}")
    return f"{year}-{sequence:0{NUMBER_WIDTH}d}"


def next_sequence(current: int | None) -> int:
    """The counter's next value: 1 for a new (entity, year), else current + 1."""
    return 1 if current is None else current + 1


def is_gapless(sequences: list[int]) -> bool:
    """True when `sequences` is exactly 1..n (in any order): the register's own check."""
    return sorted(sequences) == list(range(1, len(sequences) + 1))


# -- amount in words ------------------------------------------------------------------------

_FR_UNITS = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze",
             "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf"]
_FR_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def _fr_below_100(n: int) -> str:
    if n < 20:
        return _FR_UNITS[n]
    tens, unit = divmod(n, 10)
    if tens in (7, 9):  # soixante-dix…, quatre-vingt-dix…
        base = "soixante" if tens == 7 else "quatre-vingt"
        if tens == 7 and unit == 1:
            return "soixante et onze"
        return f"{base}-{_FR_UNITS[10 + unit]}"
    if tens == 8:
        return "quatre-vingts" if unit == 0 else f"quatre-vingt-{_FR_UNITS[unit]}"
    word = _FR_TENS[tens]
    if unit == 0:
        return word
    if unit == 1:
        return f"{word} et un"
    return f"{word}-{_FR_UNITS[unit]}"


def _fr_below_1000(n: int, final: bool) -> str:
    """`final`: the group ends the number (then *cents* and *quatre-vingts* take their s)."""
    hundreds, rest = divmod(n, 100)
    parts: list[str] = []
    if hundreds:
        if hundreds == 1:
            parts.append("cent")
        else:
            parts.append(f"{_FR_UNITS[hundreds]} cent" + ("s" if rest == 0 and final else ""))
    if rest:
        words = _fr_below_100(rest)
        if not final and words.endswith("quatre-vingts"):
            words = words[:-1]
        parts.append(words)
    return " ".join(parts)


def french_words(n: int) -> str:
    """A non-negative integer in French words (traditional spelling: *vingt et un*,
    *quatre-vingts*, *deux cents*, *mille* invariable, *un million*)."""
    if n < 0:
        raise ValueError("negative amount")
    if n == 0:
        return "zéro"
    parts: list[str] = []
    billions, rest = divmod(n, 1_000_000_000)
    millions, rest = divmod(rest, 1_000_000)
    thousands, units = divmod(rest, 1000)
    if billions:
        parts.append(f"{_fr_below_1000(billions, True)} milliard" + ("s" if billions > 1 else ""))
    if millions:
        parts.append(f"{_fr_below_1000(millions, True)} million" + ("s" if millions > 1 else ""))
    if thousands:
        parts.append("mille" if thousands == 1 else f"{_fr_below_1000(thousands, False)} mille")
    if units:
        parts.append(_fr_below_1000(units, True))
    return " ".join(parts)


_EN_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
             "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _en_below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    parts: list[str] = []
    if hundreds:
        parts.append(f"{_EN_UNITS[hundreds]} hundred")
    if rest:
        if rest < 20:
            words = _EN_UNITS[rest]
        else:
            tens, unit = divmod(rest, 10)
            words = _EN_TENS[tens] + (f"-{_EN_UNITS[unit]}" if unit else "")
        parts.append(("and " if hundreds else "") + words)
    return " ".join(parts)


def english_words(n: int) -> str:
    if n < 0:
        raise ValueError("negative amount")
    if n == 0:
        return "zero"
    parts: list[str] = []
    for scale, name in ((1_000_000_000, "billion"), (1_000_000, "million"), (1000, "thousand")):
        count, n = divmod(n, scale)
        if count:
            parts.append(f"{_en_below_1000(count)} {name}")
    if n:
        parts.append(_en_below_1000(n))
    return " ".join(parts)


def amount_in_words(minor: int, language: str) -> str:
    """Euros and cents in words: `cent vingt-trois euros et quarante-cinq centimes`."""
    units, cents = divmod(minor, 100)
    if language == "fr":
        text = f"{french_words(units)} euro" + ("s" if units > 1 else "")
        if units and units % 1_000_000 == 0:  # un million d'euros
            text = f"{french_words(units)} d'euros"
        if cents:
            text += f" et {french_words(cents)} centime" + ("s" if cents > 1 else "")
        return text
    text = f"{english_words(units)} euro" + ("s" if units != 1 else "")
    if cents:
        text += f" and {english_words(cents)} cent" + ("s" if cents != 1 else "")
    return text


# -- the receipt ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceiptLine:
    """One payment the receipt covers (one for a gift, several for a yearly summary)."""

    source_id: str
    received_on: date
    amount_minor: int
    method: str


@dataclass(frozen=True)
class ReceiptIssued(DomainEvent):
    receipt: Receipt


@dataclass(frozen=True)
class ReceiptVoided(DomainEvent):
    receipt: Receipt
    reason: str
    replaced_by: str | None


@dataclass(frozen=True)
class ReceiptRequest:
    """What a payment asks for: the rules decide whether, and which, receipt it gets."""

    tenant: str
    source: ReceiptSource
    source_key: str  # idempotency: one live receipt per source key
    entity: LegalEntity
    donor: Donor
    lines: tuple[ReceiptLine, ...]
    currency: str
    nature: GiftNature = GiftNature.CASH


def check_receiptable(req: ReceiptRequest) -> None:
    if not req.entity.may_issue_receipts:
        raise NotReceiptable(f"{req.entity.name} may not issue tax receipts")
    if req.currency != RECEIPT_CURRENCY:
        raise NotReceiptable(f"tax receipts are in euros, not {req.currency}")
    if not req.lines or any(line.amount_minor <= 0 for line in req.lines):
        raise NotReceiptable("nothing deductible to receipt")
    years = {line.received_on.year for line in req.lines}
    if len(years) != 1:
        raise NotReceiptable("a receipt covers one calendar year")


@dataclass(eq=False)
class Receipt(AggregateRoot):
    legal_entity_id: str = ""
    year: int = 0
    sequence: int = 0
    source: ReceiptSource = ReceiptSource.DONATION
    source_key: str = ""
    donor: Donor = Donor("", "", None)
    entity: LegalEntity | None = None
    lines: tuple[ReceiptLine, ...] = ()
    currency: str = RECEIPT_CURRENCY
    nature: GiftNature = GiftNature.CASH
    issued_at: datetime | None = None
    status: ReceiptStatus = ReceiptStatus.ISSUED
    replaces: str | None = None
    replaced_by: str | None = None
    void_reason: str | None = None
    voided_at: datetime | None = None

    @property
    def number(self) -> str:
        return format_number(self.year, self.sequence)

    @property
    def amount_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)

    @property
    def form(self) -> CerfaForm:
        return cerfa_for(self.donor.kind)

    @property
    def method(self) -> str:
        methods = {line.method for line in self.lines}
        return methods.pop() if len(methods) == 1 else "mixed"

    @classmethod
    def issue(cls, req: ReceiptRequest, sequence: int, now: datetime, replaces: str | None = None) -> Receipt:
        check_receiptable(req)
        year = req.lines[0].received_on.year
        receipt = cls(id=new_id(), tenant=req.tenant, legal_entity_id=req.entity.id, year=year, sequence=sequence,
                      source=req.source, source_key=req.source_key, donor=req.donor, entity=req.entity,
                      lines=req.lines, currency=req.currency, nature=req.nature, issued_at=now, replaces=replaces)
        format_number(year, sequence)  # validates
        receipt.record(ReceiptIssued(receipt))
        return receipt

    def void(self, reason: str, now: datetime, replaced_by: str | None = None) -> None:
        if self.status is ReceiptStatus.VOIDED:
            raise ReceiptAlreadyVoided(f"receipt {self.number} is already voided")
        if not reason.strip():
            raise NotReceiptable("a voided receipt needs a reason")
        self.status, self.void_reason, self.voided_at, self.replaced_by = ReceiptStatus.VOIDED, reason, now, replaced_by
        self.record(ReceiptVoided(self, reason, replaced_by))

    def correction(self, donor: Donor | None = None, nature: GiftNature | None = None) -> ReceiptRequest:
        """The request for the receipt that replaces this one (same payments, new details)."""
        assert self.entity is not None
        return ReceiptRequest(tenant=self.tenant, source=self.source, source_key=self.source_key,
                              entity=self.entity, donor=donor or self.donor, lines=self.lines,
                              currency=self.currency, nature=nature or self.nature)


def lines_year(lines: tuple[ReceiptLine, ...]) -> int:
    return lines[0].received_on.year
