"""SMTP delivery with aiosmtplib: multipart (plain text + inlined HTML), per-tenant rate."""

from __future__ import annotations

import asyncio
import time
from email.message import EmailMessage
from email.utils import formatdate

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


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str, *, username: str | None = None,
                 password: str | None = None, starttls: bool = False, timeout: float = 10.0) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password
        self._starttls, self._timeout = starttls, timeout

    async def send(self, email: OutgoingEmail) -> None:
        try:
            await aiosmtplib.send(to_mime(email, self._sender), hostname=self._host, port=self._port,
                                  username=self._username, password=self._password, start_tls=self._starttls,
                                  timeout=self._timeout)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if codes and all(400 <= c < 500 for c in codes):
                raise RecipientDeferred(f"recipient deferred: {exc}") from exc
            raise RecipientRefused(f"recipient refused: {exc}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise PermanentDeliveryError(f"{exc.code} {exc.message}") from exc
            raise


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
