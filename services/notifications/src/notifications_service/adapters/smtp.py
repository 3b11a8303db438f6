"""SMTP delivery with aiosmtplib: multipart (plain text + inlined HTML), a pool of persistent
sessions per tenant, per-tenant rate."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

import aiosmtplib

from notifications_service.domain.model import OutgoingEmail
from notifications_service.service_layer.ports import PermanentDeliveryError, RecipientDeferred, RecipientRefused


def to_mime(email: OutgoingEmail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = email.message_id
    message["Auto-Submitted"] = "auto-generated"
    for name, value in email.headers:
        message[name] = value
    message.set_content(email.body_text)
    if email.body_html:
        message.add_alternative(email.body_html, subtype="html")
        parts = message.get_payload()
        assert isinstance(parts, list)
        html = parts[-1]
        assert isinstance(html, EmailMessage)
        for a in email.attachments:  # inline images: multipart/related around the HTML part
            if a.content_id:
                maintype, _, subtype = a.content_type.partition("/")
                html.add_related(a.data, maintype=maintype, subtype=subtype.split(";")[0],
                                 cid=f"<{a.content_id}>", filename=a.filename, disposition="inline")
    for a in email.attachments:
        if a.content_id and email.body_html:
            continue
        maintype, _, rest = a.content_type.partition("/")
        subtype, _, params = rest.partition(";")
        extra = dict(p.strip().split("=", 1) for p in params.split(";") if "=" in p)
        message.add_attachment(a.data, maintype=maintype, subtype=subtype.strip(), filename=a.filename,
                               params=extra)
    message["Content-Language"] = email.locale  # after set_content, which clears Content-* headers
    return message


class SmtpConnection(Protocol):
    """What the pool needs of an SMTP client session (aiosmtplib.SMTP; a fake in unit tests)."""

    @property
    def is_connected(self) -> bool: ...
    async def connect(self) -> Any: ...
    async def send_message(self, message: EmailMessage) -> Any: ...
    async def noop(self) -> Any: ...
    async def quit(self) -> Any: ...
    def close(self) -> None: ...


@dataclass
class _Idle:
    connection: SmtpConnection
    sent: int  # messages sent on it so far
    since: float  # when it was given back


@dataclass
class _TenantPool:
    slots: asyncio.Semaphore
    idle: list[_Idle] = field(default_factory=list)


@dataclass
class PoolStats:
    connects: int = 0  # sessions opened (EHLO, STARTTLS, AUTH)
    reconnects: int = 0  # a reused session found dead before MAIL FROM, replaced and the message sent
    discarded: int = 0  # sessions closed after an error
    sent: int = 0


class SmtpMailer:
    """Sends over a small pool of persistent SMTP sessions per tenant (`pool_size` each), many
    messages per session (at most `max_messages_per_connection`, then a fresh one), closing
    sessions idle longer than `idle_seconds`. Per message, the session is exclusive: MAIL, RCPT,
    DATA, and the server's reply is the acceptance the caller records.

    Failures: a refused recipient (5xx) or a deferral (4xx) leaves the session usable (aiosmtplib
    resets the envelope); anything else — a timeout, a disconnect, a 4xx on MAIL or DATA — closes
    the session (its state is unknown) and raises: the worker retries the message with backoff,
    under the same Message-ID. A session idle for more than `check_idle_seconds` is probed with a
    NOOP before use and replaced when dead — before MAIL FROM, so no message can be half-sent."""

    def __init__(self, host: str, port: int, sender: str, *, username: str | None = None,
                 password: str | None = None, starttls: bool = False, timeout: float = 10.0, pool_size: int = 4,
                 max_messages_per_connection: int = 500, idle_seconds: float = 30.0,
                 check_idle_seconds: float = 2.0, connection_factory: Callable[[], SmtpConnection] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password
        self._starttls, self._timeout = starttls, timeout
        self.pool_size = max(1, pool_size)
        self._max_per_connection = max(1, max_messages_per_connection)
        self._idle_seconds, self._check_idle = idle_seconds, check_idle_seconds
        self._factory = connection_factory or self._aiosmtplib
        self._clock = clock
        self._pools: dict[str, _TenantPool] = {}
        self.stats = PoolStats()

    def _aiosmtplib(self) -> SmtpConnection:
        return aiosmtplib.SMTP(hostname=self._host, port=self._port, username=self._username,
                               password=self._password, start_tls=self._starttls, timeout=self._timeout)

    def _pool(self, tenant: str) -> _TenantPool:
        pool = self._pools.get(tenant)
        if pool is None:
            pool = self._pools[tenant] = _TenantPool(asyncio.Semaphore(self.pool_size))
        return pool

    async def send(self, email: OutgoingEmail, tenant: str = "") -> None:
        message = to_mime(email, self._sender)
        pool = self._pool(tenant)
        async with pool.slots:
            held = await self._checkout(pool)
            try:
                await held.connection.send_message(message)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                await self._checkin(pool, held, ok=True)
                codes = [r.code for r in exc.recipients]
                if codes and all(400 <= c < 500 for c in codes):
                    raise RecipientDeferred(f"recipient deferred: {exc}") from exc
                raise RecipientRefused(f"recipient refused: {exc}") from exc
            except aiosmtplib.SMTPResponseException as exc:
                await self._checkin(pool, held, ok=False)
                if 500 <= exc.code < 600:
                    raise PermanentDeliveryError(f"{exc.code} {exc.message}") from exc
                raise
            except BaseException:
                await self._checkin(pool, held, ok=False)
                raise
            held.sent += 1
            self.stats.sent += 1
            await self._checkin(pool, held, ok=True)

    async def _checkout(self, pool: _TenantPool) -> _Idle:
        now = self._clock()
        while pool.idle:
            held = pool.idle.pop()  # the most recently used: the likeliest alive
            if not held.connection.is_connected or now - held.since > self._idle_seconds:
                self._discard(held.connection)
                continue
            if now - held.since > self._check_idle:
                try:
                    await held.connection.noop()
                except Exception:  # noqa: BLE001 - the server closed an idle session: open another
                    self._discard(held.connection)
                    self.stats.reconnects += 1
                    continue
            return held
        connection = self._factory()
        try:
            await connection.connect()
        except BaseException:
            self._discard(connection)
            raise
        self.stats.connects += 1
        return _Idle(connection, 0, now)

    async def _checkin(self, pool: _TenantPool, held: _Idle, *, ok: bool) -> None:
        if ok and held.connection.is_connected and held.sent < self._max_per_connection:
            held.since = self._clock()
            pool.idle.append(held)
        elif ok and held.connection.is_connected:
            await self._quit(held.connection)  # done with it (the server's per-session limit): QUIT
        else:
            self.stats.discarded += 1
            self._discard(held.connection)

    @staticmethod
    def _discard(connection: SmtpConnection) -> None:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - already gone
            pass

    @staticmethod
    async def _quit(connection: SmtpConnection) -> None:
        try:
            await connection.quit()
        except Exception:  # noqa: BLE001 - closing anyway
            connection.close()

    async def close(self) -> None:
        """QUIT every idle session (a stopping worker)."""
        for pool in self._pools.values():
            idle, pool.idle = pool.idle, []
            for held in idle:
                await self._quit(held.connection)


class TenantRate:
    """At most `per_second` messages a second per tenant (a token bucket each, burst = one
    second's worth): a big tenant's newsletter neither trips the provider's limits nor starves
    another tenant's receipts for long. 0: unlimited."""

    def __init__(self, per_second: float, clock: object = time.monotonic) -> None:
        self._rate = per_second
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def delay(self, tenant: str) -> float:
        """Take one token; the seconds to wait before sending (0: now)."""
        if self._rate <= 0:
            return 0.0
        now = self._clock()  # type: ignore[operator]
        tokens, at = self._buckets.get(tenant, (self._rate, now))
        tokens = min(self._rate, tokens + (now - at) * self._rate) - 1
        self._buckets[tenant] = (tokens, now)
        return 0.0 if tokens >= 0 else -tokens / self._rate

    async def wait(self, tenant: str) -> None:
        wait = self.delay(tenant)
        if wait > 0:
            await asyncio.sleep(wait)
