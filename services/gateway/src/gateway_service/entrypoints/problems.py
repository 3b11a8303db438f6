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
    return problem_response(make_problem(422, "validation", "Invalid request",
                                         f"{len(errors)} invalid field(s)", errors=errors))


async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(make_problem(exc.status_code, f"http-{exc.status_code}", str(exc.detail)),
                            headers=dict(exc.headers or {}))
