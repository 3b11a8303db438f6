"""`/health` (liveness and readiness) and `/metrics` for every worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ReadinessCheck = Callable[[], Awaitable[bool]]


def health_app(service: str, checks: dict[str, ReadinessCheck]) -> Starlette:
    async def live(_: Request) -> Response:
        return JSONResponse({"service": service, "status": "alive"})

    async def ready(_: Request) -> Response:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                results[name] = "ok" if await check() else "down"
            except Exception as exc:  # noqa: BLE001 - a failing check means "not ready"
                results[name] = f"down: {type(exc).__name__}"
        healthy = all(v == "ok" for v in results.values())
        return JSONResponse({"service": service, "status": "ready" if healthy else "not-ready",
                             "checks": results}, status_code=200 if healthy else 503)

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[
        Route("/health", ready), Route("/health/ready", ready), Route("/health/live", live),
        Route("/metrics", metrics),
    ])
