"""Development only: an email of the local SMTP sink rendered as its recipient sees it.

The console shows the HTML part in a frame. Not from a Blob: a Blob document inherits the
console's CSP, which refuses inline styles — exactly what an inlined email is made of. The
console asks (with its bearer token, staff only) for a view ticket; the frame then loads
`/dev/mail/<ticket>`, a short-lived HMAC-signed URL (no token in a URL), served under its own
policy: no script at all (`sandbox` without `allow-scripts`, an opaque origin), inline styles,
images only over https or data, framed by the console only."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway_service.entrypoints.edge import Who, require_staff

router = APIRouter()
TICKET_SECONDS = 120
VIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; sandbox; "
            "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
_KEY = secrets.token_bytes(32)  # per process: a ticket outlives neither it nor two minutes


def _sign(message_id: int, expires: int) -> str:
    return hmac.new(_KEY, f"{message_id}.{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def _mailbox(request: Request) -> str:
    url: str | None = request.app.state.dev_mailbox_url
    if url is None:
        raise StarletteHTTPException(404, "no development mailbox configured")
    return url


@router.get("/api/v1/dev/mailbox/{message_id}/view", tags=["development"], include_in_schema=False)
async def mail_view_ticket(message_id: Annotated[int, Path(ge=1)], request: Request, who: Who) -> dict[str, Any]:
    """A URL (valid two minutes) showing this sink message's HTML part."""
    _mailbox(request)
    require_staff(who)
    expires = int(time.time()) + TICKET_SECONDS
    return {"url": f"/dev/mail/{message_id}.{expires}.{_sign(message_id, expires)}"}


@router.get("/dev/mail/{ticket}", include_in_schema=False)
async def mail_view(ticket: Annotated[str, Path(pattern=r"^[0-9]{1,9}\.[0-9]{1,12}\.[0-9a-f]{32}$")],
                    request: Request) -> HTMLResponse:
    mailbox = _mailbox(request)
    number, expires, signature = ticket.split(".")
    if int(expires) < time.time() or not hmac.compare_digest(_sign(int(number), int(expires)), signature):
        raise StarletteHTTPException(404, "expired or unknown view")
    async with httpx.AsyncClient(timeout=5) as client:
        found = (await client.get(mailbox, params={"after": int(number) - 1, "limit": 1})).json()["messages"]
    if not found or found[0].get("id") != int(number):
        raise StarletteHTTPException(404, "no such message")
    message = found[0]
    html = message.get("html") or f"<pre>{_escape(message.get('body', ''))}</pre>"
    return HTMLResponse(html, headers={"Content-Security-Policy": VIEW_CSP, "X-Content-Type-Options": "nosniff",
                                       "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"})


def _escape(text: str) -> str:
    from html import escape
    return escape(text)
