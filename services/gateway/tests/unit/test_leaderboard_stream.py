"""The live leaderboard stream (Server-Sent Events) with a fake bus: the board at once, a new
event only when the board changed, one feed per (tenant, campaign) whatever the number of
streams, authentication, another tenant's campaign refused before the stream opens."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from alumni_contracts.rpc import Principal, Problem, Reply, problem_type
from gateway_service.adapters.auth import DevIssuer, TokenVerifier, load_or_create_key
from gateway_service.adapters.leaderboard_hub import LeaderboardHub
from gateway_service.entrypoints import fundraising_routes
from gateway_service.entrypoints.app import create_app

ISSUER, AUDIENCE = "urn:test-issuer", "alumni-api"


def board(donors: int, at: str = "2026-06-01T10:00:00Z") -> dict[str, Any]:
    return {"campaign_id": "c1", "currency": "EUR", "computed_at": at,
            "by_participation": [{"program": "MSc", "graduation_year": 2012, "alumni": 10, "donors": donors,
                                  "participation_percent": donors * 10.0, "raised_minor": donors * 5000}]}


class BoardBus:
    """Answers the leaderboard query: the same board (recomputed: a new `computed_at`) for the
    first calls, then one more donor; another tenant's campaign is not found."""

    def __init__(self) -> None:
        self.calls: list[Principal] = []

    async def request(self, subject: str, payload: BaseModel, principal: Principal, correlation_id: str,
                      idempotency_key: str | None = None) -> Reply:
        assert subject == "qry.fundraising.campaign_leaderboard"
        if principal.tenant != "demo":
            return Reply(ok=False, problem=Problem(type=problem_type("campaign-not-found"), title="Campaign not found",
                                                   status=404))
        self.calls.append(principal)
        n = len(self.calls)
        return Reply(ok=True, result=board(3 if n < 4 else 4, at=f"2026-06-01T10:00:{n:02d}Z"))


@pytest.fixture
def issuer(tmp_path: Path) -> DevIssuer:
    return DevIssuer(load_or_create_key(tmp_path / "key.pem"), ISSUER, AUDIENCE)


@pytest.fixture
def bus() -> BoardBus:
    return BoardBus()


@pytest.fixture
def client(issuer: DevIssuer, bus: BoardBus, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(fundraising_routes, "STREAM_SECONDS", 3.0)  # the stream ends by itself in the test
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, tenants=["demo", "other"],
                             public_key=issuer.key.public_key())

    async def bus_factory() -> BoardBus:
        return bus

    app = create_app(bus_factory, verifier)  # type: ignore[arg-type]
    app.state.leaderboard_interval = 0.05
    with TestClient(app) as c:
        yield c


def auth(issuer: DevIssuer, roles: str = "manager", tenant: str = "demo") -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.issue(tenant, 'u1', roles.split(','), None)}"}


def events(body: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for block in body.split("\n\n"):
        lines = block.split("\n")
        name = next((ln[7:] for ln in lines if ln.startswith("event: ")), None)
        data = next((ln[6:] for ln in lines if ln.startswith("data: ")), None)
        if name and data:
            found.append((name, json.loads(data)))
    return found


def test_the_stream_sends_the_board_then_only_changed_boards(client: TestClient, issuer: DevIssuer,
                                                           bus: BoardBus) -> None:
    r = client.get("/api/v1/campaigns/c1/leaderboard/stream", headers=auth(issuer, "alumnus"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["cache-control"] == "no-store"
    sent = events(r.text)
    # The board at once (3 donors); recomputed boards that did not change are not sent; the
    # change (4 donors) is; the stream ends with `end` (the console reconnects).
    assert [name for name, _ in sent] == ["leaderboard", "leaderboard", "end"]
    assert [b["by_participation"][0]["donors"] for _, b in sent[:2]] == [3, 4]
    assert r.text.startswith("retry: 3000\n") and len(bus.calls) > 4
    assert client.app.state.leaderboards.feeds == 0  # type: ignore[attr-defined]  # freed with its last stream


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}])
def test_the_stream_needs_a_valid_token(client: TestClient, headers: dict[str, str]) -> None:
    r = client.get("/api/v1/campaigns/c1/leaderboard/stream", headers=headers)
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"


def test_another_tenants_campaign_is_refused_before_the_stream_opens(client: TestClient, issuer: DevIssuer) -> None:
    r = client.get("/api/v1/campaigns/c1/leaderboard/stream", headers=auth(issuer, tenant="other"))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    bad = client.get("/api/v1/campaigns/not%20an%20id/leaderboard/stream", headers=auth(issuer))
    assert bad.status_code == 422


async def test_one_feed_per_tenant_and_campaign_whatever_the_number_of_streams() -> None:
    calls: list[tuple[str, str]] = []
    changed = asyncio.Event()

    async def fetch(principal: Principal, campaign_id: str) -> dict[str, Any]:
        calls.append((principal.tenant, campaign_id))
        if len(calls) >= 3:
            changed.set()
            return board(5)
        return board(3)

    hub = LeaderboardHub(fetch, interval=0.01)
    viewer = Principal(tenant="demo", subject="u", roles=frozenset())
    other = Principal(tenant="other", subject="u", roles=frozenset())
    async with hub.subscribe(viewer, "c1", board(3)) as a, hub.subscribe(viewer, "c1", board(3)) as b, \
            hub.subscribe(other, "c1", board(3)) as c:
        assert hub.feeds == 2 and hub.subscribers("demo", "c1") == 2
        await asyncio.wait_for(changed.wait(), 10)
        got = [await asyncio.wait_for(q.get(), 10) for q in (a, b, c)]
        assert [g["by_participation"][0]["donors"] for g in got] == [5, 5, 5]
        # A late subscriber whose first board is older gets the feed's newer one at once.
        async with hub.subscribe(viewer, "c1", board(3)) as late:
            assert (await asyncio.wait_for(late.get(), 10))["by_participation"][0]["donors"] == 5
    assert hub.feeds == 0
    assert set(calls) == {("demo", "c1"), ("other", "c1")}


def test_open_streams_do_not_hold_the_gateways_shutdown() -> None:
    from gateway_service.__main__ import uvicorn_options
    from gateway_service.config import GatewaySettings
    assert 0 < uvicorn_options(GatewaySettings())["timeout_graceful_shutdown"] <= 10
