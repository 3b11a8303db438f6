"""The REST API v1 and the console: the FastAPI application, its edge (body limits,
correlation ids, problem responses) and the routers of each area."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway_service.adapters.auth import TokenVerifier
from gateway_service.adapters.bus import NatsBus
from gateway_service.adapters.rate_limit import RateLimiter
from gateway_service.entrypoints import (
    activity_routes,
    alerts_routes,
    community_routes,
    console_routes,
    event_desk_routes,
    events_routes,
    fundraising_routes,
    imports_routes,
    kpi_routes,
    mail_view_routes,
    members_routes,
    membership_routes,
    mentoring_routes,
    newsletters_routes,
    notifications_routes,
    outcome_routes,
    partner_routes,
    payment_routes,
    privacy_routes,
    receipt_routes,
    relations_routes,
    rsvp_routes,
)
from gateway_service.entrypoints.edge import ApiError, Who, require_staff
from gateway_service.entrypoints.middleware import Edge, EdgeConfig
from gateway_service.entrypoints.openapi import allowed_methods, document_problems
from gateway_service.entrypoints.problems import on_http_error, on_validation_error
from servicekit.logging import get_logger

log = get_logger(__name__)


def create_app(bus_factory: Callable[[], Awaitable[NatsBus]], verifier: TokenVerifier, *,
               max_body_bytes: int = 64 * 1024, max_upload_bytes: int = 64 * 1024 * 1024,
               dev_mailbox_url: str | None = None, rate_limit_per_minute: int = 0, public_rate_limit_per_minute: int = 0,
               rate_limit_exempt_subjects: Iterable[str] = (), webhook_rate_limit_per_minute: int = 0,
               tenants: Iterable[str] = ("demo",),
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
    app.state.dev_mailbox_url = dev_mailbox_url
    app.state.tenants = list(tenants)  # a webhook names its tenant (no token to say it)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(ValidationError, on_validation_error)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 405:  # the resource's methods, not only those of the first matching route
            allow = allowed_methods(app.openapi(), request.url.path)
            if allow:
                exc = StarletteHTTPException(405, exc.detail, headers={**(exc.headers or {}), "Allow": ", ".join(allow)})
        return await on_http_error(request, exc)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return exc.response

    api_limiter = RateLimiter(rate_limit_per_minute, burst=max(1, rate_limit_per_minute // 10)) \
        if rate_limit_per_minute else None
    public_limiter = RateLimiter(public_rate_limit_per_minute, burst=max(1, public_rate_limit_per_minute // 4)) \
        if public_rate_limit_per_minute else None
    webhook_limiter = RateLimiter(webhook_rate_limit_per_minute, burst=max(1, webhook_rate_limit_per_minute // 4)) \
        if webhook_rate_limit_per_minute else None
    app.add_middleware(Edge, config=EdgeConfig(
        verifier=verifier, max_body_bytes=max_body_bytes, max_upload_bytes=max_upload_bytes,
        api_limiter=api_limiter, public_limiter=public_limiter, webhook_limiter=webhook_limiter,
        rate_limit_exempt_subjects=frozenset(rate_limit_exempt_subjects)))

    @app.get("/health", tags=["ops"])
    async def health() -> JSONResponse:
        bus_ok = app.state.bus is not None
        return JSONResponse({"service": "gateway", "status": "ready" if bus_ok else "starting"},
                            status_code=200 if bus_ok else 503)

    for area in (members_routes, relations_routes, privacy_routes, imports_routes, activity_routes,
                 membership_routes, payment_routes, kpi_routes, notifications_routes, newsletters_routes,
                 events_routes, event_desk_routes, fundraising_routes, receipt_routes,
                 community_routes, mentoring_routes, outcome_routes, partner_routes, rsvp_routes, alerts_routes):
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

    app.include_router(mail_view_routes.router)
    app.include_router(console_routes.router)

    document_problems(app)
    return app
