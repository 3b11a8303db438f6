"""The tax-receipt engine over request/reply: the registry of legal entities, donors' receipt
profiles, receipts (list, PDF, void + reissue), the yearly register and donor summaries."""

from __future__ import annotations

import base64
from typing import Any

from alumni_contracts import naming
from alumni_contracts.fundraising import receipts as c
from alumni_contracts.rpc import ALUMNI_AND_STAFF, STAFF
from fundraising_service.adapters.receipt_pdf import filename, render_receipt
from fundraising_service.domain.receipt_jobs import YearlyReceiptJob
from fundraising_service.domain.receipts import GiftNature, LegalEntity, Receipt
from fundraising_service.service_layer import receipt_jobs as j
from fundraising_service.service_layer import receipts as r
from servicekit.authz import Ownership, acting_member
from servicekit.bus import Caller, UseCase
from servicekit.mongo import Document


def command(name: str) -> str:
    return naming.command_subject("fundraising", name)


def query(name: str) -> str:
    return naming.query_subject("fundraising", name)


def entity_out(e: LegalEntity) -> c.LegalEntityOut:
    return c.LegalEntityOut(legal_entity_id=e.id, name=e.name, address=e.address, object=e.object, status=e.status,
                            may_issue_receipts=e.may_issue_receipts, signatory_name=e.signatory_name,
                            signatory_title=e.signatory_title, dues_plans=dict(e.dues_plans),
                            campaign_ids=list(e.campaign_ids), default_for_gifts=e.default_for_gifts)


def receipt_out(rc: Receipt) -> c.ReceiptOut:
    assert rc.issued_at is not None and rc.entity is not None
    return c.ReceiptOut(
        receipt_id=rc.id, number=rc.number, legal_entity_id=rc.legal_entity_id, legal_entity_name=rc.entity.name,
        year=rc.year, member_id=rc.donor.member_id, donor_name=rc.donor.name, donor_kind=c.DonorKind(rc.donor.kind),
        cerfa=rc.form.number, source=c.ReceiptSource(rc.source), amount_minor=rc.amount_minor, currency=rc.currency,
        nature=c.GiftNature(rc.nature), method=rc.method, issued_at=rc.issued_at, status=str(rc.status),
        replaces=rc.replaces, replaced_by=rc.replaced_by, void_reason=rc.void_reason)


def _entity(req: c.LegalEntityIn, who: Caller) -> r.UpsertLegalEntity:
    return r.UpsertLegalEntity(LegalEntity(
        id=req.legal_entity_id, tenant=who.tenant, name=req.name, address=req.address, object=req.object,
        status=req.status, may_issue_receipts=req.may_issue_receipts, signatory_name=req.signatory_name,
        signatory_title=req.signatory_title, dues_plans=dict(req.dues_plans), campaign_ids=tuple(req.campaign_ids),
        default_for_gifts=req.default_for_gifts))


def _profile_out(p: Document) -> c.ReceiptProfileOut:
    return c.ReceiptProfileOut(member_id=p["member_id"], postal_address=p.get("postal_address"),
                               yearly_summary=p.get("yearly_summary", False), company_name=p.get("company_name"),
                               company_id=p.get("company_id"))


def _pdf(req: c.ReceiptPdfQuery, who: Caller) -> r.GetReceipt:
    # Staff open any receipt of their tenant; alumni their own only (another's is "not found").
    owner = None if who.staff else acting_member(who.principal, req.member_id, Ownership.NAMED)
    return r.GetReceipt(who.tenant, req.receipt_id, owner, req.language)


def _void(req: c.VoidReceipt, who: Caller) -> r.VoidReceipt:
    return r.VoidReceipt(who.tenant, req.receipt_id, req.reason, req.reissue, req.postal_address,
                         GiftNature(req.nature) if req.nature else None)


def _summary(summary: r.Summary) -> c.DonorSummary:
    member_id, year, result = summary.member_id, summary.year, summary.rows
    lines = [c.DonorSummaryLine(legal_entity_id=eid, legal_entity_name=e.name if e else eid, receipts=n,
                                amount_minor=amount, currency=cur) for e, eid, n, amount, cur in result]
    return c.DonorSummary(member_id=member_id, year=year, lines=lines, total_minor=sum(ln.amount_minor for ln in lines))


def job_out(job: YearlyReceiptJob) -> c.YearlyReceiptJobOut:
    return c.YearlyReceiptJobOut(job_id=job.id, legal_entity_id=job.legal_entity_id, year=job.year,
                                 state=c.YearlyReceiptJobState(job.state), total=job.total, done=job.done,
                                 skipped=job.skipped, started_at=job.started_at, finished_at=job.finished_at,
                                 resumed=job.resumed)


RECEIPT_USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=command(c.UPSERT_LEGAL_ENTITY), request=c.LegalEntityIn, roles=STAFF, idempotent=True,
            message=_entity, reply=entity_out,
            description="Declare or update a legal entity (who receives gifts and dues, and whether it receipts)."),
    UseCase(subject=query(c.LIST_LEGAL_ENTITIES), request=c.ListLegalEntities, roles=STAFF,
            message=lambda req, who: r.ListLegalEntities(who.tenant),
            reply=lambda found: c.LegalEntityList(items=[entity_out(e) for e in found]),
            description="The tenant's legal entities."),
    UseCase(subject=command(c.SET_RECEIPT_PROFILE), request=c.SetReceiptProfile, roles=ALUMNI_AND_STAFF,
            idempotent=True, ownership=Ownership.SELF,
            message=lambda req, who: r.SetReceiptProfile(who.tenant, who.target, req.postal_address,
                                                         req.yearly_summary, req.company_name, req.company_id),
            reply=_profile_out,
            description="The donor's receipt address, yearly-summary choice and company (alumni: their own)."),
    UseCase(subject=query(c.LIST_RECEIPTS), request=c.ListReceipts, roles=ALUMNI_AND_STAFF, ownership=Ownership.SELF,
            message=lambda req, who: r.ListReceipts(who.tenant, who.target, req.year, req.limit),
            reply=lambda found: c.ReceiptList(items=[receipt_out(x) for x in found]),
            description="A donor's tax receipts, newest year first (alumni: their own)."),
    UseCase(subject=query(c.RECEIPT_PDF), request=c.ReceiptPdfQuery, roles=ALUMNI_AND_STAFF,
            message=_pdf, reply=lambda found: render_pdf_reply(found, found_language(found)),
            description="A receipt as PDF: French (official) or English (courtesy copy)."),
    UseCase(subject=command(c.VOID_RECEIPT), request=c.VoidReceipt, roles=STAFF, idempotent=True, message=_void,
            reply=lambda o: c.ReceiptVoidResult(voided=receipt_out(o.voided),
                                                reissued=receipt_out(o.reissued) if o.reissued else None),
            description="Void a receipt (never edited) and, by default, reissue it corrected under a new number."),
    UseCase(subject=query(c.RECEIPT_REGISTER), request=c.ReceiptRegisterQuery, roles=STAFF,
            message=lambda req, who: r.ReceiptRegister(who.tenant, req.legal_entity_id, req.year),
            reply=lambda reg: c.ReceiptRegisterCsv(
                filename=f"registre-recus-{reg.entity.id}-{reg.year}.csv", csv=r.register_csv(reg),
                count=len(reg.receipts), gapless=reg.gapless),
            description="The yearly register of a legal entity's receipts (CSV), voided ones included."),
    UseCase(subject=query(c.DONOR_SUMMARY), request=c.DonorSummaryQuery, roles=ALUMNI_AND_STAFF,
            ownership=Ownership.SELF, message=lambda req, who: r.DonorSummary(who.tenant, who.target, req.year),
            reply=_summary,
            description="A donor's receipted total per legal entity for one year (alumni: their own)."),
    UseCase(subject=command(c.ISSUE_YEARLY_RECEIPTS), request=c.IssueYearlyReceipts, roles=STAFF, idempotent=False,
            message=lambda req, who: r.IssueYearlyReceipts(who.tenant, req.year),
            reply=lambda counts: c.YearlyReceiptsIssued(issued=counts[0], skipped=counts[1]),
            description="Issue the yearly summary receipts of donors who chose them (in the request; "
                        "superseded by start_yearly_receipts)."),
    UseCase(subject=command(c.START_YEARLY_RECEIPTS), request=c.StartYearlyReceipts, roles=STAFF, idempotent=True,
            message=lambda req, who: j.StartYearlyReceipts(who.tenant, req.legal_entity_id, req.year, who.subject),
            reply=job_out,
            description="Start issuing an entity's yearly summary receipts in the background (one job per "
                        "entity and year at a time)."),
    UseCase(subject=query(c.GET_YEARLY_RECEIPT_JOB), request=c.YearlyReceiptJobQuery, roles=STAFF,
            message=lambda req, who: j.GetYearlyReceiptJob(who.tenant, req.job_id), reply=job_out,
            description="A yearly-receipt job's progress (done / total)."),
    UseCase(subject=query(c.LIST_YEARLY_RECEIPT_JOBS), request=c.ListYearlyReceiptJobs, roles=STAFF,
            message=lambda req, who: j.ListYearlyReceiptJobs(who.tenant, req.legal_entity_id, req.limit),
            reply=lambda jobs: c.YearlyReceiptJobList(items=[job_out(x) for x in jobs]),
            description="The tenant's yearly-receipt jobs, newest first."),
]


def found_language(found: r.FoundReceipt) -> str:
    return found.language


def render_pdf_reply(found: r.FoundReceipt, language: str) -> c.ReceiptPdf:
    pdf = render_receipt(found.receipt, language, replaces_number=found.replaces_number)
    return c.ReceiptPdf(filename=filename(found.receipt, language), content_base64=base64.b64encode(pdf).decode())
