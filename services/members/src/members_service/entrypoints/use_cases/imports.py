"""Use cases of CSV imports (the gateway stores the file, then calls these)."""

from __future__ import annotations

from typing import Any

from alumni_contracts.members import commands as c
from alumni_contracts.rpc import STAFF
from members_service.domain.csv_import import ImportField
from members_service.domain.import_plan import Decision, RowStatus
from members_service.entrypoints import views
from members_service.entrypoints.use_cases.common import actor, command, query
from members_service.service_layer import imports as i
from servicekit.bus import Caller, UseCase


def _upload(req: c.CreateImport, who: Caller) -> i.UploadImport:
    return i.UploadImport(tenant=who.tenant, actor=actor(who), job_id=req.import_id, filename=req.filename,
                          object_name=req.object_name, size=req.size, encoding=req.encoding, delimiter=req.delimiter)


def _validate(req: c.ValidateImport, who: Caller) -> i.ValidateImport:
    mapping = None if req.mapping is None else {k: ImportField(v.value) for k, v in req.mapping.items()}
    return i.ValidateImport(who.tenant, req.import_id, actor(who), mapping)


def _rows(found: Any) -> c.ImportRowsPage:
    page, next_after_line = found
    return c.ImportRowsPage(items=[views.import_row(r) for r in page], next_after_line=next_after_line)


USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=command(c.CREATE_IMPORT), request=c.CreateImport, roles=STAFF, idempotent=True, message=_upload,
            reply=lambda preview: views.import_view(preview.job, preview.sample, preview.understood),
            description="Open an import for an uploaded file: encoding, separator, columns, mapping."),
    UseCase(subject=query(c.GET_IMPORT), request=c.GetImport, roles=STAFF,
            message=lambda req, who: i.GetImport(who.tenant, req.import_id, actor(who)), reply=views.import_view,
            description="An import and its progress."),
    UseCase(subject=query(c.LIST_IMPORTS), request=c.ListImports, roles=STAFF,
            message=lambda req, who: i.ListImports(who.tenant, actor(who), req.limit),
            reply=lambda jobs: c.ImportList(items=[views.import_view(j) for j in jobs]), description="Recent imports."),
    UseCase(subject=command(c.VALIDATE_IMPORT), request=c.ValidateImport, roles=STAFF, idempotent=True,
            message=_validate, reply=views.import_view,
            description="Check every row with this mapping: the preview and dry run (asynchronous)."),
    UseCase(subject=query(c.IMPORT_ROWS), request=c.ImportRowsQuery, roles=STAFF,
            message=lambda req, who: i.ImportRowsQuery(who.tenant, req.import_id, actor(who),
                                                       RowStatus(req.status.value) if req.status else None,
                                                       req.after_line, req.limit),
            reply=_rows, description="Rows of the preview with their status, errors and line numbers."),
    UseCase(subject=command(c.DECIDE_IMPORT_ROW), request=c.DecideImportRow, roles=STAFF, idempotent=True,
            message=lambda req, who: i.DecideImportRow(who.tenant, req.import_id, actor(who), req.line,
                                                       Decision(req.decision.value)),
            reply=views.import_row,
            description="Decide a row to review: create, merge into the matched member, or skip."),
    UseCase(subject=command(c.COMMIT_IMPORT), request=c.CommitImport, roles=STAFF, idempotent=True,
            message=lambda req, who: i.CommitImport(who.tenant, req.import_id, actor(who), req.undecided == "skip"),
            reply=views.import_view, description="Write the validated rows (asynchronous, resumable)."),
    UseCase(subject=command(c.ABANDON_IMPORT), request=c.AbandonImport, roles=STAFF, idempotent=True,
            message=lambda req, who: i.AbandonImport(who.tenant, req.import_id, actor(who)), reply=views.import_view,
            description="Drop an import that was not committed, with its rows and file."),
]
