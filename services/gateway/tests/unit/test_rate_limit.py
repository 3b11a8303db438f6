"""Rate limits: token buckets, and the 429 problem the API answers with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from alumni_contracts.rpc import Reply
from gateway_service.__main__ import uvicorn_options
from gateway_service.adapters.auth import DevIssuer, TokenVerifier, load_or_create_key
from gateway_service.adapters.rate_limit import RateLimiter
from gateway_service.config import GatewaySettings
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
        assert c.get("/api/v1/groups", headers=auth(issuer)).status_code == 429, "a new token of the same subject"
        other = auth(issuer, "alumnus", subject="u2")
        assert c.get("/api/v1/groups", headers=other).status_code == 200, "another subject, another bucket"
        assert c.get("/health").status_code == 200 and c.get("/console").status_code == 200, "not limited"


@pytest.mark.parametrize("wait", [0.001, 0.04, 0.96, 1.2])
def test_a_short_wait_is_announced_as_whole_seconds_never_as_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 wait: float) -> None:
    """A busy bucket can be a few milliseconds from its next token: the problem's text and
    `Retry-After` say the same whole number of seconds, at least 1 — never "retry in 0.0 s"."""
    monkeypatch.setattr(RateLimiter, "allow", lambda self, client: wait)
    _, client = _limited_app(tmp_path, public_rate_limit_per_minute=4)
    with client as c:
        r = c.get("/api/v1/public/demo/showcase")
    expected = 1 if wait <= 1 else 2
    assert r.status_code == 429 and r.headers["Retry-After"] == str(expected)
    assert r.json()["detail"] == f"retry in {expected} s"


def _limited_app(tmp_path: Path, **options: Any) -> tuple[DevIssuer, TestClient]:
    issuer = DevIssuer(load_or_create_key(tmp_path / "key.pem"), ISSUER, AUDIENCE)
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, tenants=["demo"], public_key=issuer.key.public_key())
    bus = FakeBus()
    bus.reply = Reply(ok=True, result={"items": []})

    async def bus_factory() -> FakeBus:
        return bus

    return issuer, TestClient(create_app(bus_factory, verifier, **options))  # type: ignore[arg-type]


def test_junk_tokens_share_the_bucket_of_their_address(tmp_path: Path) -> None:
    """A new invalid token per request is not a new client: invalid or absent tokens are keyed
    by address, so the flood is limited (and a verified client elsewhere is not)."""
    issuer, client = _limited_app(tmp_path, rate_limit_per_minute=20)
    with client as c:
        statuses = [c.get("/api/v1/groups", headers={"Authorization": f"Bearer junk-{i}"}).status_code
                    for i in range(4)]
        assert statuses == [401, 401, 429, 429]
        assert c.get("/api/v1/groups").status_code == 429, "no token: the same address bucket"
        assert c.get("/api/v1/groups", headers=auth(issuer)).status_code == 200, "a verified token has its own"


def test_exempt_subjects_skip_the_api_limit_only_with_a_verified_token(tmp_path: Path) -> None:
    issuer, client = _limited_app(tmp_path, rate_limit_per_minute=20, rate_limit_exempt_subjects=["local-seed"])
    with client as c:
        seed = auth(issuer, subject="local-seed")
        assert {c.get("/api/v1/groups", headers=seed).status_code for _ in range(10)} == {200}
        assert [c.get("/api/v1/groups", headers=auth(issuer)).status_code for _ in range(3)] == [200, 200, 429]


def test_settings_read_exempt_subjects_and_trusted_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_RATE_LIMIT_EXEMPT_SUBJECTS", '["local-seed"]')
    settings = GatewaySettings()
    assert settings.rate_limit_exempt_subjects == ["local-seed"] and settings.trusted_proxies == []
    options = uvicorn_options(settings)
    assert options["server_header"] is False and options["proxy_headers"] is False, "X-Forwarded-For ignored"
    assert not _has_proxy_headers_middleware(options), "not even from 127.0.0.1 (uvicorn's own default)"
    monkeypatch.setenv("GATEWAY_TRUSTED_PROXIES", '["10.0.0.0/8"]')
    options = uvicorn_options(GatewaySettings())
    assert options["proxy_headers"] is True and options["forwarded_allow_ips"] == ["10.0.0.0/8"]
    assert _has_proxy_headers_middleware(options)


def _has_proxy_headers_middleware(options: dict[str, Any]) -> bool:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    config = uvicorn.Config(app, **options)
    config.load()
    layer: Any = config.loaded_app
    while layer is not None:
        if isinstance(layer, ProxyHeadersMiddleware):
            return True
        layer = getattr(layer, "app", None)
    return False
