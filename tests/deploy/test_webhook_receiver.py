"""The local demo's webhook receiver, fed by the notifications service's HTTP delivery adapter:
a signed CloudEvent is accepted, a storm answers 500 first, a wrong secret is refused."""

from __future__ import annotations

import socket

from alumni_local.webhook_receiver import serve
from notifications_service.adapters.http_delivery import HttpDelivery
from notifications_service.domain.partner_webhooks import Mode
from notifications_service.service_layer.partner_webhooks import new_secret

EVENT = {"specversion": "1.0", "id": "01938f6e-0000-7000-8000-0000000000aa", "source": "/alumni/members",
         "type": "org.alumni.members.group_created.v1", "time": "2026-06-01T12:00:00Z", "subject": "g1",
         "datacontenttype": "application/json", "tenant": "demo", "data": {"group_id": "g1"}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_demo_receiver_verifies_what_the_platform_signs() -> None:
    secret, port = new_secret(), _free_port()
    server = serve(port, secret, fail=1)
    delivery = HttpDelivery(5.0, allow_loopback=True)
    try:
        url = f"http://127.0.0.1:{port}/hooks"
        storm = await delivery.deliver(url, EVENT, Mode.STRUCTURED, [secret])
        assert not storm.ok and storm.status_code == 500 and storm.error == "HTTP 500"
        for mode in Mode:
            ok = await delivery.deliver(url, EVENT, mode, [new_secret(), secret])  # an overlap: two signatures
            assert ok.ok and ok.status_code == 204, ok
        wrong = await delivery.deliver(url, EVENT, Mode.STRUCTURED, [new_secret()])
        assert not wrong.ok and wrong.status_code == 401
        refused = await HttpDelivery(5.0).deliver(url, EVENT, Mode.STRUCTURED, [secret])  # the default setting
        assert not refused.ok and refused.status_code is None and "refused target" in (refused.error or "")
    finally:
        await delivery.aclose()
        server.shutdown()
        server.server_close()
