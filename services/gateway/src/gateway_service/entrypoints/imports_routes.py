"""CSV imports: upload, mapping and preview, review, commit, progress, rejected rows."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from alumni_contracts import naming
from alumni_contracts.envelope import new_event_id
from alumni_contracts.members import commands as mb
from gateway_service.entrypoints.edge import (
    IMPORTS_PATH,
    ApiError,
    IdempotencyKey,
    ImportId,
    Who,
    bus,
    created,
    forward,
    require_staff,
)
from gateway_service.entrypoints.problems import make_problem, problem_response
from servicekit.csv_cells import csv_text

router = APIRouter()
ERROR_COLUMN = "Erreur · Error"  # added after the file's columns in the rejected-rows file
ROWS_PAGE = 500


def _with_links(view: dict[str, Any]) -> dict[str, Any]:
    return {**view, "rejected_csv": f"{IMPORTS_PATH}/{view['import_id']}/rejected.csv"}


@router.post(IMPORTS_PATH, status_code=201, tags=["imports"], response_model=mb.ImportView,
             openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {
                 "type": "string", "format": "binary"}}}}})
async def upload_import(request: Request, who: Who,
                        filename: Annotated[str, Query(min_length=1, max_length=200)] = "import.csv",
                        encoding: Annotated[mb.Encoding | None, Query()] = None,
                        delimiter: Annotated[mb.Delimiter | None, Query()] = None,
                        idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Upload a CSV file (the raw bytes as the body, e.g. `curl --data-binary @alumni.csv`).
    As Excel writes it — "CSV UTF-8" (BOM), "CSV" (Windows-1252, `;`), "Unicode text" (UTF-16,
    tabs): encoding and separator are detected unless given. Returns the columns, a suggested
    mapping and the first rows with what would be understood of them (`sample[].values`,
    e.g. `Promo 2012` → 2012); nothing is imported yet."""
    require_staff(who)
    received = bytearray()
    async for part in request.stream():  # a chunked body has no Content-Length: count as it comes
        received += part
        if len(received) > request.app.state.max_upload_bytes:
            raise ApiError(problem_response(make_problem(413, "too-large", "File too large",
                                                         f"at most {request.app.state.max_upload_bytes} bytes")))
    data = bytes(received)
    if not data.strip():
        raise ApiError(problem_response(make_problem(422, "invalid-file", "The file cannot be read",
                                                     "the body is empty: send the CSV file as the body")))
    import_id = new_event_id()
    object_name = naming.import_object_name(who.tenant, import_id)
    # Built before the file is stored: a refused filename (control characters…) leaves no file behind.
    command = mb.CreateImport(import_id=import_id, object_name=object_name, filename=filename, size=len(data),
                              encoding=encoding, delimiter=delimiter)
    await bus(request).put_file(object_name, data)
    result = await forward(request, naming.command_subject("members", mb.CREATE_IMPORT), command, who,
                           idempotency_key)
    return created(_with_links(result), f"{IMPORTS_PATH}/{result['import_id']}")


@router.get(IMPORTS_PATH, tags=["imports"], response_model=mb.ImportList)
async def list_imports(request: Request, who: Who,
                       limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
    result = await forward(request, naming.query_subject("members", mb.LIST_IMPORTS), mb.ListImports(limit=limit),
                           who)
    return {**result, "items": [_with_links(v) for v in result.get("items", [])]}


@router.get(IMPORTS_PATH + "/{import_id}", tags=["imports"], response_model=mb.ImportView)
async def get_import(import_id: ImportId, request: Request, who: Who) -> dict[str, Any]:
    """State, progress (`done` of `total`, `progress_percent`) and the report (`counts`,
    `failures`, `rejected`, and `rejected_csv` to download the rejected rows)."""
    return _with_links(await forward(request, naming.query_subject("members", mb.GET_IMPORT),
                                     mb.GetImport(import_id=import_id), who))


@router.get(IMPORTS_PATH + "/{import_id}/rejected.csv", tags=["imports"], response_class=StreamingResponse,
            responses={200: {"description": "The rejected rows: the file's columns in its order, then an error "
                                            "column. UTF-8 with BOM, `;`, CRLF (French Excel opens it as is); "
                                            "cells a spreadsheet would run as formulas are prefixed with `'`.",
                             "content": {"text/csv": {"schema": {"type": "string"}}}}})
async def rejected_rows(import_id: ImportId, request: Request, who: Who) -> StreamingResponse:
    """The rows not imported (errors of the preview, rows that failed at commit), to fix in a
    spreadsheet and import again. Available from the end of validation for the life of the
    import (`report_expires_at`); deleted with it."""
    require_staff(who)
    job = await forward(request, naming.query_subject("members", mb.GET_IMPORT), mb.GetImport(import_id=import_id),
                        who)
    columns: list[str] = list(job["columns"])
    redo = bool(columns) and columns[-1] == ERROR_COLUMN  # a rejected-rows file imported again
    if redo:
        columns = columns[:-1]

    def record(row: dict[str, Any]) -> list[str]:
        cells: list[str] = list(row.get("cells") or [])
        if redo and len(cells) >= len(columns) + 1:
            del cells[len(columns)]
        mine, extra = cells[:len(columns)], cells[len(columns):]
        return [*mine, *[""] * (len(columns) - len(mine)), "; ".join(row.get("errors") or []), *extra]

    async def page(after: int) -> dict[str, Any]:
        return await forward(request, naming.query_subject("members", mb.IMPORT_ROWS), mb.ImportRowsQuery(
            import_id=import_id, status=mb.ImportRowStatus.ERROR, after_line=after, limit=ROWS_PAGE), who)

    first = await page(0)  # before the response starts, so that a failure is still a problem

    async def body() -> AsyncIterator[str]:
        yield csv_text([[*columns, ERROR_COLUMN]])
        current = first
        while True:
            yield csv_text([record(r) for r in current["items"]], bom=False)
            if current.get("next_after_line") is None:
                return
            current = await page(current["next_after_line"])

    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(job.get("filename") or "import")).removesuffix(".csv")[:80]
    return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{stem}-rejected.csv"', "Cache-Control": "no-store"})


@router.put(IMPORTS_PATH + "/{import_id}/mapping", status_code=202, tags=["imports"], response_model=mb.ImportView)
async def validate_import(import_id: ImportId, body: mb.ColumnMapping, request: Request, who: Who,
                          idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Set the column mapping and check every row (the preview and dry run): nothing is
    written to the register. Follow the progress at `GET /api/v1/imports/{id}`."""
    command = mb.ValidateImport(import_id=import_id, mapping=body.mapping)
    result = await forward(request, naming.command_subject("members", mb.VALIDATE_IMPORT), command, who,
                           idempotency_key)
    return JSONResponse(result, status_code=202)


@router.get(IMPORTS_PATH + "/{import_id}/rows", tags=["imports"], response_model=mb.ImportRowsPage)
async def import_rows(import_id: ImportId, request: Request, who: Who,
                      status: mb.ImportRowStatus | None = None,
                      after_line: Annotated[int, Query(ge=0)] = 0,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    """The preview's rows: `status=error` for the errors with their line numbers,
    `status=review` for the possible duplicates to decide."""
    return await forward(request, naming.query_subject("members", mb.IMPORT_ROWS), mb.ImportRowsQuery(
        import_id=import_id, status=status, after_line=after_line, limit=limit), who)


@router.put(IMPORTS_PATH + "/{import_id}/rows/{line}/decision", tags=["imports"], response_model=mb.ImportRowOut)
async def decide_import_row(import_id: ImportId, line: Annotated[int, Path(ge=2)], body: mb.DecisionBody,
                            request: Request, who: Who) -> dict[str, Any]:
    """Merge review: `merge` into the matched member, `create` a new member, or `skip`."""
    return await forward(request, naming.command_subject("members", mb.DECIDE_IMPORT_ROW), mb.DecideImportRow(
        import_id=import_id, line=line, decision=body.decision), who)


@router.post(IMPORTS_PATH + "/{import_id}/commit", status_code=202, tags=["imports"], response_model=mb.ImportView)
async def commit_import(import_id: ImportId, body: mb.CommitBody, request: Request, who: Who,
                        idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Write the validated rows, in the background; resumable, and idempotent (a second
    import of the same file changes nothing)."""
    result = await forward(request, naming.command_subject("members", mb.COMMIT_IMPORT), mb.CommitImport(
        import_id=import_id, undecided=body.undecided), who, idempotency_key)
    return JSONResponse(result, status_code=202)


@router.delete(IMPORTS_PATH + "/{import_id}", tags=["imports"], response_model=mb.ImportView)
async def abandon_import(import_id: ImportId, request: Request, who: Who) -> dict[str, Any]:
    """Drop an import that was not committed: its rows and its file are deleted."""
    return await forward(request, naming.command_subject("members", mb.ABANDON_IMPORT),
                         mb.AbandonImport(import_id=import_id), who)
