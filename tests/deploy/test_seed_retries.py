"""The demo seed against a gateway that rate-limits it (a second `make run` used to fail 821
of 2,000 rows with `429 … retry in 0.0 s`)."""

from __future__ import annotations

import itertools
from collections import Counter

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from alumni_local.seed import seed


def limited_gateway() -> Starlette:
    """Every third request is refused as the gateway's limiter refuses it; the others succeed."""
    counter = itertools.count(1)
    members = itertools.count(1)

    async def endpoint(request: Request) -> JSONResponse:
        if next(counter) % 3 == 0:
            return JSONResponse({"type": "urn:alumni:problem:rate-limited", "title": "Too many requests",
                                 "status": 429, "detail": "retry in 0.0 s"},
                                status_code=429, headers={"Retry-After": "1"})
        if request.method == "POST" and request.url.path == "/api/v1/members":
            return JSONResponse({"member_id": f"m-{next(members)}"}, status_code=201)
        return JSONResponse({}, status_code=201 if request.method == "POST" else 200)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST", "PUT", "PATCH"])])


async def test_the_seed_waits_for_retry_after_and_fails_no_row(capsys: pytest.CaptureFixture[str]) -> None:
    retried: Counter[str] = Counter()
    present, failed = await seed("http://gateway", "token", 12, retried=retried,
                                 transport=httpx.ASGITransport(app=limited_gateway()))
    assert (present, failed) == (12, 0)
    assert retried["429"] > 10
    assert "0.0 s" not in capsys.readouterr().err
