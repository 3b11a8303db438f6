"""The retry policy of the HTTP clients we ship (demo seed, `alumni-import`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from alumni_local.http_retry import AsyncRetryTransport, RetryPolicy, RetryTransport, describe, retry_after

RATE_LIMITED = {"type": "about:blank", "title": "Too many requests", "status": 429, "detail": "retry in 0.0 s"}


def scripted(*responses: httpx.Response | Exception) -> tuple[Callable[[httpx.Request], httpx.Response], list[str]]:
    seen: list[str] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.content.decode()}")
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


async def test_a_429_is_retried_after_the_retry_after_the_gateway_sent() -> None:
    handler, seen = scripted(httpx.Response(429, json=RATE_LIMITED, headers={"Retry-After": "1"}),
                             httpx.Response(429, json=RATE_LIMITED, headers={"Retry-After": "2"}),
                             httpx.Response(201, json={"member_id": "m1"}))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    transport = AsyncRetryTransport(httpx.MockTransport(handler), sleep=sleep)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        r = await client.post("/api/v1/members", json={"n": 1})  # no Idempotency-Key: a 429 did nothing
    assert r.status_code == 201
    assert seen == ['POST {"n":1}'] * 3, "the body is sent again"
    assert 1.0 <= waits[0] <= 1.2 and 2.0 <= waits[1] <= 2.3


def test_503_and_504_back_off_only_when_replaying_is_safe() -> None:
    waits: list[float] = []
    handler, seen = scripted(httpx.Response(504), httpx.Response(503), httpx.Response(200, json={}))
    policy = RetryPolicy(base_seconds=0.5)
    with httpx.Client(transport=RetryTransport(httpx.MockTransport(handler), policy, sleep=waits.append),
                      base_url="http://gw") as client:
        assert client.post("/x", json={}, headers={"Idempotency-Key": "k"}).status_code == 200
    assert len(seen) == 3
    assert 0.4 <= waits[0] <= 0.6 and 0.8 <= waits[1] <= 1.2, "exponential backoff"

    handler, seen = scripted(httpx.Response(504))
    with httpx.Client(transport=RetryTransport(httpx.MockTransport(handler), sleep=waits.append),
                      base_url="http://gw") as client:
        assert client.post("/x", json={}).status_code == 504, "a POST without a key may have been done"
    assert len(seen) == 1


def test_attempts_and_waits_are_bounded() -> None:
    waits: list[float] = []
    handler, seen = scripted(*[httpx.Response(429, headers={"Retry-After": "1"})] * 10)
    policy = RetryPolicy(attempts=4)
    with httpx.Client(transport=RetryTransport(httpx.MockTransport(handler), policy, sleep=waits.append),
                      base_url="http://gw") as client:
        assert client.get("/x").status_code == 429
    assert len(seen) == 4 and len(waits) == 3

    handler, seen = scripted(httpx.Response(429, headers={"Retry-After": "3600"}))
    with httpx.Client(transport=RetryTransport(httpx.MockTransport(handler), sleep=waits.append),
                      base_url="http://gw") as client:
        assert client.get("/x").status_code == 429, "an hour is not waited for: the caller reports it"
    assert len(seen) == 1


def test_a_refused_connection_is_retried_even_for_a_post() -> None:
    waits: list[float] = []
    handler, seen = scripted(httpx.ConnectError("refused"), httpx.Response(201, json={}))
    with httpx.Client(transport=RetryTransport(httpx.MockTransport(handler), sleep=waits.append),
                      base_url="http://gw") as client:
        assert client.post("/x", json={}).status_code == 201
    assert len(seen) == 2
    handler, _ = scripted(httpx.ReadTimeout("slow"))
    with httpx.Client(transport=RetryTransport(httpx.MockTransport(handler), sleep=waits.append),
                      base_url="http://gw") as client, pytest.raises(httpx.ReadTimeout):
        client.post("/x", json={})  # sent, maybe done: not replayed without a key


def test_retry_after_as_seconds_or_date() -> None:
    now = datetime(2026, 12, 2, 8, 0, 0, tzinfo=UTC)
    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    dated = httpx.Response(503, headers={"Retry-After": "Wed, 02 Dec 2026 08:00:05 GMT"})
    assert retry_after(dated, now=lambda: now) == 5.0
    assert retry_after(httpx.Response(503, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(503)) is None


def test_a_429_is_described_by_its_retry_after_never_by_a_rounded_detail() -> None:
    message = describe(httpx.Response(429, json=RATE_LIMITED, headers={"Retry-After": "1"}))
    assert message == "429 Too many requests: Retry-After: 1 s"
    assert "0.0" not in message
    problem = {"title": "Invalid request", "detail": "", "errors": [{"loc": ["body", "email"], "msg": "not an email"}]}
    assert describe(httpx.Response(422, json=problem)) == "422 Invalid request\n  body.email: not an email"
    assert describe(httpx.Response(502, text="bad gateway")) == "502 bad gateway"
