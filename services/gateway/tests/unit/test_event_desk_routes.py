"""Gateway event-desk routes: check-in 201/200, problems pass through, staff only, bad bodies,
calendar files and the ticket with their media types, the public calendar feed without login."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from pydantic import BaseModel

from alumni_contracts.rpc import Principal, Problem, Reply, Role, problem_type
from gateway_service.adapters.auth import DevIssuer

from .test_api import auth, bus, client, issuer  # noqa: F401 — the fixtures

CHECKED = {"status": "checked_in", "registration_id": "r1", "member_id": "m1", "name": "Zoé Martin", "guests": 1,
           "checked_in_at": "2027-03-27T18:05:00Z"}
ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


class ScriptedBus:
    def __init__(self, replies: dict[str, Reply]) -> None:
        self.replies = replies
        self.calls: list[tuple[str, dict[str, Any], Principal]] = []

    async def request(self, subject: str, payload: BaseModel, principal: Principal, correlation_id: str,
                      idempotency_key: str | None = None) -> Reply:
        self.calls.append((subject, payload.model_dump(mode="json"), principal))
        return self.replies[subject]


def test_check_in_first_then_second(client: TestClient, issuer: DevIssuer, bus: Any) -> None:  # noqa: F811
    scripted = ScriptedBus({"cmd.events.check_in_attendee": Reply(ok=True, result=CHECKED)})
    bus.request = scripted.request
    r = client.post("/api/v1/events/ev1/check-ins", json={"code": "7k2m q9xd 4htr w1nb c8pa"}, headers=auth(issuer))
    assert r.status_code == 201 and r.json()["name"] == "Zoé Martin"
    assert scripted.calls[0][1] == {"event_id": "ev1", "code": "7k2m q9xd 4htr w1nb c8pa", "member_id": None}
    scripted.replies["cmd.events.check_in_attendee"] = Reply(ok=True, result={**CHECKED, "status": "already_checked_in"})
    r = client.post("/api/v1/events/ev1/check-ins", json={"member_id": "m1"}, headers=auth(issuer))
    assert r.status_code == 200 and r.json()["status"] == "already_checked_in"


def test_check_in_refusals(client: TestClient, issuer: DevIssuer, bus: Any) -> None:  # noqa: F811
    r = client.post("/api/v1/events/ev1/check-ins", json={"code": "ABCD-EFGH-JKMN-PQRS-TVWX"},
                    headers=auth(issuer, "alumnus", member_id="m1"))
    assert r.status_code == 403 and bus.calls == []
    for body in ({}, {"code": "ABCD-EFGH-JKMN-PQRS-TVWX", "member_id": "m1"}, {"code": "<script>"},
                 {"code": "ABCD-EFGH-JKMN-PQRS-TVWX", "status": "attended"}):
        r = client.post("/api/v1/events/ev1/check-ins", json=body, headers=auth(issuer))
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")
    assert bus.calls == []
    scripted = ScriptedBus({"cmd.events.check_in_attendee": Reply(ok=False, problem=Problem(
        type=problem_type("not-admissible"), title="Not admissible", status=409,
        detail="this registration is waitlisted, not a confirmed seat"))})
    bus.request = scripted.request
    r = client.post("/api/v1/events/ev1/check-ins", json={"member_id": "m1"}, headers=auth(issuer))
    assert r.status_code == 409 and "waitlisted" in r.json()["detail"]


def test_figures_and_desk_are_staff_only(client: TestClient, issuer: DevIssuer, bus: Any) -> None:  # noqa: F811
    for path in ("/api/v1/events/ev1/figures", "/api/v1/events/ev1/desk?q=mar", "/api/v1/event-figures/cohort-reach"):
        assert client.get(path, headers=auth(issuer, "alumnus", member_id="m1")).status_code == 403
        assert client.get(path).status_code == 401
    assert client.get("/api/v1/event-figures/cohort-reach?months=0", headers=auth(issuer)).status_code == 422
    assert bus.calls == []


def test_calendar_files_and_ticket(client: TestClient, issuer: DevIssuer, bus: Any) -> None:  # noqa: F811
    scripted = ScriptedBus({
        "qry.events.event_calendar": Reply(ok=True, result={"filename": "event-ev1.ics", "ics": ICS}),
        "qry.events.registration_ticket": Reply(ok=True, result={"filename": "ticket-r1.svg", "code": "X",
                                                                  "svg": "<svg/>"})})
    bus.request = scripted.request
    r = client.get("/api/v1/events/ev1/calendar.ics?lang=en", headers=auth(issuer, "alumnus", member_id="m1"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar") and r.text == ICS
    assert 'filename="event-ev1.ics"' in r.headers["content-disposition"] and scripted.calls[0][1]["language"] == "en"
    r = client.get("/api/v1/registrations/r1/ticket.svg", headers=auth(issuer, "alumnus", member_id="m1"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml" and r.text == "<svg/>"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert client.get("/api/v1/events/ev1/calendar.ics?lang=de", headers=auth(issuer)).status_code == 422


def test_calendar_feed_issue_revoke_and_public_read(client: TestClient, issuer: DevIssuer, bus: Any) -> None:  # noqa: F811
    token = "Zq3" + "a" * 40
    scripted = ScriptedBus({
        "cmd.events.issue_calendar_feed": Reply(ok=True, result={"token": token, "path": f"/calendar/{token}.ics"}),
        "cmd.events.revoke_calendar_feed": Reply(ok=True, result={"revoked": True}),
        "qry.events.calendar_feed": Reply(ok=True, result={"filename": "events.ics", "ics": ICS})})
    bus.request = scripted.request
    r = client.post("/api/v1/me/calendar-feed", headers=auth(issuer, "alumnus", member_id="m1"))
    assert r.status_code == 201 and r.json()["url"].endswith(f"/api/v1/public/demo/calendar/{token}.ics")
    r = client.get(f"/api/v1/public/demo/calendar/{token}.ics")  # no login: calendar apps cannot
    assert r.status_code == 200 and r.text == ICS and "inline" in r.headers["content-disposition"]
    subject, payload, who = scripted.calls[-1]
    assert subject == "qry.events.calendar_feed" and payload["token"] == token
    assert who.tenant == "demo" and who.roles == frozenset({Role.PUBLIC})
    assert client.get("/api/v1/public/demo/calendar/short.ics").status_code == 422
    assert client.delete("/api/v1/me/calendar-feed", headers=auth(issuer, "alumnus", member_id="m1")).status_code == 204
