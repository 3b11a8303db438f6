"""The dues KPIs demo seed: memberships across cohorts and programs, paid by cheque at past
dates (some a year ago and unrenewed, some renewed, a few lifetime), the same on every run."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from alumni_local.seed import PROGRAMS, YEARS
from alumni_local.seed_kpis import demo_membership, seed_dues_kpi_demo

TODAY = date(2026, 12, 2)
MEMBERS = [{"member_id": f"01938f6e-0000-7000-8000-{i:012d}", "cohort": {"program": PROGRAMS[i % 5],
                                                                         "graduation_year": YEARS[(i // 5) % 8]}}
           for i in range(400)]


def fake_gateway(calls: list[tuple[str, str, Any, str | None]]) -> Starlette:
    async def endpoint(request: Request) -> JSONResponse:
        body = await request.json() if request.method == "POST" else None
        calls.append((request.method, request.url.path, body, request.headers.get("idempotency-key")))
        path = request.url.path
        if path == "/api/v1/membership-plans":
            return JSONResponse({"items": [{"name": n, "plan_id": f"plan-{n}"} for n in ("Standard", "Bienfaiteur",
                                                                                       "À vie", "Jeune diplômé")]})
        if path == "/api/v1/members" and request.method == "POST":
            return JSONResponse({"member_id": f"grad-{body['email'].split('@')[0]}"}, status_code=201)
        if path == "/api/v1/members":
            return JSONResponse({"items": MEMBERS, "next_cursor": None})
        if path.endswith("/membership") and request.method == "GET":
            return JSONResponse({"title": "Not found"}, status_code=404)
        if path.endswith("/membership"):
            return JSONResponse({"membership": {"membership_id": "ms-" + path.split("/")[4]}}, status_code=201)
        return JSONResponse({}, status_code=201)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])


async def seeded() -> list[tuple[str, str, Any, str | None]]:
    calls: list[tuple[str, str, Any, str | None]] = []
    async with httpx.AsyncClient(base_url="http://gateway", transport=httpx.ASGITransport(app=fake_gateway(calls))) \
            as client:
        assert await seed_dues_kpi_demo(client, TODAY) > 40
    return calls


async def test_memberships_vary_by_cohort_and_program_and_are_paid_in_the_past() -> None:
    calls = await seeded()
    payments = [body for method, path, body, _ in calls if path == "/api/v1/payments/manual"]
    assert all(date.fromisoformat(p["received_on"]) <= TODAY for p in payments)
    assert {p["plan_id"] for p in payments} == {"plan-Standard", "plan-Bienfaiteur", "plan-À vie", "plan-Jeune diplômé"}
    received = [date.fromisoformat(p["received_on"]) for p in payments]
    assert min(received) < date(2025, 11, 1) and max(received) > date(2026, 10, 1)  # lapsed ones, recent ones
    assert Counter(p["member_id"] for p in payments).most_common(1)[0][1] == 2  # some renewed
    joined = {p["member_id"] for p in payments}
    by_year = Counter(m["cohort"]["graduation_year"] for m in MEMBERS if m["member_id"] in joined)
    assert by_year[2023] > by_year[2016]  # recent classes join more
    # New graduates: this year's class joins the young-graduate plan (first year free, no payment),
    # last year's paid in the spring, within 12 months of graduating.
    grads = [body for method, path, body, _ in calls if method == "POST" and path == "/api/v1/members"]
    assert {g["cohort"]["graduation_year"] for g in grads} == {2025, 2026} and len(grads) == 24
    young = [p for p in payments if p["plan_id"] == "plan-Jeune diplômé"]
    assert young and all(p["received_on"] == "2026-04-15" and p["amount_minor"] == 2000 for p in young)
    free_joins = [path for method, path, body, _ in calls if method == "POST" and path.startswith("/api/v1/members/grad-")
                  and body == {"plan_id": "plan-Jeune diplômé"}]
    assert len(free_joins) > len(young)
    assert await seeded() == calls  # the same requests and idempotency keys on every run


def test_a_member_not_drawn_gets_nothing() -> None:
    drawn = [demo_membership(m["member_id"], 2016, "Executive MBA", TODAY) for m in MEMBERS]
    assert drawn.count(None) > 300
