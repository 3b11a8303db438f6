"""The OpenAPI document says what the API really answers: the bearer scheme (declared by the
`principal` dependency) and, per operation, the RFC 9457 problem responses it can return,
all as `application/problem+json` with one `Problem` schema."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from alumni_contracts.rpc import Problem
from gateway_service.entrypoints.problems import PROBLEM_JSON

PROBLEM_REF = "#/components/schemas/Problem"
_WHY = {
    "400": "Bad request (e.g. an invalid `Idempotency-Key`).",
    "401": "Missing, malformed, expired or otherwise invalid bearer token.",
    "403": "Authenticated but not allowed (role, tenant or ownership).",
    "404": "Not found.",
    "409": "Conflict with the current state (or a request with the same `Idempotency-Key` in progress).",
    "413": "Request body too large.",
    "422": "Invalid request: `errors` lists the offending fields.",
    "429": "Too many requests: retry after `Retry-After` seconds.",
    "500": "Internal error (logged with the correlation id).",
    "503": "A service is unavailable; retry later.",
    "504": "A service did not answer in time.",
}
_METHODS = {"get", "put", "post", "delete", "patch"}


def _problem_response(code: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": _WHY[code], "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}}
    if code == "429":
        response["headers"] = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
    if code == "401":
        response["headers"] = {"WWW-Authenticate": {"description": "`Bearer`.", "schema": {"type": "string"}}}
    return response


def problem_codes(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    codes = ["404", "422", "500"]
    if operation.get("security"):
        codes += ["401", "403", "503", "504"]
    if method != "get" or "requestBody" in operation:
        codes += ["400", "409", "413"]
    if path.startswith("/api/v1/"):
        codes.append("429")
    return sorted(set(codes))


def add_problems(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas["Problem"] = problem
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code in problem_codes(path, method, operation):
                responses[code] = _problem_response(code)  # replaces FastAPI's HTTPValidationError 422
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def document_problems(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_problems(get_openapi(
                title=app.title, version=app.version, openapi_version=app.openapi_version,
                description=app.description, routes=app.routes, tags=app.openapi_tags, servers=app.servers))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def allowed_methods(document: dict[str, Any], path: str) -> list[str]:
    """Every method the document declares on the path (FastAPI's 405 names only the methods of
    the first route matching the path, not the resource's)."""
    methods: set[str] = set()
    for template, item in document.get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), path):
            methods |= {m.upper() for m in item if m in _METHODS}
    return sorted(methods)
