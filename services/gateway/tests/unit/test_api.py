"""The gateway's HTTP contract with a fake bus: authentication, validation, problems,
idempotency keys passed through, tenant taken from the token only."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from alumni_contracts.rpc import Principal, Problem, Reply, problem_type
from gateway_service.adapters.auth import DevIssuer, TokenVerifier, load_or_create_key
from gateway_service.entrypoints.app import create_app

ISSUER, AUDIENCE = "urn:test-issuer", "alumni-api"


class FakeBus:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.reply = Reply(ok=True, result={"member_id": "m1"})

    async def request(self, subject: str, payload: BaseModel, principal: Principal, correlation_id: str,
                      idempotency_key: str | None = None) -> Reply:
        self.calls.append({"subject": subject, "payload": payload.model_dump(mode="json"), "principal": principal,
                           "idempotency_key": idempotency_key, "correlation_id": correlation_id})
        return self.reply


@pytest.fixture
def issuer(tmp_path: Path) -> DevIssuer:
    return DevIssuer(load_or_create_key(tmp_path / "key.pem"), ISSUER, AUDIENCE)


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus()


@pytest.fixture
def client(issuer: DevIssuer, bus: FakeBus) -> Iterator[TestClient]:
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, tenants=["demo", "other"],
                             public_key=issuer.key.public_key())

    async def bus_factory() -> FakeBus:
        return bus

    with TestClient(create_app(bus_factory, verifier, max_body_bytes=2048)) as c:  # type: ignore[arg-type]
        yield c


def auth(issuer: DevIssuer, roles: str = "manager", tenant: str = "demo", subject: str = "u1",
         member_id: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.issue(tenant, subject, roles.split(','), member_id)}"}


MEMBER = {"first_name": "Zoé", "last_name": "Martin", "email": "zoe@example.org",
          "cohort": {"program": "MSc", "graduation_year": 2012}}


def test_register_member_forwards_with_principal_and_idempotency_key(client: TestClient, issuer: DevIssuer,
                                                                     bus: FakeBus) -> None:
    r = client.post("/api/v1/members", json=MEMBER, headers={**auth(issuer), "Idempotency-Key": "k-1"})
    assert r.status_code == 201 and r.json() == {"member_id": "m1"}
    assert r.headers["Location"] == "/api/v1/members/m1" and r.headers["X-Correlation-Id"]
    [call] = bus.calls
    assert call["subject"] == "cmd.members.register_member" and call["idempotency_key"] == "k-1"
    assert call["principal"].tenant == "demo" and call["payload"]["locale"] == "fr"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eDp5"}])
def test_missing_or_malformed_token_is_401_problem(client: TestClient, headers: dict[str, str]) -> None:
    r = client.post("/api/v1/members", json=MEMBER, headers=headers)
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == problem_type("unauthenticated") and r.headers["WWW-Authenticate"] == "Bearer"


def test_expired_token_wrong_audience_or_issuer_are_refused(client: TestClient, issuer: DevIssuer) -> None:
    now = int(time.time())
    base = {"sub": "u", "tenant": "demo", "roles": ["manager"], "iat": now}
    for claims in ({**base, "iss": ISSUER, "aud": AUDIENCE, "exp": now - 10},
                   {**base, "iss": ISSUER, "aud": "someone-else", "exp": now + 60},
                   {**base, "iss": "urn:evil", "aud": AUDIENCE, "exp": now + 60}):
        token = jwt.encode(claims, issuer.key, algorithm="RS256")
        r = client.get("/api/v1/members/m1", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, claims


def test_token_signed_by_another_key_is_refused(client: TestClient, tmp_path: Path) -> None:
    stranger = DevIssuer(load_or_create_key(tmp_path / "other.pem"), ISSUER, AUDIENCE)
    assert client.get("/api/v1/members/m1", headers=auth(stranger)).status_code == 401


def test_unknown_tenant_is_403(client: TestClient, issuer: DevIssuer, bus: FakeBus) -> None:
    r = client.post("/api/v1/members", json=MEMBER, headers=auth(issuer, tenant="unknown"))
    assert r.status_code == 403 and bus.calls == []


@pytest.mark.parametrize("body", [
    {**MEMBER, "tenant": "other"},                         # mass assignment
    {**MEMBER, "email": {"$ne": None}},                    # operator injection
    {**MEMBER, "cohort": {"program": "MSc", "graduation_year": "soon"}},
    {k: v for k, v in MEMBER.items() if k != "email"},
])
def test_invalid_bodies_get_field_level_422_and_reach_no_service(client: TestClient, issuer: DevIssuer, bus: FakeBus,
                                                                 body: dict[str, Any]) -> None:
    r = client.post("/api/v1/members", json=body, headers=auth(issuer))
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"] and all(e["loc"][0] == "body" for e in r.json()["errors"])
    assert bus.calls == []


@pytest.mark.parametrize(("first_name", "kind"), [
    ("Zo\u0000é", "text_control_character"),
    ("\u202eeciloA", "text_bidi_control"),
    ("\u200b\u200b", "text_invisible"),
    ("\ufeff", "text_invisible"),
])
def test_hostile_names_get_a_422_naming_the_field(client: TestClient, issuer: DevIssuer, bus: FakeBus,
                                                  first_name: str, kind: str) -> None:
    r = client.post("/api/v1/members", json={**MEMBER, "first_name": first_name}, headers=auth(issuer))
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"] == problem_type("validation")
    [error] = problem["errors"]
    assert error["loc"] == ["body", "first_name"] and error["type"] == kind
    assert error["msg"].startswith("Text must") and problem["detail"].startswith("1 invalid field(s): first_name: Text")
    assert first_name not in r.text and "input" not in error  # the refused text is not echoed back
    assert bus.calls == []


@pytest.mark.parametrize(("path", "body", "loc"), [
    ("/api/v1/members", {**MEMBER, "cohort": {"program": "MSc", "graduation_year": 2012, "listed": True}},
     ["body", "cohort", "listed"]),
    ("/api/v1/donations", {"member_id": "m1", "amount": {"minor_units": 500, "currency": "EUR", "refunded": True}},
     ["body", "amount", "refunded"]),
    ("/api/v1/members/m1/ambassador", {"cohorts": [{"program": "MSc", "graduation_year": 2012, "x": 1}]},
     ["body", "cohorts", 0, "x"]),
])
def test_unknown_nested_fields_get_a_422(client: TestClient, issuer: DevIssuer, bus: FakeBus, path: str,
                                         body: dict[str, Any], loc: list[str | int]) -> None:
    send = client.put if path.endswith("/ambassador") else client.post
    r = send(path, json=body, headers=auth(issuer))
    assert r.status_code == 422
    [error] = r.json()["errors"]
    assert error["loc"] == loc and error["type"] == "extra_forbidden"
    assert bus.calls == []


def test_names_reach_the_service_in_nfc_and_stripped(client: TestClient, issuer: DevIssuer, bus: FakeBus) -> None:
    r = client.post("/api/v1/members", headers=auth(issuer),
                    json={**MEMBER, "first_name": " \ufeffZoe\u0308 ", "last_name": "O’Brien"})
    assert r.status_code == 201
    payload = bus.calls[-1]["payload"]
    assert payload["first_name"] == "Zo\u00eb" and payload["last_name"] == "O’Brien"


def test_oversized_body_is_413(client: TestClient, issuer: DevIssuer, bus: FakeBus) -> None:
    r = client.post("/api/v1/members", json={**MEMBER, "first_name": "x" * 5000}, headers=auth(issuer))
    assert r.status_code == 413 and bus.calls == []


def test_service_problems_pass_through_unchanged(client: TestClient, issuer: DevIssuer, bus: FakeBus) -> None:
    bus.reply = Reply.failure(Problem(type=problem_type("email-already-registered"), title="Email already registered",
                                      status=409, detail="zoe@example.org is already registered as member m0"))
    r = client.post("/api/v1/members", json=MEMBER, headers=auth(issuer))
    assert r.status_code == 409 and r.json()["detail"].endswith("member m0")


def test_path_ids_are_validated(client: TestClient, issuer: DevIssuer, bus: FakeBus) -> None:
    assert client.get("/api/v1/members/$where", headers=auth(issuer)).status_code == 422
    assert bus.calls == []


def test_events_and_donations_routes(client: TestClient, issuer: DevIssuer, bus: FakeBus) -> None:
    bus.reply = Reply(ok=True, result={"event_id": "e1"})
    r = client.post("/api/v1/events", headers=auth(issuer), json={
        "title": "Gala", "starts_at": "2027-06-01T19:00:00+02:00", "ends_at": "2027-06-01T18:00:00+02:00",
        "venue": "Campus", "capacity": 10})
    assert r.status_code == 422, "ends before it starts"
    bus.reply = Reply(ok=True, result={"donation_id": "d1"})
    r = client.post("/api/v1/donations", headers=auth(issuer), json={
        "member_id": "m1", "amount": {"minor_units": 5000, "currency": "EUR"}})
    assert r.status_code == 201 and bus.calls[-1]["subject"] == "cmd.fundraising.record_donation"
    r = client.post("/api/v1/donations", headers=auth(issuer), json={
        "member_id": "m1", "amount": {"minor_units": 50.5, "currency": "euro"}})
    assert r.status_code == 422, "money is integer minor units and an ISO code"


def test_openapi_and_console_are_served(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/members", "/api/v1/members/{member_id}", "/api/v1/events", "/api/v1/donations"} <= set(spec["paths"])
    assert "Console alumni" in client.get("/console").text
    assert client.get("/health").status_code == 200


def test_console_is_static_files_under_a_csp_without_inline_script(client: TestClient) -> None:
    page = client.get("/console")
    csp = page.headers["Content-Security-Policy"]
    directives = dict(d.strip().partition(" ")[::2] for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'" and "unsafe" not in csp
    assert directives["require-trusted-types-for"] == "'script'" and directives["trusted-types"] == "'none'"
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["Referrer-Policy"] == "no-referrer"
    html = page.text
    assert '<script src="/console.js"' in html and '<link rel="stylesheet" href="/console.css">' in html
    assert "<style" not in html and "style=" not in html, "no inline style"
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
    assert len(scripts) == html.count("<script") and all(body == "" for body in scripts), "no inline script"
    assert re.findall(r'<script src="([^"]+)" defer>', html) == ["/console.js", "/outcomes.js"]
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", html), "no inline event handler"
    script, style = client.get("/console.js"), client.get("/console.css")
    assert script.headers["content-type"].startswith("text/javascript") and "Content-Security-Policy" in script.headers
    assert style.headers["content-type"].startswith("text/css")
    # Spelled in pieces so that a grep for these sinks over the repository finds only real uses.
    sinks = [a + b for a, b in (("inner", "HTML"), ("outer", "HTML"), ("insertAdjacent", "HTML"), ("document.", "write"),
                                ("eval", "("), ("localStorage.", "setItem"))]
    for markup_sink in sinks:
        assert markup_sink not in script.text, markup_sink
    for extra in ("/outcomes.js", "/survey.js"):  # the outcomes panel, the public answering page
        served = client.get(extra)
        assert served.headers["content-type"].startswith("text/javascript") and "Content-Security-Policy" in served.headers
        assert not [sink for sink in sinks if sink in served.text], extra
    survey = client.get("/survey")
    assert survey.headers["Content-Security-Policy"] == page.headers["Content-Security-Policy"]
    assert re.findall(r"<script[^>]*>", survey.text) == ['<script src="/survey.js" defer>']
    assert "style=" not in survey.text and not re.search(r"<[^>]*\son[a-z]+\s*=", survey.text)


def test_member_list_passes_search_order_and_cursor(client: TestClient, issuer: DevIssuer, bus: FakeBus) -> None:
    bus.reply = Reply(ok=True, result={"items": [], "next_cursor": None})
    r = client.get("/api/v1/members", headers=auth(issuer),
                   params={"q": "Béa", "order": "newest", "after": "m-9", "limit": 20})
    assert r.status_code == 200, r.text
    call = bus.calls[-1]
    assert call["subject"] == "qry.members.list_members"
    assert call["payload"] == {"limit": 20, "after": "m-9", "q": "Béa", "order": "newest"}
    client.get("/api/v1/members", headers=auth(issuer))
    assert bus.calls[-1]["payload"] == {"limit": 50, "after": None, "q": None, "order": "oldest"}
    assert client.get("/api/v1/members", headers=auth(issuer), params={"order": "name"}).status_code == 422
    assert client.get("/api/v1/members", headers=auth(issuer), params={"q": "x" * 101}).status_code == 422


class ImportBus(FakeBus):
    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, bytes] = {}

    async def put_file(self, name: str, data: bytes) -> None:
        self.files[name] = data


def test_upload_streams_into_the_object_store_then_opens_the_import(issuer: DevIssuer) -> None:
    bus = ImportBus()
    bus.reply = Reply(ok=True, result={"import_id": "i1"})
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, tenants=["demo"], public_key=issuer.key.public_key())

    async def bus_factory() -> ImportBus:
        return bus

    app = create_app(bus_factory, verifier, max_body_bytes=64, max_upload_bytes=1000)  # type: ignore[arg-type]
    with TestClient(app) as c:
        csv = b"first_name;last_name\n" + b"A;B\n" * 50
        r = c.post("/api/v1/imports", content=csv, params={"filename": "x.csv", "delimiter": ";"},
                   headers=auth(issuer))
        assert r.status_code == 201 and r.headers["Location"] == "/api/v1/imports/i1"
        [(name, data)] = bus.files.items()
        assert name.startswith("demo.") and data == csv, "larger than the ordinary body limit, within the upload one"
        [call] = bus.calls
        assert call["subject"] == "cmd.members.create_import" and call["payload"]["delimiter"] == ";"
        assert call["payload"]["object_name"] == name and call["payload"]["size"] == len(csv)

        too_big = c.post("/api/v1/imports", content=b"x" * 1001, headers=auth(issuer))
        assert too_big.status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is counted as the body comes
            for _ in range(20):
                yield b"y" * 100

        assert c.post("/api/v1/imports", content=chunks(), headers=auth(issuer)).status_code == 413
        assert c.post("/api/v1/imports", content=b"a;b\n", headers=auth(issuer, "alumnus")).status_code == 403
        assert c.post("/api/v1/imports", content=b"a;b\n", params={"delimiter": "|"},
                      headers=auth(issuer)).status_code == 422
        hostile = c.post("/api/v1/imports", content=b"a;b\n", params={"filename": "\u202evsc.exe"},
                         headers=auth(issuer))
        assert hostile.status_code == 422 and hostile.json()["errors"][0]["type"] == "text_bidi_control"
        assert len(bus.files) == 1, "nothing stored for refused uploads"


def test_export_asks_every_data_holder_and_fails_rather_than_return_a_partial_export(
        client: TestClient, issuer: DevIssuer, bus: FakeBus) -> None:
    bus.reply = Reply(ok=True, result={"service": "x", "records": {}})
    r = client.get("/api/v1/members/m1/export", headers=auth(issuer))
    assert r.status_code == 200
    assert sorted(c["subject"] for c in bus.calls) == [f"qry.{s}.export_member_data" for s in
                                                      ("community", "events", "fundraising", "members", "notifications")]
    bus.reply = Reply(ok=False, problem=Problem(type=problem_type("unavailable"), title="Service unavailable",
                                                status=503))
    assert client.get("/api/v1/members/m1/export", headers=auth(issuer)).status_code == 503


class RejectedRowsBus(FakeBus):
    """Answers the import and two pages of its rows with errors."""

    async def request(self, subject: str, payload: BaseModel, principal: Principal, correlation_id: str,
                      idempotency_key: str | None = None) -> Reply:
        await super().request(subject, payload, principal, correlation_id, idempotency_key)
        if subject == "qry.members.get_import":
            return Reply(ok=True, result={"import_id": "i1", "filename": "registre (2).csv",
                                          "columns": ["Nom", "Prénom", "Téléphone", "Erreur · Error"]})
        after = payload.model_dump()["after_line"]
        pages = {0: {"items": [{"line": 3, "cells": ["=1+2", "Zoé", "+33 6", "old error"],
                                "errors": ["program: starts with '='", "email: not valid"]}], "next_after_line": 3},
                 3: {"items": [{"line": 9, "cells": ["Martin"], "errors": ["x"]},
                               {"line": 10, "cells": ["A", "B", "C", "old", "extra"], "errors": ["y"]}],
                     "next_after_line": None}}
        return Reply(ok=True, result=pages[after])


def test_rejected_rows_download_as_a_csv_french_excel_opens_with_formulas_neutralised(issuer: DevIssuer) -> None:
    bus = RejectedRowsBus()
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, tenants=["demo"], public_key=issuer.key.public_key())

    async def bus_factory() -> RejectedRowsBus:
        return bus

    with TestClient(create_app(bus_factory, verifier)) as c:  # type: ignore[arg-type]
        assert c.get("/api/v1/imports/i1/rejected.csv", headers=auth(issuer, "alumnus")).status_code == 403
        r = c.get("/api/v1/imports/i1/rejected.csv", headers=auth(issuer))
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert r.headers["content-disposition"] == 'attachment; filename="registre_2_-rejected.csv"'
    assert r.content.decode("utf-8").split("\r\n") == [
        "\ufeffNom;Prénom;Téléphone;Erreur · Error",  # a rejected-rows file imported again: one error column
        "'=1+2;Zoé;'+33 6;\"program: starts with '='; email: not valid\"",  # quoted: it holds a ;
        "Martin;;;x",  # short rows padded: the error stays under its header
        "A;B;C;y;extra",  # cells beyond the header kept, after the error
        ""]
    queries = [call["payload"] for call in bus.calls if call["subject"] == "qry.members.import_rows"]
    assert [(q["status"], q["after_line"]) for q in queries] == [("error", 0), ("error", 3)]


def test_dev_mailbox_passes_its_window_to_the_sink(issuer: DevIssuer, bus: FakeBus,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def sink(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"count": 3, "messages": [{"id": 3}]})

    real_client = httpx.AsyncClient
    monkeypatch.setattr(httpx, "AsyncClient",
                        lambda **kw: real_client(transport=httpx.MockTransport(sink), **kw))
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, tenants=["demo"], public_key=issuer.key.public_key())

    async def bus_factory() -> FakeBus:
        return bus

    app = create_app(bus_factory, verifier, dev_mailbox_url="http://sink.invalid/messages")  # type: ignore[arg-type]
    with TestClient(app) as client:
        r = client.get("/api/v1/dev/mailbox", headers=auth(issuer), params={"after": 2, "limit": 50})
        assert r.status_code == 200 and r.json()["messages"] == [{"id": 3}]
        assert dict(seen[-1].url.params) == {"after": "2", "limit": "50"}
        client.get("/api/v1/dev/mailbox", headers=auth(issuer))
        assert not seen[-1].url.params, "no window: everything, as before"
        assert client.get("/api/v1/dev/mailbox", headers=auth(issuer), params={"limit": 0}).status_code == 422
        assert client.get("/api/v1/dev/mailbox", headers=auth(issuer, roles="alumnus")).status_code == 403
