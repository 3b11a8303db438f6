"""Rate limits: token buckets, and the 429 problem the API answers with."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from alumni_contracts.rpc import Reply
from gateway_service.adapters.auth import DevIssuer, TokenVerifier, load_or_create_key
from gateway_service.adapters.rate_limit import RateLimiter
from gateway_service.entrypoints.app import create_app

from .test_api import AUDIENCE, ISSUER, FakeBus, auth


def test_a_burst_then_the_steady_rate_and_clients_are_independent() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=3, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.allow("a") == 1.0, "one token a second: wait a second"
    assert limiter.allow("b") == 0.0, "another client has its own bucket"
    now[0] = 1.0
    assert limiter.allow("a") == 0.0 and limiter.allow("a") > 0
    now[0] = 100.0
    assert [limiter.allow("a") for _ in range(4)][-1] > 0, "refills up to the burst, not beyond"


def test_idle_clients_are_forgotten() -> None:
    limiter = RateLimiter(per_minute=60, burst=1, max_clients=2, clock=lambda: 0.0)
    limiter.allow("a")
    limiter.allow("b")
    limiter.allow("c")  # "a" is evicted, and starts again with a full bucket
    assert limiter.allow("a") == 0.0


def test_public_and_api_routes_answer_429_with_retry_after(tmp_path: Path) -> None:
    issuer = DevIssuer(load_or_create_key(tmp_path / "key.pem"), ISSUER, AUDIENCE)
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, tenants=["demo"], public_key=issuer.key.public_key())
    bus = FakeBus()
    bus.reply = Reply(ok=True, result={"items": []})

    async def bus_factory() -> FakeBus:
        return bus

    app = create_app(bus_factory, verifier, rate_limit_per_minute=20, public_rate_limit_per_minute=4)  # type: ignore[arg-type]
    with TestClient(app) as c:
        statuses = [c.get("/api/v1/public/demo/showcase").status_code for _ in range(2)]
        assert statuses == [200, 429], "public: a burst of a quarter of the minute's allowance"
        limited = c.get("/api/v1/public/demo/showcase")
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["type"].endswith("rate-limited") and int(limited.headers["Retry-After"]) >= 1
        token = auth(issuer)
        assert [c.get("/api/v1/groups", headers=token).status_code for _ in range(3)] == [200, 200, 429]
        other = auth(issuer, "alumnus")
        assert c.get("/api/v1/groups", headers=other).status_code == 200, "another token, another bucket"
        assert c.get("/health").status_code == 200 and c.get("/console").status_code == 200, "not limited"
