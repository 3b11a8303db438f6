"""A partner's webhook endpoint for the local demo: prints each delivery, verified with the
Standard Webhooks reference code.

    python -m alumni_local webhook-receiver --port 8900 --secret whsec_…   [--fail 3]

The local platform admits loopback webhook targets (`NOTIFICATIONS_PARTNER_WEBHOOKS_ALLOW_LOOPBACK`,
set by the runner only), so a subscription to `http://127.0.0.1:8900/hooks` reaches it.
`--fail N` answers 500 to the first N requests: watch the retries in the console's delivery log.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


def serve(port: int, secret: str | None, fail: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Start the receiver in a thread; `shutdown()` the returned server to stop it."""
    state = {"fail": fail}
    lock = threading.Lock()

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
                print(f"500  (storm) {self.headers.get('webhook-id')}", flush=True)
                self.reply(500)
                return
            verified = "unverified (no --secret)"
            if secret:
                try:
                    Webhook(secret).verify(body, dict(self.headers.items()))
                    verified = "signature OK"
                except WebhookVerificationError as exc:
                    print(f"401  bad signature: {exc}", flush=True)
                    self.reply(401)
                    return
            kind = self.headers.get("ce-type") or json.loads(body or b"{}").get("type", "?")
            print(f"204  {kind} {self.headers.get('webhook-id')} — {verified}", flush=True)
            self.reply(204)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
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
