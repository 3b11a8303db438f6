"""A development SMTP sink: accepts every message, keeps it, and shows it over HTTP.

`GET /messages` lists what was received (newest last); each message says whether its
Message-ID was seen before (`duplicate`), which is how the tests prove no email was sent twice,
and carries a sequence number `id` (1, 2, …). `?after=<id>` returns only newer messages and
`?before=<id>` only older ones; `?limit=<n>` keeps the first n of that window with `after`
(read forward) and the last n otherwise (the newest page), so a console polling with
`after=<the last id it has>` downloads only what is new. `count` is always the total.
Messages are appended to a JSON-lines file so a restart keeps them. Each carries its HTML part
(`html`, shown by the console in a sandboxed frame) and its `List-Unsubscribe` headers.

Bounces, for the demo and the tests: a recipient whose local part starts with `bounce` is
refused for good at RCPT (550: a hard bounce), one starting with `deferred` is deferred (451:
retried, then a soft bounce) — what a real server answers for an unknown or full mailbox.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import uvicorn
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class Mailbox:
    def __init__(self, store: Path | None) -> None:
        self._store = store
        self.messages: list[dict[str, Any]] = []
        self._ids: set[str] = set()
        if store is not None and store.exists():
            for line in store.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    self._remember(json.loads(line))

    def _remember(self, record: dict[str, Any]) -> None:
        record["id"] = len(self.messages) + 1
        self.messages.append(record)
        if record.get("message_id"):
            self._ids.add(record["message_id"])

    def add(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> dict[str, Any]:
        parsed = message_from_bytes(data, policy=policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        html = parsed.get_body(preferencelist=("html",))
        message_id = str(parsed.get("Message-ID", "")).strip()
        record = {
            "received_at": datetime.now(UTC).isoformat(), "from": mail_from, "to": rcpt_tos,
            "subject": str(parsed.get("Subject", "")), "message_id": message_id,
            "language": str(parsed.get("Content-Language", "")),
            "body": body.get_content() if body is not None else "",  # type: ignore[attr-defined]
            "html": html.get_content() if html is not None else "",  # type: ignore[attr-defined]
            "list_unsubscribe": str(parsed.get("List-Unsubscribe", "")),
            "list_unsubscribe_post": str(parsed.get("List-Unsubscribe-Post", "")),
            "duplicate": bool(message_id) and message_id in self._ids,
            # Files (a ticket's inline QR code, an .ics): small ones kept whole, base64.
            "attachments": [{"filename": part.get_filename() or "", "content_type": part.get_content_type(),
                             "content_id": str(part.get("Content-ID", "")).strip("<>"),
                             "disposition": part.get_content_disposition() or "",
                             "data": base64.b64encode(raw).decode() if len(raw) <= 65536 else ""}
                            for part in parsed.walk()
                            if part.get_filename() and isinstance(raw := part.get_payload(decode=True), bytes)],
        }
        self._remember(record)
        if self._store is not None:
            with self._store.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return record


    def window(self, after: int | None, before: int | None, limit: int | None) -> list[dict[str, Any]]:
        """Messages with after < id < before (ids are positions: slices, no scan); with a limit the
        first ones when reading forward from `after`, else the last ones."""
        start = max(after or 0, 0)
        end = len(self.messages) if before is None else min(max(before - 1, 0), len(self.messages))
        selected = self.messages[start:end] if start < end else []
        if limit is not None:
            selected = selected[:limit] if after is not None else selected[-limit:] if limit else []
        return selected


def _number(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise ValueError(f"{name} must be a non-negative integer")
    return int(raw)


class SinkHandler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        local = address.split("@", 1)[0].casefold()
        if local.startswith("bounce"):
            return "550 5.1.1 No such user here"
        if local.startswith("deferred"):
            return "451 4.2.2 Mailbox full, try again later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        assert isinstance(envelope.content, bytes)
        self.mailbox.add(envelope.mail_from or "", list(envelope.rcpt_tos), envelope.content)
        return "250 Message accepted for delivery"


def http_app(mailbox: Mailbox) -> Starlette:
    async def messages(request: Request) -> JSONResponse:
        try:
            after, before, limit = (_number(request, name) for name in ("after", "before", "limit"))
        except ValueError as exc:
            return JSONResponse({"title": "Bad request", "detail": str(exc)}, status_code=400)
        return JSONResponse({"count": len(mailbox.messages), "messages": mailbox.window(after, before, limit)})

    return Starlette(routes=[Route("/messages", messages)])


def smtp_protocol(handler: SinkHandler) -> SMTP:
    # SMTPUTF8: alumni may have internationalised addresses (`zoë@exämple.fr`), as real servers accept.
    return SMTP(handler, hostname="alumni-sink", enable_SMTPUTF8=True)


async def serve(host: str, smtp_port: int, http_port: int, store: Path | None) -> None:
    mailbox = Mailbox(store)
    loop = asyncio.get_running_loop()
    handler = SinkHandler(mailbox)
    server = await loop.create_server(lambda: smtp_protocol(handler), host, smtp_port)
    web = uvicorn.Server(uvicorn.Config(http_app(mailbox), host=host, port=http_port, log_level="warning"))
    async with server:
        await web.serve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--store", type=Path)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.smtp_port, args.http_port, args.store))


if __name__ == "__main__":
    main()
