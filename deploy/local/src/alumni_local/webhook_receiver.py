"""A partner's webhook endpoint for the local demo: prints each delivery, verified with the
Standard Webhooks reference code.

    python -m alumni_local webhook-receiver --port 8900 --secret whsec_…   [--fail 3]

The local platform admits loopback webhook targets (`NOTIFICATIONS_PARTNER_WEBHOOKS_ALLOW_LOOPBACK`,
set by the runner only), so a subscription to `http://127.0.0.1:8900/hooks` reaches it.
`--fail N` answers 500 to the first N requests: watch the retries in the console's delivery log.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO

import httpx
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

DEMO_PARTNER = "demo-crm"
DEMO_TYPES = ["org.alumni.members.group_created.v1", "org.alumni.members.member_registered.v2",
              "org.alumni.members.member_erased.v1", "org.alumni.events.event_scheduled.v1"]


def serve(port: int, secret: str | None, fail: int = 0, host: str = "127.0.0.1",
          out: TextIO | None = None) -> ThreadingHTTPServer:
    """Start the receiver in a thread; `shutdown()` the returned server to stop it. The secret
    can be set later: `server.secret = …` (the demo learns it once its subscription exists)."""
    state = {"fail": fail}
    lock = threading.Lock()

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the platform reuses its connections

        def reply(self, status: int) -> None:
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with lock:
                failing = state["fail"] > 0
                state["fail"] -= int(failing)
            if failing:
                say(f"500  (storm) {self.headers.get('webhook-id')}")
                self.reply(500)
                return
            verified = "unverified (no --secret)"
            current = getattr(server, "secret", None)
            if current:
                try:
                    Webhook(current).verify(body, dict(self.headers.items()))
                    verified = "signature OK"
                except WebhookVerificationError as exc:
                    say(f"401  bad signature: {exc}")
                    self.reply(401)
                    return
            kind = self.headers.get("ce-type") or json.loads(body or b"{}").get("type", "?")
            say(f"204  {kind} {self.headers.get('webhook-id')} — {verified}")
            self.reply(204)

        def log_message(self, format: str, *args: object) -> None:
            return

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            # A sender that dies mid-connection (notifications SIGKILLed, the platform stopping)
            # resets its keep-alive socket: not the receiver's error, no traceback for it.
            if isinstance(sys.exc_info()[1], ConnectionError):
                return
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    server = Server((host, port), Handler)
    server.secret = secret  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True, name="webhook-receiver").start()
    return server


def main(port: int, secret: str | None, fail: int) -> int:
    server = serve(port, secret, fail)
    print(f"listening on http://127.0.0.1:{port}/hooks (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
    return 0


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_demo_partner(gateway_url: str, partner_token: Callable[[], str], port: int, log: Path
                       ) -> tuple[ThreadingHTTPServer, str]:
    """The local demo's partner: a receiver on `port` (its lines in `log`) and a subscription of
    the partner `demo-crm` to it — created on the first run, its secret rotated on later runs
    (a secret is shown only once, so the runner asks for a new one)."""
    out = log.open("a", encoding="utf-8")
    server = serve(port, None, out=out)
    url = f"http://127.0.0.1:{port}/hooks"
    with httpx.Client(base_url=gateway_url, timeout=15,
                      headers={"Authorization": f"Bearer {partner_token()}"}) as http:
        existing = [w for w in http.get("/api/v1/partner/webhooks").raise_for_status().json()["items"]
                    if w["url"] == url]
        if existing:
            r = http.post(f"/api/v1/partner/webhooks/{existing[0]['webhook_id']}/rotate-secret",
                          params={"overlap_hours": 0})
        else:
            r = http.post("/api/v1/partner/webhooks", json={
                "url": url, "event_types": DEMO_TYPES, "description": "Demo partner (alumni_local webhook receiver)"})
        hook = r.raise_for_status().json()
    server.secret = hook["secret"]  # type: ignore[attr-defined]
    return server, url
