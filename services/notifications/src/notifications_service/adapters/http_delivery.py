"""Sends one CloudEvent to a partner endpoint over HTTP, signed per Standard Webhooks.

- CloudEvents HTTP binding: *structured* mode posts the whole event as
  `application/cloudevents+json`; *binary* mode posts `data` as `application/json` with every
  other attribute in a `ce-<name>` header (extensions included).
- Standard Webhooks: `webhook-id` (the event id: stable across retries and replays, so the
  partner deduplicates on it), `webhook-timestamp` (Unix seconds of this attempt),
  `webhook-signature` (`v1,<base64 HMAC-SHA256>` per signing secret, space separated: during
  a rotation's overlap both the new and the old secret sign).
- SSRF: the host is resolved here, every address it resolves to must be public (see
  `domain.partner_webhooks.address_allowed`), and the connection goes to the checked address
  (the URL's host stays in `Host` and in TLS SNI and certificate verification), so a DNS
  answer that changes between the check and the connection cannot reach the inside.
  Redirects are not followed by the client: each `Location` is checked the same way, at most
  `max_redirects` hops.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import httpx
from standardwebhooks import Webhook

from notifications_service.domain.partner_webhooks import Mode, UnsafeTarget, check_resolved, parse_target

Resolver = Callable[[str, int], Awaitable[list[str]]]
USER_AGENT = "alumni-platform-webhooks/1"
NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
ERROR_CHARS = 300


async def resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeTarget(f"{host} does not resolve ({exc.strerror})") from None
    return sorted({str(info[4][0]) for info in infos})


def sign(secrets: list[str], message_id: str, at: datetime, body: str) -> str:
    return " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets)


def encode(event: dict[str, Any], mode: Mode) -> tuple[dict[str, str], str]:
    """Headers and body of one event in a CloudEvents HTTP binding mode."""
    if mode is Mode.STRUCTURED:
        return {"content-type": "application/cloudevents+json; charset=utf-8"}, json.dumps(
            event, ensure_ascii=False, separators=(",", ":"))
    headers = {"content-type": str(event.get("datacontenttype") or "application/json")}
    for name, value in event.items():
        if name in ("data", "datacontenttype") or value is None:
            continue
        headers[f"ce-{name}"] = value if isinstance(value, str) else json.dumps(value)
    return headers, json.dumps(event.get("data"), ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int


class HttpDelivery:
    def __init__(self, timeout: float, allow_loopback: bool = False, max_redirects: int = 3,
                 resolver: Resolver = resolve, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._allow_loopback = allow_loopback
        self._max_redirects = max_redirects
        self._resolve = resolver
        # TCP_NODELAY: the request's headers and body leave in separate writes; without it Nagle's
        # algorithm holds the body until the server's delayed ACK (~40 ms per webhook, measured).
        transport = transport or httpx.AsyncHTTPTransport(socket_options=NODELAY, limits=httpx.Limits(
            max_connections=200, max_keepalive_connections=50))
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False,
                                         transport=transport)

    async def check(self, url: str) -> None:
        """Refuse a target that is not public now (at registration; deliveries check again)."""
        target = parse_target(url, self._allow_loopback)
        check_resolved(target.host, await self._resolve(target.host, target.port), self._allow_loopback)

    async def deliver(self, url: str, event: dict[str, Any], mode: Mode, secrets: list[str],
                      now: datetime | None = None) -> Attempt:
        started = time.monotonic()
        at = now or datetime.now(UTC)
        headers, body = encode(event, mode)
        headers.update({"webhook-id": str(event["id"]), "webhook-timestamp": str(int(at.timestamp())),
                        "webhook-signature": sign(secrets, str(event["id"]), at, body),
                        "user-agent": USER_AGENT})
        try:
            response = await self._post(url, headers, body.encode())
        except UnsafeTarget as exc:
            return Attempt(False, None, f"refused target: {exc}"[:ERROR_CHARS], _ms(started))
        except httpx.TimeoutException:
            return Attempt(False, None, "timed out", _ms(started))
        except httpx.HTTPError as exc:
            return Attempt(False, None, f"{type(exc).__name__}: {exc}"[:ERROR_CHARS], _ms(started))
        ok = 200 <= response.status_code < 300
        return Attempt(ok, response.status_code, None if ok else f"HTTP {response.status_code}", _ms(started))

    async def _post(self, url: str, headers: dict[str, str], body: bytes) -> httpx.Response:
        for _ in range(self._max_redirects + 1):
            target = parse_target(url, self._allow_loopback)
            addresses = await self._resolve(target.host, target.port)
            check_resolved(target.host, addresses, self._allow_loopback)
            address = addresses[0]
            netloc = f"[{address}]" if ":" in address else address
            default_port = 443 if target.scheme == "https" else 80
            pinned = f"{target.scheme}://{netloc}{'' if target.port == default_port else f':{target.port}'}"
            host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
            extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
            response = await self._client.post(pinned + target.path, content=body,
                                               headers={**headers, "host": host_header}, extensions=extensions)
            await response.aclose()
            location = response.headers.get("location")
            if response.status_code in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location)
                continue
            return response
        raise UnsafeTarget(f"more than {self._max_redirects} redirects")

    async def aclose(self) -> None:
        await self._client.aclose()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
