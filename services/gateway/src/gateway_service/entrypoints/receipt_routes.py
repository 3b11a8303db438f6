"""Tax receipts (*reçus fiscaux*): the donor's own receipts and receipt profile, the managers'
legal-entity registry, void + reissue, the yearly register (CSV) and per-donor summaries."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from alumni_contracts import naming
from alumni_contracts.fundraising import receipts as rc
from alumni_contracts.text import ShortText
from gateway_service.entrypoints.edge import IdempotencyKey, MemberId, Who, created, forward, require_staff

router = APIRouter()
ReceiptId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
EntityId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Year = Annotated[int, Query(ge=2000, le=2100, description="Calendar year.")]
Lang = Annotated[str, Query(pattern="^(fr|en)$", description="fr: the official receipt; en: a courtesy copy")]
PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}, "description": "The receipt (PDF)"},
       404: {"description": "No such receipt (or not yours)"}}


def cmd(name: str) -> str:
    return naming.command_subject("fundraising", name)


def qry(name: str) -> str:
    return naming.query_subject("fundraising", name)


def _pdf(result: dict[str, Any]) -> Response:
    return Response(base64.b64decode(result["content_base64"]), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{result["filename"]}"'})


class VoidBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    reason: ShortText = Field(description="Why the receipt is voided.", examples=["wrong address"])
    reissue: bool = Field(True, description="Issue a corrected receipt under a new number.")
    postal_address: Annotated[str, Field(max_length=400)] | None = None
    nature: rc.GiftNature | None = None


class ProfileBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    postal_address: Annotated[str, Field(min_length=1, max_length=400)]
    yearly_summary: bool = False
    company_name: ShortText | None = None
    company_id: Annotated[str, Field(pattern=r"^[0-9]{9}$")] | None = None


# -- alumni -------------------------------------------------------------------------------------

@router.get("/api/v1/me/receipts", tags=["receipts"], response_model=rc.ReceiptList)
async def my_receipts(request: Request, who: Who, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
                      ) -> dict[str, Any]:
    """Your tax receipts, newest year first (voided ones included, with what replaced them)."""
    return await forward(request, qry(rc.LIST_RECEIPTS), rc.ListReceipts(year=year), who)


@router.get("/api/v1/me/receipts/{receipt_id}/pdf", tags=["receipts"], response_class=Response, responses=PDF)
async def my_receipt_pdf(receipt_id: ReceiptId, request: Request, who: Who, lang: Lang = "fr") -> Response:
    """Download one of your receipts: French (the official one) or English (a courtesy copy)."""
    return _pdf(await forward(request, qry(rc.RECEIPT_PDF), rc.ReceiptPdfQuery(receipt_id=receipt_id, language=lang),
                              who))


@router.get("/api/v1/me/receipts/summary", tags=["receipts"], response_model=rc.DonorSummary)
async def my_summary(request: Request, who: Who, year: Year) -> dict[str, Any]:
    """Your receipted total of one year, per receiving organisation."""
    return await forward(request, qry(rc.DONOR_SUMMARY), rc.DonorSummaryQuery(year=year), who)


@router.put("/api/v1/me/receipt-profile", tags=["receipts"], response_model=rc.ReceiptProfileOut)
async def my_profile(body: ProfileBody, request: Request, who: Who,
                     idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """The address printed on your receipts, whether you want one yearly receipt for your
    recurring gifts, and the company you give as (*mécénat*, Cerfa n° 16216), if any."""
    return await forward(request, cmd(rc.SET_RECEIPT_PROFILE), rc.SetReceiptProfile(**body.model_dump()), who,
                         idempotency_key)


# -- managers -----------------------------------------------------------------------------------

@router.get("/api/v1/legal-entities", tags=["receipts"], response_model=rc.LegalEntityList)
async def legal_entities(request: Request, who: Who) -> dict[str, Any]:
    """The organisations that receive gifts and dues, and whether they may issue receipts."""
    require_staff(who)
    return await forward(request, qry(rc.LIST_LEGAL_ENTITIES), rc.ListLegalEntities(), who)


@router.put("/api/v1/legal-entities/{legal_entity_id}", tags=["receipts"], response_model=rc.LegalEntityOut)
async def put_legal_entity(legal_entity_id: EntityId, body: rc.LegalEntityIn, request: Request, who: Who,
                           idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Declare or update a legal entity (its id is the path's; the numbering is per id)."""
    require_staff(who)
    if body.legal_entity_id != legal_entity_id:
        body = body.model_copy(update={"legal_entity_id": legal_entity_id})
    return await forward(request, cmd(rc.UPSERT_LEGAL_ENTITY), body, who, idempotency_key)


@router.get("/api/v1/receipts", tags=["receipts"], response_model=rc.ReceiptList)
async def member_receipts(request: Request, who: Who, member_id: Annotated[str, Query(
                              pattern=r"^[A-Za-z0-9_-]{1,64}$")], year: Annotated[int | None, Query(
                              ge=2000, le=2100)] = None) -> dict[str, Any]:
    """Staff: one donor's receipts."""
    require_staff(who)
    return await forward(request, qry(rc.LIST_RECEIPTS), rc.ListReceipts(member_id=member_id, year=year), who)


@router.get("/api/v1/receipts/{receipt_id}/pdf", tags=["receipts"], response_class=Response, responses=PDF)
async def receipt_pdf(receipt_id: ReceiptId, request: Request, who: Who, lang: Lang = "fr") -> Response:
    """Staff: any receipt of the tenant as PDF."""
    require_staff(who)
    return _pdf(await forward(request, qry(rc.RECEIPT_PDF), rc.ReceiptPdfQuery(receipt_id=receipt_id, language=lang),
                              who))


@router.post("/api/v1/receipts/{receipt_id}/void", tags=["receipts"], response_model=rc.ReceiptVoidResult,
             responses={404: {"description": "No such receipt"}, 409: {"description": "Already voided"}})
async def void_receipt(receipt_id: ReceiptId, body: VoidBody, request: Request, who: Who,
                       idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Void a receipt (never edited) and, unless `reissue` is false, reissue it corrected
    under the next number of its entity's year."""
    require_staff(who)
    return await forward(request, cmd(rc.VOID_RECEIPT), rc.VoidReceipt(receipt_id=receipt_id, **body.model_dump()),
                         who, idempotency_key)


@router.get("/api/v1/legal-entities/{legal_entity_id}/receipt-register", tags=["receipts"],
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def receipt_register(legal_entity_id: EntityId, request: Request, who: Who, year: Year) -> Response:
    """The yearly register of an entity's receipts (CSV, `;`, UTF-8 with BOM; voided ones
    included). `X-Register-Gapless: true` when the numbers are exactly 1..n."""
    require_staff(who)
    result = await forward(request, qry(rc.RECEIPT_REGISTER),
                           rc.ReceiptRegisterQuery(legal_entity_id=legal_entity_id, year=year), who)
    return Response(result["csv"], media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{result["filename"]}"',
                             "X-Register-Count": str(result["count"]),
                             "X-Register-Gapless": "true" if result["gapless"] else "false"})


@router.put("/api/v1/members/{member_id}/receipt-profile", tags=["receipts"], response_model=rc.ReceiptProfileOut)
async def member_profile(member_id: MemberId, body: ProfileBody, request: Request, who: Who,
                         idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Staff: a donor's receipt address and choices (as given on a paper form)."""
    require_staff(who)
    return await forward(request, cmd(rc.SET_RECEIPT_PROFILE),
                         rc.SetReceiptProfile(member_id=member_id, **body.model_dump()), who, idempotency_key)


@router.get("/api/v1/members/{member_id}/receipts/summary", tags=["receipts"], response_model=rc.DonorSummary)
async def donor_summary(member_id: MemberId, request: Request, who: Who, year: Year) -> dict[str, Any]:
    """Staff: a donor's receipted total of one year, per legal entity."""
    require_staff(who)
    return await forward(request, qry(rc.DONOR_SUMMARY), rc.DonorSummaryQuery(member_id=member_id, year=year), who)


@router.post("/api/v1/receipts/yearly", status_code=201, tags=["receipts"], response_model=rc.YearlyReceiptsIssued,
             deprecated=True)
async def issue_yearly(request: Request, who: Who, year: Year, idempotency_key: IdempotencyKey = None
                       ) -> JSONResponse:
    """Issue the yearly summary receipts of the donors who chose one, inside the request (running
    it again issues only what is still held). Deprecated: beyond a few thousand donors use
    `POST /api/v1/legal-entities/{id}/yearly-receipts`, a background job with its progress."""
    require_staff(who)
    result = await forward(request, cmd(rc.ISSUE_YEARLY_RECEIPTS), rc.IssueYearlyReceipts(year=year), who,
                           idempotency_key)
    return created(result, f"/api/v1/receipts?year={year}")


JobId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
JOB_LOCATION = "/api/v1/yearly-receipt-jobs/{job_id}"


@router.post("/api/v1/legal-entities/{legal_entity_id}/yearly-receipts", status_code=202, tags=["receipts"],
             response_model=rc.YearlyReceiptJobOut,
             responses={404: {"description": "No such legal entity"},
                        409: {"description": "A job for this entity and year is already running"},
                        422: {"description": "The entity may not issue receipts; bad year"}})
async def start_yearly_receipts(legal_entity_id: EntityId, request: Request, who: Who, year: Year,
                                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Start issuing the yearly summary receipts of an entity's donors who chose one, in the
    background: `202` with the job (`Location` is its progress). One job per entity and year
    at a time (`409` while one runs); a job interrupted by a crash resumes where it stopped."""
    require_staff(who)
    result = await forward(request, cmd(rc.START_YEARLY_RECEIPTS),
                           rc.StartYearlyReceipts(legal_entity_id=legal_entity_id, year=year), who, idempotency_key)
    return JSONResponse(result, status_code=202, headers={"Location": JOB_LOCATION.format(job_id=result["job_id"])})


@router.get("/api/v1/yearly-receipt-jobs/{job_id}", tags=["receipts"], response_model=rc.YearlyReceiptJobOut)
async def yearly_receipt_job(job_id: JobId, request: Request, who: Who) -> dict[str, Any]:
    """A yearly-receipt job's progress: `done` of `total` donor summaries, `skipped`, `state`."""
    require_staff(who)
    return await forward(request, qry(rc.GET_YEARLY_RECEIPT_JOB), rc.YearlyReceiptJobQuery(job_id=job_id), who)


@router.get("/api/v1/yearly-receipt-jobs", tags=["receipts"], response_model=rc.YearlyReceiptJobList)
async def yearly_receipt_jobs(request: Request, who: Who, legal_entity_id: Annotated[str | None, Query(
                                  pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
                              limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
    """The tenant's yearly-receipt jobs, newest first."""
    require_staff(who)
    return await forward(request, qry(rc.LIST_YEARLY_RECEIPT_JOBS),
                         rc.ListYearlyReceiptJobs(legal_entity_id=legal_entity_id, limit=limit), who)
