"""RFC 9457 problem+json responses for every error the API returns."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from alumni_contracts.rpc import FieldError, Problem, problem_type

PROBLEM_JSON = "application/problem+json"


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem.model_dump(mode="json", exclude_none=True), status_code=problem.status,
                        media_type=PROBLEM_JSON, headers=headers)


def make_problem(status: int, slug: str, title: str, detail: str | None = None, **extra: Any) -> Problem:
    return Problem(type=problem_type(slug), title=title, status=status, detail=detail, **extra)


async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    """Invalid input, whether FastAPI found it or a command built from a valid body refused
    it (rules across path and body, e.g. a showcase consent without its scope)."""
    assert isinstance(exc, RequestValidationError | ValidationError)
    errors = [FieldError(loc=[p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
                         msg=str(e.get("msg", "")), type=str(e.get("type", ""))) for e in exc.errors()]
    # The input is never echoed back (it may hold the very characters that were refused).
    return problem_response(make_problem(422, "validation", "Invalid request", _summary(errors), errors=errors))


def _summary(errors: list[FieldError]) -> str:
    """`2 invalid field(s): first_name: Text must not …; cohort.listed: Extra inputs are not permitted`."""
    def where(e: FieldError) -> str:
        path = e.loc[1:] if len(e.loc) > 1 and e.loc[0] in ("body", "query", "path") else e.loc
        return ".".join(str(p) for p in path) or "request"
    shown = "; ".join(f"{where(e)}: {e.msg}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return f"{len(errors)} invalid field(s): {shown}{more}"


async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(make_problem(exc.status_code, f"http-{exc.status_code}", str(exc.detail)),
                            headers=dict(exc.headers or {}))
