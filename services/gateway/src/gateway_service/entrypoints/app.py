"""The REST API v1 and the console: the FastAPI application, its edge (body limits,
correlation ids, problem responses) and the routers of each area."""

from __future__ import annotations

import hashlib
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from alumni_contracts.envelope import new_event_id
from gateway_service.adapters.auth import TokenVerifier
from gateway_service.adapters.bus import NatsBus
from gateway_service.adapters.rate_limit import RateLimiter
from gateway_service.entrypoints import (
    activity_routes,
    console_routes,
    imports_routes,
    members_routes,
    privacy_routes,
    relations_routes,
)
from gateway_service.entrypoints.edge import IMPORTS_PATH, ApiError, Who, require_staff
from gateway_service.entrypoints.problems import make_problem, on_http_error, on_validation_error, problem_response
from servicekit.logging import bound, get_logger

log = get_logger(__name__)


def create_app(bus_factory: Callable[[], Awaitable[NatsBus]], verifier: TokenVerifier, *,
               max_body_bytes: int = 64 * 1024, max_upload_bytes: int = 64 * 1024 * 1024,
               dev_mailbox_url: str | None = None, rate_limit_per_minute: int = 0, public_rate_limit_per_minute: int = 0,
               on_shutdown: Callable[[], Awaitable[None]] | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.bus = await bus_factory()
        yield
        if on_shutdown is not None:
            await on_shutdown()

    app = FastAPI(title="Alumni platform API", version="1.0.0", lifespan=lifespan,
                  openapi_url="/api/v1/openapi.json", docs_url="/api/v1/docs", redoc_url=None,
                  description="REST API v1 of the alumni platform. Errors are RFC 9457 problem+json; "
                              "every POST honours an `Idempotency-Key` header.")
    app.state.verifier = verifier
    app.state.bus = None
    app.state.max_upload_bytes = max_upload_bytes
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(ValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return exc.response

    api_limiter = RateLimiter(rate_limit_per_minute, burst=max(1, rate_limit_per_minute // 10)) \
        if rate_limit_per_minute else None
    public_limiter = RateLimiter(public_rate_limit_per_minute, burst=max(1, public_rate_limit_per_minute // 4)) \
        if public_rate_limit_per_minute else None

    def too_many(request: Request) -> Response | None:
        if not request.url.path.startswith("/api/v1/"):
            return None
        address = request.client.host if request.client else "unknown"
        if request.url.path.startswith("/api/v1/public/"):
            limiter, client = public_limiter, f"address:{address}"
        else:
            token = request.headers.get("Authorization")
            limiter = api_limiter
            client = f"token:{hashlib.sha256(token.encode()).hexdigest()}" if token else f"address:{address}"
        wait = limiter.allow(client) if limiter else 0.0
        if not wait:
            return None
        return problem_response(make_problem(429, "rate-limited", "Too many requests", f"retry in {wait:.1f} s"),
                                {"Retry-After": str(max(1, math.ceil(wait)))})

    @app.middleware("http")
    async def edge(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        limited = too_many(request)
        if limited is not None:
            return limited
        length = request.headers.get("content-length")
        limit = max_upload_bytes if (request.method, request.url.path) == ("POST", IMPORTS_PATH) else max_body_bytes
        if length is not None and (not length.isdigit() or int(length) > limit):
            return problem_response(make_problem(413, "too-large", "Request body too large", f"at most {limit} bytes"))
        correlation_id = request.headers.get("X-Correlation-Id") or new_event_id()
        request.state.correlation_id = correlation_id
        with bound(correlation_id=correlation_id, path=request.url.path):
            response = await call_next(request)
        response.headers["X-Correlation-Id"] = correlation_id
        return response

    @app.get("/health", tags=["ops"])
    async def health() -> JSONResponse:
        bus_ok = app.state.bus is not None
        return JSONResponse({"service": "gateway", "status": "ready" if bus_ok else "starting"},
                            status_code=200 if bus_ok else 503)

    for area in (members_routes, relations_routes, privacy_routes, imports_routes, activity_routes):
        app.include_router(area.router)

    @app.get("/api/v1/dev/mailbox", tags=["development"], include_in_schema=dev_mailbox_url is not None)
    async def dev_mailbox(who: Who, after: Annotated[int | None, Query(ge=0)] = None,
                          before: Annotated[int | None, Query(ge=1)] = None,
                          limit: Annotated[int | None, Query(ge=1, le=500)] = None) -> JSONResponse:
        """Development only: what the local SMTP sink received (managers), oldest first. Each
        message has a sequence `id`: `after=<id>` returns only newer ones, `before=<id>` older
        ones, `limit` the first (with `after`) or last (otherwise) messages of that window."""
        if dev_mailbox_url is None:
            raise StarletteHTTPException(404, "no development mailbox configured")
        require_staff(who)
        window = {k: v for k, v in {"after": after, "before": before, "limit": limit}.items() if v is not None}
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(dev_mailbox_url, params=window)
        return JSONResponse(response.json())

    app.include_router(console_routes.router)
    return app
