"""Partner webhooks through the gateway and the running platform: a partner registers its
endpoint, receives signed CloudEvents (verified with the Standard Webhooks reference code),
survives a 500 storm, reads its delivery log and replays; bad input and other callers get
clear problems."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from alumni_local.runner import Platform

pytestmark = pytest.mark.e2e
HOOKS = "/api/v1/partner/webhooks"
GROUP = "org.alumni.members.group_created.v1"


@dataclass
class Receiver:
    """A partner endpoint on loopback (the platform runs with the loopback test setting): it
    answers 500 `storm` times first, then verifies each delivery's signature."""

    secret: str = ""
    storm: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def ids(self) -> list[str]:
        with self.lock:
            return [r["headers"]["webhook-id"] for r in self.received]

    def wait_for(self, count: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while len(self.ids()) < count:
            assert time.monotonic() < deadline, f"{len(self.ids())}/{count} deliveries"
            time.sleep(0.1)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with state.lock:
                state.attempts += 1
                if state.storm > 0:
                    state.storm -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
            try:
                Webhook(state.secret).verify(body, dict(self.headers.items()))
            except Exception:  # noqa: BLE001 - any verification failure is a 401
                self.send_response(401)
                self.end_headers()
                return
            with state.lock:
                state.received.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                       "body": json.loads(body)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def client(platform: Platform, roles: str, subject: str, tenant: str = "demo") -> httpx.Client:
    token = platform.issue_token(roles, tenant=tenant, subject=subject)
    return httpx.Client(base_url=platform.gateway_url, timeout=15, headers={"Authorization": f"Bearer {token}"})


def create_group(platform: Platform, name: str) -> None:
    with client(platform, "manager", "office") as http:
        r = http.post("/api/v1/groups", json={"kind": "club", "name": name})
        assert r.status_code == 201, r.text


def test_a_partner_receives_signed_events_through_a_500_storm_and_replays(
        platform: Platform, receiver: Receiver) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    create_group(platform, "Club before the subscription")
    with client(platform, "partner", "crm-e2e") as crm:
        r = crm.post(HOOKS, json={"url": receiver.url, "event_types": [GROUP], "description": "CRM"},
                     headers={"Idempotency-Key": "crm-e2e-1"})
        assert r.status_code == 201, r.text
        hook = r.json()
        assert r.headers["location"] == f"{HOOKS}/{hook['webhook_id']}" and hook["secret"].startswith("whsec_")
        again = crm.post(HOOKS, json={"url": receiver.url, "event_types": [GROUP], "description": "CRM"},
                         headers={"Idempotency-Key": "crm-e2e-1"})
        assert again.json()["webhook_id"] == hook["webhook_id"]  # a retried request is the same subscription
        receiver.secret = hook["secret"]
        time.sleep(1.5)  # the dispatcher creates the live consumer (it starts with the next event)
        receiver.storm = 2  # the first two attempts fail with 500: retried with backoff
        create_group(platform, "Club Lyon e2e")
        receiver.wait_for(1)
        first = receiver.received[0]
        assert first["body"]["type"] == GROUP and first["body"]["data"]["name"] == "Club Lyon e2e"
        assert first["headers"]["webhook-id"] == first["body"]["id"] and receiver.attempts == 3
        log = crm.get(f"{HOOKS}/{hook['webhook_id']}/deliveries").json()["items"]
        assert [(d["attempt"], d["outcome"], d["status_code"]) for d in reversed(log)] == [
            (1, "failed", 500), (2, "failed", 500), (3, "delivered", 204)]
        # Replay from a date: the earlier group too, with its original id.
        r = crm.post(f"{HOOKS}/{hook['webhook_id']}/replay", json={"from_time": since.isoformat()})
        assert r.status_code == 202, r.text
        receiver.wait_for(3)
        names = [x["body"]["data"]["name"] for x in receiver.received[1:]]
        assert "Club before the subscription" in names and "Club Lyon e2e" in names
        assert len(set(receiver.ids())) == len(receiver.ids()) - 1  # the replayed one kept its id
        # Another partner of the tenant does not see it; a manager does; another tenant does not.
        with client(platform, "partner", "other-crm") as other:
            assert other.get(HOOKS).json()["items"] == []
            assert other.post(f"{HOOKS}/{hook['webhook_id']}/disable").status_code == 404
        with client(platform, "manager", "office") as office:
            listed = office.get(HOOKS).json()["items"]
            assert hook["webhook_id"] in [w["webhook_id"] for w in listed]
            assert all(w["secret"] is None for w in listed)  # shown once only
        with client(platform, "manager", "office", tenant="other") as elsewhere:
            assert elsewhere.get(f"{HOOKS}/{hook['webhook_id']}").status_code == 404
        assert crm.delete(f"{HOOKS}/{hook['webhook_id']}").status_code == 200


@pytest.mark.parametrize(("body", "status", "kind"), [
    ({"url": "https://10.0.0.1/x", "event_types": [GROUP]}, 422, "unsafe-webhook-target"),
    ({"url": "https://169.254.169.254/latest/meta-data", "event_types": [GROUP]}, 422, "unsafe-webhook-target"),
    ({"url": "https://hooks.example.org/x", "event_types": ["org.alumni.members.nothing.v1"]}, 422,
     "unknown-event-type"),
    ({"url": "https://hooks.example.org/x", "event_types": []}, 422, "validation"),
    ({"url": "https://hooks.example.org/x", "event_types": [GROUP], "secret": "mine"}, 422, "validation"),
])
def test_bad_registrations_are_clear_problems(platform: Platform, body: dict[str, Any], status: int,
                                              kind: str) -> None:
    with client(platform, "partner", "crm-bad") as crm:
        r = crm.post(HOOKS, json=body)
    assert r.status_code == status and r.headers["content-type"].startswith("application/problem+json")
    assert kind in r.json()["type"], r.json()


def test_only_partners_and_managers_reach_webhooks(platform: Platform) -> None:
    with client(platform, "alumnus", "someone") as alumnus:
        assert alumnus.get(HOOKS).status_code == 403
    assert httpx.get(f"{platform.gateway_url}{HOOKS}").status_code == 401
    with client(platform, "partner", "crm-bad") as crm:
        assert crm.post(f"{HOOKS}/nope/replay", json={}).status_code == 422  # neither a date nor a sequence
        assert crm.post(f"{HOOKS}/nope/replay", json={"from_sequence": 3}).status_code == 422
        assert crm.get(f"{HOOKS}/nope/deliveries").status_code == 404


def test_the_local_demo_partner_receives_signed_events_and_survives_a_restart_of_the_runner(
        platform: Platform, tmp_path: Any) -> None:
    """`make run`'s demo partner: a receiver and a subscription of `demo-crm` to it; a second
    start (the runner again) reuses the subscription with a fresh secret."""
    from alumni_local.webhook_receiver import DEMO_PARTNER, start_demo_partner
    from servicekit.devservers import free_port

    port, log = free_port(), tmp_path / "webhook-receiver.log"

    def token() -> str:
        return platform.issue_token("partner", subject=DEMO_PARTNER)

    first, url = start_demo_partner(platform.gateway_url, token, port, log)
    first.shutdown()
    first.server_close()
    second, _ = start_demo_partner(platform.gateway_url, token, port, log)  # the runner started again
    try:
        with client(platform, "partner", DEMO_PARTNER) as crm:
            hooks = [w for w in crm.get(HOOKS).json()["items"] if w["url"] == url]
        assert len(hooks) == 1 and len(hooks[0]["secrets"]) == 1  # reused, the old secret revoked
        time.sleep(1.5)
        create_group(platform, "Club démo partenaire")
        deadline = time.monotonic() + 20
        while "signature OK" not in log.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.1)
        assert "204  org.alumni.members.group_created.v1" in log.read_text(encoding="utf-8")
    finally:
        second.shutdown()
        second.server_close()
