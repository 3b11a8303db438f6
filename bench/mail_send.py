"""The mailer's own costs, per message, against raw baselines measured in the same run:

- render: `JinjaRenderer.render_email` (text + autoescaped HTML in the branded layout, CSS
  inlined by css-inline) vs a plain-text Jinja render of the same template (the old path);
- send: `SmtpMailer.send` (MIME multipart text+HTML, one SMTP session per message, as the
  mailer worker sends) vs a raw aiosmtplib loop that sends the same prebuilt bytes over one
  reused connection — the baseline the newsletter benchmark (issue 13 item 4) compares with.

Usage: .venv/bin/python bench/mail_send.py --messages 2000
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiosmtplib
from aiosmtpd.smtp import SMTP

from alumni_local.smtp_sink import Mailbox, SinkHandler
from notifications_service.adapters.smtp import SmtpMailer, to_mime
from notifications_service.adapters.templates import JinjaRenderer
from notifications_service.domain.branding import Brand
from notifications_service.domain.model import OutgoingEmail
from servicekit.devservers import free_port

VALUES = {"first_name": "Zoé", "last_name": "Martin", "program": "MSc Finance", "graduation_year": 2016,
          "unsubscribe_url": "https://alumni.example.org/api/v1/public/unsubscribe?tenant=demo&token=x.y",
          "preferences_url": "https://alumni.example.org/console#notifications"}


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else float("inf")


def bench_render(n: int) -> tuple[float, float]:
    renderer, brand = JinjaRenderer(), Brand(name="École Démo")
    renderer.render_email("welcome", "fr", VALUES, brand)  # warm the template caches
    start = time.perf_counter()
    for i in range(n):
        renderer.render_email("welcome", "fr" if i % 2 else "en", VALUES, brand)
    ours = rate(n, time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(n):
        renderer.render("welcome", "fr" if i % 2 else "en", VALUES)
    return ours, rate(n, time.perf_counter() - start)


async def bench_send(n: int) -> tuple[float, float, int]:
    mailbox = Mailbox(None)
    port = free_port()
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(SinkHandler(mailbox)), "127.0.0.1", port)
    rendered = JinjaRenderer().render_email("welcome", "fr", VALUES, Brand())
    emails = [OutgoingEmail(to=f"m{i}@example.org", subject=rendered.subject, body_text=rendered.text,
                            body_html=rendered.html, locale="fr", message_id=f"<bench-{i}@alumni.test>",
                            headers=(("List-Unsubscribe", f"<{VALUES['unsubscribe_url']}>"),
                                     ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")), marketing=True)
              for i in range(n)]
    mailer = SmtpMailer("127.0.0.1", port, "Alumni <alumni@example.org>", timeout=10)
    start = time.perf_counter()
    for email in emails:
        await mailer.send(email)
    ours = rate(n, time.perf_counter() - start)
    prebuilt = [to_mime(e, "Alumni <alumni@example.org>") for e in emails]
    start = time.perf_counter()
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10) as smtp:
        for message in prebuilt:
            await smtp.send_message(message)
    raw = rate(n, time.perf_counter() - start)
    server.close()
    await server.wait_closed()
    return ours, raw, len(mailbox.messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    n = parser.parse_args().messages
    ours, raw = bench_render(n)
    print(f"render  ours {ours:,.0f}/s  raw (text only) {raw:,.0f}/s  ratio {ours / raw:.2f}x")
    ours, raw, received = asyncio.run(bench_send(n))
    print(f"send    ours {ours:,.0f}/s  raw (one connection, prebuilt) {raw:,.0f}/s  ratio {ours / raw:.2f}x  "
          f"(sink received {received} = 2 x {n})")


if __name__ == "__main__":
    main()
