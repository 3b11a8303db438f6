"""Benchmark: a newsletter to N recipients (default 100,000) into the local SMTP sink, through
the real code path — the resumable fan-out over the audience projection (one transaction per
batch: messages rendered per member in their language with List-Unsubscribe, queued under
their delivery key) and the mailer worker (claim under a lease, send over SMTP with
aiosmtplib, record `sent` and `notification_sent`) running concurrently, as in the service.

Baselines, same sink, same run: a raw `aiosmtplib.send` loop of the same rendered message
(one connection per message, as the mailer sends), and a raw loop on one persistent
connection. Duplicates: Message-IDs seen more than once by the sink (must be 0).

Usage: python bench/newsletter_fanout.py [--recipients N] [--batch 200] [--mongo-uri URI]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any

import aiosmtplib
from benchservers import servers

from notifications_service.adapters.markdown import MarkdownRenderer
from notifications_service.adapters.mongo_repository import INDEXES, MongoDeliveryQueue
from notifications_service.adapters.newsletters import NEWSLETTER_INDEXES, MongoNewslettersUnitOfWork, figures_reader
from notifications_service.adapters.smtp import SmtpMailer, to_mime
from notifications_service.adapters.templates import JinjaRenderer
from notifications_service.bootstrap import composer_for
from notifications_service.config import NotificationsSettings
from notifications_service.domain.model import OutgoingEmail
from notifications_service.domain.newsletters import Content, Newsletter
from notifications_service.domain.preferences import Category
from notifications_service.entrypoints.mailer_worker import mailer_worker
from notifications_service.service_layer import newsletters
from notifications_service.service_layer.contract_mapping import to_contract
from notifications_service.service_layer.mailer import Message
from servicekit.devservers import free_port, wait_for_port
from servicekit.mongo import create_client, ensure_indexes
from servicekit.segments import AUDIENCE, AUDIENCE_INDEXES

DB = "bench_newsletter"
TENANT = "bench"
BODY = ("## Bonjour à toute la promo 2016\n\nPour fêter vos **dix ans**, le gala a lieu le **13 juin** à Paris.\n\n"
        "- Dîner et soirée\n- Visite du campus\n\nÀ très vite,\nL'équipe alumni")


def members(start: int, stop: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    aud, contacts = [], []
    for i in range(start, stop):
        mid, locale = f"m{i:07d}", "en" if i % 3 == 0 else "fr"
        aud.append({"_id": mid, "tenant": TENANT, "known": True, "profile_v": 1, "first_name": "Zoé",
                    "last_name": "Martin", "email": f"{mid}@example.org", "locale": locale, "email_bounced": False,
                    "deceased": False, "contactable": True, "groups": [], "ambassador": False,
                    "membership_state": None, "consents": {"newsletter": {"granted": True, "v": 2}},
                    "cohorts": [{"program": "MSc Finance", "program_key": "msc finance", "graduation_year": 2016}]})
        contacts.append({"_id": mid, "tenant": TENANT, "email": f"{mid}@example.org", "locale": locale,
                         "first_name": "Zoé", "last_name": "Martin", "contactable": True,
                         "consents": {"newsletter": True}})
    return aud, contacts


class SinkReader:
    """Counts the sink's Message-IDs by reading only what its JSON-lines store gained since the
    last call (at 100,000 messages the store is ~1 GB: re-reading it every poll would load the
    machine more than the run it measures)."""

    def __init__(self, store: Path, prefix: str) -> None:
        self._store, self._prefix, self._offset = store, prefix, 0
        self.ids: Counter[str] = Counter()

    def poll(self) -> int:
        if self._store.exists():
            with self._store.open("rb") as fh:
                fh.seek(self._offset)
                data = fh.read()
            end = data.rfind(b"\n") + 1  # whole lines only
            self._offset += end
            for line in data[:end].splitlines():
                if line.strip():
                    mid = json.loads(line)["message_id"]
                    if mid.startswith(self._prefix):
                        self.ids[mid] += 1
        return sum(self.ids.values())


async def wait_for_sink(reader: SinkReader, want: int, timeout: float) -> Counter[str]:
    started = time.monotonic()
    deadline, report = started + timeout, started + 30
    while True:
        total = reader.poll()
        if total >= want:
            return reader.ids
        if time.monotonic() > report:  # progress, so that a run cut short still tells its rate
            report += 30
            elapsed = time.monotonic() - started
            print(f"progress: {total:,} in the sink after {elapsed:.0f} s ({total / elapsed:.0f}/s since the fan-out "
                  f"ended), load average {os.getloadavg()[0]:.1f}", flush=True)
        if time.monotonic() > deadline:
            raise TimeoutError(f"{total}/{want} messages in the sink")
        await asyncio.sleep(1.0)


async def run(uri: str, n: int, batch: int, smtp_port: int, store: Path, raw: int) -> None:
    client = create_client(uri, "bench")
    db = client[DB]
    await client.drop_database(DB)
    await ensure_indexes(db, [*INDEXES, *AUDIENCE_INDEXES, *NEWSLETTER_INDEXES])
    for start in range(0, n, 5000):
        aud, contacts = members(start, min(n, start + 5000))
        await db[AUDIENCE].insert_many(aud)
        await db["contacts"].insert_many(contacts)
    settings = NotificationsSettings(smtp_port=smtp_port, send_rate_per_tenant=0)
    renderer, markdown = JinjaRenderer(), MarkdownRenderer()
    composer = composer_for(renderer, settings)

    def uow() -> MongoNewslettersUnitOfWork:
        return MongoNewslettersUnitOfWork(client, DB, partial(newsletters.newsletter_contract, fallback=to_contract),
                                          None, 60.0)

    newsletter = Newsletter.draft(tenant=TENANT, content=Content({"fr": "Promo 2016 : dix ans", "en": "Class of 2016"},
                                                                 {"fr": BODY, "en": BODY}),
                                  segment={"cohort_years": [2016], "consent_purpose": "newsletter"}, by="bench",
                                  now=datetime.now(UTC))
    newsletter.schedule(None, datetime.now(UTC))
    async with uow() as u:
        await u.newsletters.add(newsletter)
        await u.commit()
    mailer = SmtpMailer("127.0.0.1", smtp_port, settings.mail_from, timeout=30, pool_size=settings.smtp_pool_size,
                        max_messages_per_connection=settings.smtp_max_messages_per_connection)
    worker = mailer_worker(MongoDeliveryQueue(db, 60.0), mailer, uow, batch_size=settings.delivery_batch_size,
                           max_attempts=5, poll_seconds=0.2, concurrency=mailer.pool_size,
                           settle_every=settings.delivery_settle_every, lease_seconds=60.0)
    prefix = f"<nl-{newsletter.id}-"
    # Raw baselines, before and after ours (the machine's load drifts): the same rendered message
    # a member gets, to the same sink.
    brand = composer.brand(TENANT)
    values = newsletters.message_values(newsletter, "fr", markdown, brand.name)
    sample = composer.email(Message(tenant=TENANT, member_id="m0000001", kind="newsletter",
                                            category=Category.NEWSLETTERS, marketing=True, cause=newsletter.id,
                                            per_member=True, values=values), "m0000001@example.org", "fr",
                                    "raw-sample", {**values, "first_name": "Zoé", "last_name": "Martin"})
    before = await raw_baselines(sample, "before", min(n, raw), smtp_port, mailer.pool_size)
    load_before_ours = os.getloadavg()[0]
    started = time.perf_counter()
    task = asyncio.create_task(worker.run())
    backpressure = newsletters.Backpressure(figures_reader(db), settings.newsletter_max_pending)
    result = await newsletters.fan_out(TENANT, newsletter.id, uow, composer, markdown, batch, worker.wake,
                                       backpressure=backpressure)
    fanned = time.perf_counter() - started
    ids = await wait_for_sink(SinkReader(store, prefix), n, timeout=max(600, n / 5))
    ours = time.perf_counter() - started
    worker.stop()
    await task
    duplicates = sum(c - 1 for c in ids.values())
    assert result.queued == n and len(ids) == n, (result, len(ids))

    load_after_ours = os.getloadavg()[0]
    after = await raw_baselines(sample, "after", min(n, raw), smtp_port, mailer.pool_size)
    rate = n / ours
    print(f"recipients: {n:,}  fan-out batches of {batch}: {result.batches}")
    print(f"ours (fan-out + delivery, concurrent): {ours:.1f} s = {rate:.0f} messages/s "
          f"(fan-out alone done after {fanned:.1f} s = {n / fanned:.0f}/s); load average "
          f"{load_before_ours:.1f} → {load_after_ours:.1f}")
    names = ["raw aiosmtplib.send loop, connection per message", "raw loop on one persistent connection",
             f"raw loop on {mailer.pool_size} concurrent persistent connections"]
    for name, x, y in zip(names, before, after, strict=True):
        mean = (x + y) / 2
        print(f"{name} ({min(n, raw):,} messages before and after ours): {x:.0f}/s, {y:.0f}/s, mean {mean:.0f}/s "
              f"→ ratio {rate / mean:.2f}x")
    print(f"SMTP sessions opened by the mailer: {mailer.stats.connects} ({mailer.stats.sent:,} messages; "
          f"{mailer.stats.discarded} discarded after an error)")
    print(f"duplicates (same Message-ID twice in the sink): {duplicates}")
    figures = await db["newsletter_figures"].find_one({"_id": newsletter.id})
    print(f"figures counters: {figures}")
    await client.drop_database(DB)
    await client.close()


async def raw_baselines(sample: OutgoingEmail, tag: str, raw_n: int, smtp_port: int, pool: int
                        ) -> tuple[float, float, float]:
    """Messages/s of three raw aiosmtplib loops: a connection per message, one persistent
    connection, `pool` concurrent persistent connections (each message built as the mailer does)."""
    def copy(mid: str) -> EmailMessage:
        return to_mime(replace(sample, message_id=mid), "Alumni <alumni@localhost>")

    started = time.perf_counter()
    for i in range(raw_n):
        await aiosmtplib.send(copy(f"<raw-{tag}-{i}@bench>"), hostname="127.0.0.1", port=smtp_port, timeout=30)
    each = raw_n / (time.perf_counter() - started)
    started = time.perf_counter()
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port, timeout=30) as smtp:
        for i in range(raw_n):
            await smtp.send_message(copy(f"<raw-keep-{tag}-{i}@bench>"))
    keep = raw_n / (time.perf_counter() - started)

    async def session(k: int, count: int) -> None:
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port, timeout=30) as smtp:
            for i in range(count):
                await smtp.send_message(copy(f"<raw-pool-{tag}-{k}-{i}@bench>"))

    started = time.perf_counter()
    await asyncio.gather(*(session(k, raw_n // pool) for k in range(pool)))
    pooled = (raw_n // pool * pool) / (time.perf_counter() - started)
    return each, keep, pooled


def to_mime_email(doc: dict[str, Any]) -> Any:
    from notifications_service.adapters.mongo_repository import from_document

    notification = from_document(doc)
    assert notification.email is not None
    return to_mime(notification.email, "alumni@localhost")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--raw", type=int, default=5000, help="messages per raw baseline loop")
    parser.add_argument("--mongo-uri")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, servers(args.mongo_uri, None, with_nats=False) as (uri, _):
        store = Path(tmp) / "mailbox.jsonl"
        smtp_port, http_port = free_port(), free_port()
        sink = subprocess.Popen([sys.executable, "-m", "alumni_local.smtp_sink", "--smtp-port", str(smtp_port),
                                 "--http-port", str(http_port), "--store", str(store)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(smtp_port, 30, sink)
            asyncio.run(run(uri, args.recipients, args.batch, smtp_port, store, args.raw))
        finally:
            sink.terminate()
            sink.wait(10)


if __name__ == "__main__":
    main()
