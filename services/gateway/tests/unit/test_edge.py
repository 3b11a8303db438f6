"""The edge of the gateway: body limits enforced while the body streams, authentication
before the body is read, malformed token claims, bounded correlation ids, security headers,
and unhandled errors answered and logged as problems with their correlation id."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient
from nats.errors import MaxPayloadError

from alumni_contracts.rpc import Principal, Reply, Role, problem_type
from gateway_service.adapters.auth import DevIssuer, TokenVerifier, load_or_create_key
from gateway_service.adapters.bus import NatsBus
from gateway_service.entrypoints.app import create_app
from servicekit.logging import configure_logging

from .test_api import AUDIENCE, ISSUER, MEMBER, FakeBus, auth

PROBLEM = "application/problem+json"


async def call(app: FastAPI, method: str, path: str, headers: dict[str, str],
               chunks: list[bytes]) -> tuple[int, dict[str, str], bytes, int]:
    """One request straight through ASGI; returns status, headers, body and how many body
    chunks the app pulled (so a test sees whether the body was read at all)."""
    pulled = 0
    pending = list(chunks)

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if not pending:
            return {"type": "http.disconnect"}
        pulled += 1
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "path": path,
             "raw_path": path.encode(), "root_path": "", "scheme": "http", "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("10.1.2.3", 1234), "server": ("gw", 80)}
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body, pulled


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> DevIssuer:
    return DevIssuer(load_or_create_key(tmp_path_factory.mktemp("issuer") / "key.pem"), ISSUER, AUDIENCE)


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def app(issuer: DevIssuer, bus: FakeBus) -> FastAPI:
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, tenants=["demo", "other"],
                             public_key=issuer.key.public_key())

    async def bus_factory() -> FakeBus:
        return bus

    app = create_app(bus_factory, verifier, max_body_bytes=2048, max_upload_bytes=8192)  # type: ignore[arg-type]
    app.state.bus = bus
    return app


# --- bodies -------------------------------------------------------------------------------------

async def test_a_chunked_body_is_cut_off_as_soon_as_it_passes_the_limit(app: FastAPI, issuer: DevIssuer,
                                                                        bus: FakeBus) -> None:
    status, headers, body, pulled = await call(app, "POST", "/api/v1/members", auth(issuer), [b"x" * 1000] * 1000)
    assert status == 413 and headers["content-type"] == PROBLEM and json.loads(body)["status"] == 413
    assert pulled == 3, "stopped at the first chunk over 2048 bytes, not after a megabyte"
    assert bus.calls == []


async def test_a_lying_content_length_does_not_get_past_the_limit(app: FastAPI, issuer: DevIssuer,
                                                                  bus: FakeBus) -> None:
    headers = {**auth(issuer), "content-length": "10", "content-type": "application/json"}
    status, _, _, pulled = await call(app, "POST", "/api/v1/members", headers, [b" " * 1500] * 100)
    assert status == 413 and pulled == 2 and bus.calls == []


async def test_uploads_have_their_own_larger_limit_while_streaming(app: FastAPI, issuer: DevIssuer) -> None:
    status, _, _, pulled = await call(app, "POST", "/api/v1/imports", auth(issuer), [b"a;b\n" * 250] * 100)
    assert status == 413 and pulled == 9, "8192 bytes: the ninth 1000-byte chunk passes it"


@pytest.mark.parametrize("authorization", [None, "Bearer junk", "Basic eDp5"])
async def test_without_a_valid_token_the_body_is_never_read(app: FastAPI, authorization: str | None) -> None:
    headers = {"authorization": authorization} if authorization else {}
    status, response_headers, body, pulled = await call(app, "POST", "/api/v1/members", headers,
                                                        [b"x" * 1000] * 1000)
    assert status == 401 and response_headers["www-authenticate"] == "Bearer" and pulled == 0
    assert json.loads(body)["type"] == problem_type("unauthenticated")


async def test_public_and_unknown_routes_need_no_token(app: FastAPI, bus: FakeBus) -> None:
    bus.reply = Reply(ok=True, result={"items": []})
    assert (await call(app, "GET", "/api/v1/public/demo/showcase", {}, []))[0] == 200
    assert (await call(app, "GET", "/nothing-here", {}, []))[0] == 404
    assert (await call(app, "GET", "/api/v1/openapi.json", {}, []))[0] == 200


class FullNats:
    """A NATS client refusing the message as larger than the server's max_payload."""

    async def request(self, *_: Any, **__: Any) -> Any:
        raise MaxPayloadError


async def test_a_request_over_the_bus_payload_limit_is_413() -> None:
    who = Principal(tenant="demo", subject="u1", roles=frozenset({Role.MANAGER}))
    reply = await NatsBus(FullNats(), timeout=1).request("cmd.members.x", who, who, "c1")  # type: ignore[arg-type]
    assert reply.problem is not None and reply.problem.status == 413


def test_a_bus_payload_limit_reaches_the_client_as_413(client: TestClient, issuer: DevIssuer,
                                                       bus: FakeBus) -> None:
    bus.request = NatsBus(FullNats(), timeout=1).request  # type: ignore[arg-type,method-assign]
    r = client.post("/api/v1/members", json=MEMBER, headers=auth(issuer))
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM


# --- malformed claims ---------------------------------------------------------------------------

@pytest.mark.parametrize("odd", [
    {"tenant": ["demo"]}, {"tenant": {}}, {"tenant": None}, {"tenant": 5},
    {"roles": 5}, {"roles": "manager"}, {"roles": {"manager": True}}, {"roles": ["manager", 5]},
    {"sub": 5}, {"sub": ["u1"]}, {"sub": {}},
    {"member_id": {}}, {"member_id": ["m1"]}, {"member_id": 7},
    {"exp": str(int(time.time()) + 3600)}, {"iat": str(int(time.time()))}, {"nbf": "0"},
])
def test_signed_tokens_with_malformed_claims_are_401_problems(client: TestClient, issuer: DevIssuer,
                                                              bus: FakeBus, odd: dict[str, Any]) -> None:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u1", "iat": now, "exp": now + 60, "tenant": "demo",
              "roles": ["manager"], **odd}
    token = jwt.encode(claims, issuer.key, algorithm="RS256")
    r = client.get("/api/v1/members/m1", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM, odd
    assert r.json()["type"] == problem_type("unauthenticated") and bus.calls == []


# --- headers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("sent", ["x" * 2000, "x" * 65, "héllo", "a b", "a\tb", "", "ok/../x", "😀"])
def test_odd_correlation_ids_are_replaced(client: TestClient, issuer: DevIssuer, bus: FakeBus, sent: str) -> None:
    r = client.post("/api/v1/members", json=MEMBER,
                    headers={**auth(issuer), "X-Correlation-Id": sent.encode()})  # type: ignore[dict-item]
    forwarded = bus.calls[0]["correlation_id"]
    assert forwarded != sent and r.headers["X-Correlation-Id"] == forwarded and len(forwarded) <= 64


def test_a_bounded_correlation_id_is_kept(client: TestClient, issuer: DevIssuer, bus: FakeBus) -> None:
    sent = "Abc-123_x.y" + "z" * 53
    r = client.post("/api/v1/members", json=MEMBER, headers={**auth(issuer), "X-Correlation-Id": sent})
    assert r.headers["X-Correlation-Id"] == sent and bus.calls[0]["correlation_id"] == sent


def test_security_headers(client: TestClient, issuer: DevIssuer) -> None:
    personal = [client.get("/api/v1/members/m1", headers=auth(issuer)), client.get("/api/v1/members/m1"),
                client.get("/api/v1/members/m1/export", headers=auth(issuer))]
    for r in personal:
        assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Cache-Control"] == "no-store"
    public = client.get("/api/v1/public/demo/showcase")
    assert public.headers["X-Content-Type-Options"] == "nosniff" and "no-store" not in public.headers.get(
        "Cache-Control", "")
    for path in ("/health", "/console", "/api/v1/openapi.json", "/nowhere"):
        assert client.get(path).headers["X-Content-Type-Options"] == "nosniff", path
    assert "server" not in {k.lower() for k in client.get("/health").headers}


def test_another_principal_with_the_same_key_is_forwarded_as_itself(client: TestClient, issuer: DevIssuer,
                                                                    bus: FakeBus) -> None:
    """The gateway sends each verified principal with the key: the service scopes keys by it."""
    for subject in ("alice", "bob"):
        client.post("/api/v1/me/erasure", headers={**auth(issuer, "alumnus", subject=subject, member_id=subject),
                                                   "Idempotency-Key": "same"})
    assert [(c["principal"].subject, c["idempotency_key"]) for c in bus.calls] == [("alice", "same"), ("bob", "same")]


# --- unhandled errors ---------------------------------------------------------------------------

@pytest.fixture
def json_logs() -> Iterator[Any]:
    configure_logging("INFO", "json", service="gateway")
    buffer = io.StringIO()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=buffer))

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield lines
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def test_an_unhandled_error_in_a_route_is_a_problem_and_a_json_log_line(
        client: TestClient, issuer: DevIssuer, bus: FakeBus, json_logs: Any) -> None:
    async def boom(*_: Any, **__: Any) -> Any:
        raise RuntimeError("boom")

    bus.request = boom  # type: ignore[method-assign]
    r = client.post("/api/v1/members", json=MEMBER, headers={**auth(issuer), "X-Correlation-Id": "corr-1"})
    assert r.status_code == 500 and r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == problem_type("internal") and r.headers["X-Correlation-Id"] == "corr-1"
    [line] = [entry for entry in json_logs() if entry.get("level") == "error"]
    assert line["correlation_id"] == "corr-1" and "RuntimeError: boom" in line["exception"]


def test_an_error_inside_the_edge_is_a_problem_too(issuer: DevIssuer, json_logs: Any) -> None:
    class BrokenVerifier(TokenVerifier):
        def verify(self, authorization: str | None) -> Principal:
            raise KeyError("broken")

    verifier = BrokenVerifier(issuer=ISSUER, audience=AUDIENCE, tenants=["demo"], public_key=issuer.key.public_key())

    async def bus_factory() -> FakeBus:
        return FakeBus()

    with TestClient(create_app(bus_factory, verifier)) as c:  # type: ignore[arg-type]
        r = c.get("/api/v1/groups", headers={**auth(issuer), "X-Correlation-Id": "corr-2"})
    assert r.status_code == 500 and r.headers["content-type"] == PROBLEM
    [line] = [entry for entry in json_logs() if entry.get("level") == "error"]
    assert line["correlation_id"] == "corr-2" and "KeyError" in line["exception"]


# --- OpenAPI ------------------------------------------------------------------------------------

def test_openapi_declares_the_bearer_scheme_and_the_problem_responses(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    [(name, scheme)] = spec["components"]["securitySchemes"].items()
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer" and scheme["bearerFormat"] == "JWT"
    assert "Problem" in spec["components"]["schemas"]
    register = spec["paths"]["/api/v1/members"]["post"]
    assert register["security"] == [{name: []}]
    for code in ("401", "403", "404", "409", "413", "422", "429", "500"):
        content = register["responses"][code]["content"]
        assert content == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}, code
    showcase = spec["paths"]["/api/v1/public/{tenant}/showcase"]["get"]
    assert "security" not in showcase and "401" not in showcase["responses"] and "429" in showcase["responses"]


def test_405_lists_every_method_of_the_resource(client: TestClient, issuer: DevIssuer) -> None:
    r = client.delete("/api/v1/members", headers=auth(issuer))
    assert r.status_code == 405 and r.headers["content-type"] == PROBLEM
    assert r.headers["Allow"] == "GET, POST", "not only the methods of the first route on the path"
