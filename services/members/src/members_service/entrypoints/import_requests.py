"""Request/reply entry points of CSV imports (the gateway stores the file, then calls these)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from alumni_contracts.members import commands as c
from alumni_contracts.rpc import Principal, Role
from members_service.domain.csv_import import ImportField
from members_service.domain.import_plan import REPORT_RETENTION, Decision, ImportNotFound, RowStatus
from members_service.entrypoints import views
from members_service.entrypoints.requests import actor, command, query
from members_service.service_layer import imports
from members_service.service_layer.ports import FileStore, MembersUnitOfWork
from servicekit.rpc import RequestHandler
from servicekit.uow import after_commit

STAFF = frozenset({Role.MANAGER, Role.ADMIN})


def import_request_handlers(uow_factory: Callable[[], MembersUnitOfWork], files: FileStore,
                            wake_worker: Callable[[], None],
                            retention: timedelta = REPORT_RETENTION) -> list[RequestHandler]:
    async def create(req: c.CreateImport, who: Principal) -> c.ImportView:
        preview = await imports.upload_import(imports.UploadImport(
            tenant=who.tenant, actor=actor(who), job_id=req.import_id, filename=req.filename,
            object_name=req.object_name, size=req.size, encoding=req.encoding, delimiter=req.delimiter),
            uow_factory(), files, retention=retention)
        return views.import_view(preview.job, preview.sample, preview.understood)

    async def get(req: c.GetImport, who: Principal) -> c.ImportView:
        uow = uow_factory()
        async with uow:
            job = await uow.import_jobs.get(who.tenant, req.import_id)
        if job is None:
            raise ImportNotFound(req.import_id)
        return views.import_view(job)

    async def list_(req: c.ListImports, who: Principal) -> c.ImportList:
        uow = uow_factory()
        async with uow:
            jobs = await uow.import_jobs.list(who.tenant, req.limit)
        return c.ImportList(items=[views.import_view(j) for j in jobs])

    async def validate(req: c.ValidateImport, who: Principal) -> c.ImportView:
        mapping = None if req.mapping is None else {k: ImportField(v.value) for k, v in req.mapping.items()}
        job = await imports.validate_import(who.tenant, req.import_id, mapping, actor(who), uow_factory())
        after_commit(wake_worker)  # the worker reads what this command commits
        return views.import_view(job)

    async def rows(req: c.ImportRowsQuery, who: Principal) -> c.ImportRowsPage:
        uow = uow_factory()
        async with uow:
            job = await uow.import_jobs.get(who.tenant, req.import_id)
            if job is None:
                raise ImportNotFound(req.import_id)
            page = await uow.import_rows.page(job.tenant, job.id, RowStatus(req.status.value) if req.status else None,
                                              req.after_line, req.limit + 1)
        more = len(page) > req.limit
        page = page[: req.limit]
        return c.ImportRowsPage(items=[views.import_row(r) for r in page],
                                next_after_line=page[-1].line if more and page else None)

    async def decide(req: c.DecideImportRow, who: Principal) -> c.ImportRowOut:
        row = await imports.decide(who.tenant, req.import_id, req.line, Decision(req.decision.value), actor(who),
                                   uow_factory())
        return views.import_row(row)

    async def commit(req: c.CommitImport, who: Principal) -> c.ImportView:
        job = await imports.commit_import(who.tenant, req.import_id, req.undecided == "skip", actor(who),
                                          uow_factory())
        after_commit(wake_worker)  # the worker reads what this command commits
        return views.import_view(job)

    async def abandon(req: c.AbandonImport, who: Principal) -> c.ImportView:
        return views.import_view(await imports.abandon_import(who.tenant, req.import_id, actor(who), uow_factory(),
                                                              files))

    return [
        RequestHandler(command(c.CREATE_IMPORT), c.CreateImport, create, STAFF, idempotent=True,
                       description="Open an import for an uploaded file: encoding, separator, columns, mapping."),
        RequestHandler(query(c.GET_IMPORT), c.GetImport, get, STAFF, description="An import and its progress."),
        RequestHandler(query(c.LIST_IMPORTS), c.ListImports, list_, STAFF, description="Recent imports."),
        RequestHandler(command(c.VALIDATE_IMPORT), c.ValidateImport, validate, STAFF, idempotent=True,
                       description="Check every row with this mapping: the preview and dry run (asynchronous)."),
        RequestHandler(query(c.IMPORT_ROWS), c.ImportRowsQuery, rows, STAFF,
                       description="Rows of the preview with their status, errors and line numbers."),
        RequestHandler(command(c.DECIDE_IMPORT_ROW), c.DecideImportRow, decide, STAFF, idempotent=True,
                       description="Decide a row to review: create, merge into the matched member, or skip."),
        RequestHandler(command(c.COMMIT_IMPORT), c.CommitImport, commit, STAFF, idempotent=True,
                       description="Write the validated rows (asynchronous, resumable)."),
        RequestHandler(command(c.ABANDON_IMPORT), c.AbandonImport, abandon, STAFF, idempotent=True,
                       description="Drop an import that was not committed, with its rows and file."),
    ]
