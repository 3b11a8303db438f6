"""Tax receipts (*reçus fiscaux*): the events (major version 1) and the requests of the
receipt engine of the fundraising service."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import CurrencyCode, Identifier
from alumni_contracts.envelope import EventData
from alumni_contracts.text import PersonText, ShortText

ReceiptNumber = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{6,}$", description="Receipt number: the calendar "
                                     "year and the 1-based sequence of the legal entity in that year.",
                                     examples=["2026-000042"])]


class DonorKind(StrEnum):
    """Individual (Cerfa n° 11580, CGI art. 200) or company (Cerfa n° 16216, CGI art. 238 bis)."""

    INDIVIDUAL = "individual"
    COMPANY = "company"


class GiftNature(StrEnum):
    """Nature of the gift as the Cerfa forms list it: cash (*numéraire*), in kind, abandonment of expenses."""

    CASH = "cash"
    IN_KIND = "in_kind"
    EXPENSE_WAIVER = "expense_waiver"


class ReceiptSource(StrEnum):
    """What the receipt acknowledges: one donation, the deductible share of dues, or a recurring
    donor's yearly summary."""

    DONATION = "donation"
    DUES = "dues"
    YEARLY_SUMMARY = "yearly_summary"


class ReceiptIssued(EventData):
    """A tax receipt was issued under the next number of its legal entity's yearly sequence."""

    service = "fundraising"
    event_name = "receipt_issued"
    version = 1

    receipt_id: Identifier = Field(description="Receipt id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b40"])
    number: ReceiptNumber
    legal_entity_id: Identifier = Field(description="The legal entity that issued it.", examples=["fondation"])
    year: int = Field(description="Calendar year of the payments it covers.", examples=[2026])
    sequence: int = Field(ge=1, description="Position in the entity's sequence of that year.", examples=[42])
    member_id: Identifier = Field(description="The donor.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    donor_kind: DonorKind = Field(description="Individual or company.", examples=["individual"])
    cerfa: str = Field(description="Cerfa form number the receipt follows.", examples=["11580"])
    source: ReceiptSource = Field(description="What the receipt acknowledges.", examples=["donation"])
    source_ids: list[Identifier] = Field(description="The donations or payments it covers.",
                                         examples=[["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b13"]])
    amount_minor: int = Field(gt=0, description="Amount receipted, in minor units.", examples=[5000])
    currency: CurrencyCode = Field(description="ISO 4217 currency (EUR).", examples=["EUR"])
    nature: GiftNature = Field(description="Nature of the gift.", examples=["cash"])
    issued_at: AwareDatetime = Field(description="When it was issued (UTC).")
    replaces_receipt_id: Identifier | None = Field(None, description="The voided receipt this one corrects.",
                                                   examples=[None])


class ReceiptVoided(EventData):
    """A tax receipt was voided (a correction, a refund); its number is never reused."""

    service = "fundraising"
    event_name = "receipt_voided"
    version = 1

    receipt_id: Identifier = Field(description="The voided receipt.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b40"])
    number: ReceiptNumber
    legal_entity_id: Identifier = Field(description="The legal entity that issued it.", examples=["fondation"])
    member_id: Identifier = Field(description="The donor.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    reason: str = Field(description="Why, for people.", examples=["wrong address"], max_length=200)
    replaced_by_receipt_id: Identifier | None = Field(None, description="The receipt issued in its place, if any.",
                                                      examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b41"])
    voided_at: AwareDatetime = Field(description="When it was voided (UTC).")


ALL: tuple[type[EventData], ...] = (ReceiptIssued, ReceiptVoided)

# -- requests ----------------------------------------------------------------------------------

UPSERT_LEGAL_ENTITY = "upsert_legal_entity"
LIST_LEGAL_ENTITIES = "list_legal_entities"
SET_RECEIPT_PROFILE = "set_receipt_profile"
LIST_RECEIPTS = "list_receipts"
RECEIPT_PDF = "receipt_pdf"
VOID_RECEIPT = "void_receipt"
RECEIPT_REGISTER = "receipt_register"
DONOR_SUMMARY = "donor_receipt_summary"
ISSUE_YEARLY_RECEIPTS = "issue_yearly_receipts"
START_YEARLY_RECEIPTS = "start_yearly_receipts"
GET_YEARLY_RECEIPT_JOB = "get_yearly_receipt_job"
LIST_YEARLY_RECEIPT_JOBS = "list_yearly_receipt_jobs"

Siren = Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")]
LongText = Annotated[str, PersonText(max_length=400, multiline=True)]


class LegalEntityIn(Request):
    legal_entity_id: Identifier = Field(description="Stable id (the numbering is per id).", examples=["fondation"])
    name: ShortText = Field(description="Legal name.", examples=["Fondation de l'École"])
    address: LongText = Field(description="Postal address.", examples=["1 rue de l'École, 75005 Paris"])
    object: LongText = Field(description="Object (*objet*) of the organisation.",
                             examples=["Soutenir l'enseignement et la recherche"])
    status: ShortText = Field(description="Legal status giving the right to receipt.",
                              examples=["Fondation reconnue d'utilité publique"])
    may_issue_receipts: bool = Field(description="Whether it may issue tax receipts.", examples=[True])
    signatory_name: ShortText = Field(description="Who signs the receipts.", examples=["Claire Martin"])
    signatory_title: ShortText = Field(description="Their title.", examples=["Présidente"])
    dues_plans: dict[Identifier, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, max_length=50,
        description="Membership plans whose dues this entity receives → tax-deductible share in minor units.")
    campaign_ids: list[Identifier] = Field(default_factory=list, max_length=200,
                                           description="Campaigns whose gifts it receives.")
    default_for_gifts: bool = Field(False, description="Receives gifts given to no campaign.")


class LegalEntityOut(Result):
    legal_entity_id: str
    name: str
    address: str
    object: str
    status: str
    may_issue_receipts: bool
    signatory_name: str
    signatory_title: str
    dues_plans: dict[str, int]
    campaign_ids: list[str]
    default_for_gifts: bool


class ListLegalEntities(Request):
    pass


class LegalEntityList(Result):
    items: list[LegalEntityOut]


class SetReceiptProfile(Request):
    member_id: Identifier | None = Field(None, description="Staff: whose profile; alumni: always their own.")
    postal_address: LongText = Field(description="Address printed on receipts.",
                                     examples=["3 avenue Foch, 69006 Lyon"])
    yearly_summary: bool = Field(False, description="Recurring donor: one receipt per year instead of one per gift.")
    company_name: ShortText | None = Field(None, description="Give as a company (*mécénat*): its name.")
    company_id: Siren | None = Field(None, description="Company SIREN.", examples=["552100554"])


class ReceiptProfileOut(Result):
    member_id: str
    postal_address: str | None
    yearly_summary: bool
    company_name: str | None = None
    company_id: str | None = None


class ListReceipts(Request):
    member_id: Identifier | None = Field(None, description="Staff: whose receipts (none: all of a year); "
                                                           "alumni: always their own.")
    year: int | None = Field(None, ge=2000, le=2100)
    limit: int = Field(100, ge=1, le=500)


class ReceiptOut(Result):
    receipt_id: str
    number: str
    legal_entity_id: str
    legal_entity_name: str
    year: int
    member_id: str
    donor_name: str
    donor_kind: DonorKind
    cerfa: str
    source: ReceiptSource
    amount_minor: int
    currency: str
    nature: GiftNature
    method: str
    issued_at: AwareDatetime
    status: str
    replaces: str | None = None
    replaced_by: str | None = None
    void_reason: str | None = None


class ReceiptList(Result):
    items: list[ReceiptOut]


class ReceiptPdfQuery(Request):
    receipt_id: Identifier
    member_id: Identifier | None = Field(None, description="Alumni: their own only.")
    language: str = Field("fr", pattern="^(fr|en)$", description="fr: the official receipt; en: a courtesy copy.")


class ReceiptPdf(Result):
    filename: str
    content_base64: str


class VoidReceipt(Request):
    receipt_id: Identifier
    reason: ShortText = Field(description="Why it is voided.", examples=["wrong address"])
    reissue: bool = Field(True, description="Issue a corrected receipt under a new number.")
    postal_address: LongText | None = Field(None, description="Corrected donor address for the new receipt.")
    nature: GiftNature | None = Field(None, description="Corrected nature of the gift.")


class ReceiptVoidResult(Result):
    voided: ReceiptOut
    reissued: ReceiptOut | None = None


class ReceiptRegisterQuery(Request):
    legal_entity_id: Identifier
    year: int = Field(ge=2000, le=2100)


class ReceiptRegisterCsv(Result):
    filename: str
    csv: str
    count: int
    gapless: bool


class DonorSummaryQuery(Request):
    member_id: Identifier | None = Field(None, description="Staff: whose summary; alumni: their own.")
    year: int = Field(ge=2000, le=2100)


class DonorSummaryLine(Result):
    legal_entity_id: str
    legal_entity_name: str
    receipts: int
    amount_minor: int
    currency: str


class DonorSummary(Result):
    member_id: str
    year: int
    lines: list[DonorSummaryLine]
    total_minor: int


class IssueYearlyReceipts(Request):
    year: int = Field(ge=2000, le=2100)


class YearlyReceiptsIssued(Result):
    issued: int
    skipped: int



# -- yearly summaries as a background job ----------------------------------------------------------

class StartYearlyReceipts(Request):
    legal_entity_id: Identifier = Field(description="The legal entity whose held gifts are summarised.",
                                        examples=["fondation"])
    year: int = Field(ge=2000, le=2100, description="Calendar year of the gifts.", examples=[2026])


class YearlyReceiptJobQuery(Request):
    job_id: Identifier = Field(description="The job's id.", examples=["0190a1b2-0000-7000-8000-000000000001"])


class ListYearlyReceiptJobs(Request):
    legal_entity_id: Identifier | None = Field(None, description="Only this entity's jobs.", examples=["fondation"])
    limit: int = Field(20, ge=1, le=100, description="At most this many, newest first.")


class YearlyReceiptJobState(StrEnum):
    """`running` (queued or in progress, resumed after a crash), `done`."""

    RUNNING = "running"
    DONE = "done"


class YearlyReceiptJobOut(Result):
    job_id: str = Field(description="The job's id.")
    legal_entity_id: str = Field(description="The legal entity.")
    year: int = Field(description="Calendar year.")
    state: YearlyReceiptJobState = Field(description="running or done.")
    total: int = Field(description="Donor summaries to issue (donor, currency) counted at the start.")
    done: int = Field(description="Summaries issued so far.")
    skipped: int = Field(description="Summaries left held (donor not known yet, not receiptable).")
    started_at: AwareDatetime = Field(description="When staff started it (UTC).")
    finished_at: AwareDatetime | None = Field(None, description="When it finished (UTC).")
    resumed: int = Field(0, description="How many times another worker took it over (a crash, a restart).")


class YearlyReceiptJobList(Result):
    items: list[YearlyReceiptJobOut]
