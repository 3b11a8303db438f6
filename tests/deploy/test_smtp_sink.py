"""The development SMTP sink's HTTP API: sequence ids and windows, so the console downloads
only what is new instead of the whole mailbox every few seconds."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from starlette.testclient import TestClient

from alumni_local.smtp_sink import Mailbox, SinkHandler, http_app, smtp_protocol


def message(n: int) -> bytes:
    return f"Subject: message {n}\r\nMessage-ID: <m{n}@test>\r\n\r\nbody {n}\r\n".encode()


def subjects(response: object) -> list[str]:
    return [m["subject"] for m in response.json()["messages"]]  # type: ignore[attr-defined]


def test_windows_by_sequence_id(tmp_path: Path) -> None:
    box = Mailbox(tmp_path / "mail.jsonl")
    for n in range(1, 8):
        box.add("a@example.org", ["b@example.org"], message(n))
    client = TestClient(http_app(box))
    everything = client.get("/messages").json()
    assert everything["count"] == 7 and [m["id"] for m in everything["messages"]] == [1, 2, 3, 4, 5, 6, 7]
    assert subjects(client.get("/messages", params={"limit": 3})) == ["message 5", "message 6", "message 7"]
    assert subjects(client.get("/messages", params={"after": 5})) == ["message 6", "message 7"]
    assert subjects(client.get("/messages", params={"after": 2, "limit": 2})) == ["message 3", "message 4"]
    assert subjects(client.get("/messages", params={"before": 5, "limit": 2})) == ["message 3", "message 4"]
    assert subjects(client.get("/messages", params={"after": 7})) == []
    assert subjects(client.get("/messages", params={"after": 99})) == []
    assert subjects(client.get("/messages", params={"before": 1})) == []
    assert client.get("/messages", params={"after": "-1"}).status_code == 400
    reloaded = Mailbox(tmp_path / "mail.jsonl")
    assert [m["id"] for m in reloaded.messages] == [1, 2, 3, 4, 5, 6, 7], "ids survive a restart"
    assert reloaded.add("a@example.org", ["b@example.org"], message(1))["duplicate"] is True


async def test_internationalised_addresses_are_accepted(tmp_path: Path) -> None:
    """Without SMTPUTF8 the mailer's every attempt to `zoë@exämple.fr` failed and was retried."""
    box = Mailbox(None)
    handler = SinkHandler(box)
    server = await asyncio.get_running_loop().create_server(lambda: smtp_protocol(handler), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "alumni@example.org", "zoë@exämple.fr", "Bienvenue"
    mail.set_content("Bonjour")
    async with server:
        await aiosmtplib.send(mail, hostname="127.0.0.1", port=port, timeout=5)
    assert box.messages[-1]["to"] == ["zoë@exämple.fr"]
