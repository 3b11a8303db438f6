"""Newsletters through the service's request/reply API with real NATS, the stand-in and an
SMTP sink: bad input, preview, send now, the fan-out to the segment's consenting members only,
figures, idempotent re-runs, another tenant's manager; and a SIGKILL of the notifications
process in the middle of a 2,000-recipient send that still delivers every Message-ID."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio
from aiosmtpd.smtp import SMTP
from nats.aio.client import Client as NatsClient
from pymongo import AsyncMongoClient

from alumni_contracts import naming
from alumni_contracts.notifications import commands as ncmd
from alumni_contracts.notifications import newsletters as nl
from alumni_contracts.rpc import Principal, Reply, Role
from alumni_local.smtp_sink import Mailbox, SinkHandler
from gateway_service.adapters.bus import NatsBus
from notifications_service.adapters.newsletters import NEWSLETTERS
from notifications_service.bootstrap import build
from notifications_service.config import NotificationsSettings
from notifications_service.domain.newsletters import delivery_key
from servicekit.devservers import free_port, start_secantus
from servicekit.runtime import ServiceHost
from servicekit.segments import AUDIENCE
from servicekit.topology import TopologySettings

pytestmark = pytest.mark.integration
MANAGER = Principal(tenant="demo", subject="staff-1", roles=frozenset({Role.MANAGER}))
OTHER_MANAGER = Principal(tenant="other", subject="staff-9", roles=frozenset({Role.MANAGER}))
VISITOR = Principal(tenant="demo", subject="unsubscribe-link", roles=frozenset({Role.PUBLIC}))  # as the gateway sets it
ALUMNUS = Principal(tenant="demo", subject="al-1", member_id="demo-00001", roles=frozenset({Role.ALUMNUS}))


def member_docs(tenant: str, n: int, *, year: int = 2016, consent: bool = True, start: int = 0,
                **audience: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Audience and contact documents as the two projections hold them after the members' events."""
    aud, contacts = [], []
    for i in range(start, start + n):
        mid = f"{tenant}-{i:05d}"
        locale = "en" if i % 3 == 0 else "fr"
        email = f"{mid}@example.org"
        aud.append({"_id": mid, "tenant": tenant, "known": True, "profile_v": 1, "first_name": f"P{i}",
                    "last_name": "Test", "email": email, "locale": locale, "email_bounced": False, "deceased": False,
                    "cohorts": [{"program": "MSc Finance", "program_key": "msc finance", "graduation_year": year}],
                    "city": "Lyon", "city_key": "lyon", "country": "FR", "groups": [], "ambassador": False,
                    "membership_state": None, "consents": {"newsletter": {"granted": consent, "v": 2}},
                    "contactable": True, **audience})
        contacts.append({"_id": mid, "tenant": tenant, "email": email, "locale": locale, "first_name": f"P{i}",
                         "last_name": "Test", "contactable": True, "consents": {"newsletter": consent},
                         "profile_version": 1})
    return aud, contacts


async def seed(db: Any, *groups: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    for aud, contacts in groups:
        await db[AUDIENCE].insert_many(aud)
        await db["contacts"].insert_many(contacts)


async def ask(bus: NatsBus, name: str, payload: Any, who: Principal = MANAGER, command: bool = True,
              key: str | None = None) -> Reply:
    subject = (naming.command_subject if command else naming.query_subject)("notifications", name)
    return await bus.request(subject, payload, who, "corr-nl", key)


CONTENT = {"subject_fr": "Les nouvelles de la promo", "body_fr": "## Bonjour\n\nLe gala a lieu le **12 juin**. "
           "<script>alert(1)</script>", "subject_en": "Class news", "body_en": "## Hello\n\nThe gala is on **12 June**."}


async def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


@pytest_asyncio.fixture
async def sink() -> AsyncIterator[tuple[Mailbox, int]]:
    mailbox = Mailbox(None)
    port = free_port()
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(SinkHandler(mailbox)), "127.0.0.1", port)
    yield mailbox, port
    server.close()
    await server.wait_closed()


@pytest_asyncio.fixture
async def bus(nats_url: str) -> AsyncIterator[NatsBus]:
    nc = NatsClient()
    await nc.connect(nats_url)
    yield NatsBus(nc, timeout=20)
    await nc.drain()


async def test_compose_preview_send_and_figures(nats_url: str, mongo_uri: str, db_name: str, mongo_client: Any,
                                               topology: TopologySettings, sink: tuple[Mailbox, int],
                                               bus: NatsBus) -> None:
    db = mongo_client[db_name]
    await seed(db, member_docs("demo", 30), member_docs("demo", 5, consent=False, start=100),
               member_docs("demo", 4, year=2012, start=200), member_docs("demo", 3, start=300, contactable=False),
               member_docs("other", 6))
    settings = NotificationsSettings(nats_url=nats_url, mongo_uri=mongo_uri, mongo_db=db_name, smtp_port=sink[1],
                                     http_port=0, delivery_poll_seconds=0.2, relay_poll_seconds=0.2,
                                     send_rate_per_tenant=0, newsletter_batch_size=7, newsletter_sweep_seconds=0.5)
    host = ServiceHost("notifications", settings, build)
    await host.start()
    try:
        # Bad input: a segment with an unknown field, a consent other than newsletters, half a language.
        for bad in ({**CONTENT, "segment": {"cohort_years": [2016], "colour": "red"}},
                    {**CONTENT, "segment": {"consent_purpose": "partners"}},
                    {"subject_fr": "Sans corps", "segment": {}}):
            reply = await bus.request(naming.command_subject("notifications", nl.CREATE_NEWSLETTER),
                                      _Raw(bad), MANAGER, "corr-bad")
            assert not reply.ok and reply.problem is not None and reply.problem.status == 422, reply
        body = nl.CreateNewsletter.model_validate({**CONTENT, "segment": {"cohort_years": [2016]}})
        assert not (await ask(bus, nl.CREATE_NEWSLETTER, body, ALUMNUS)).ok, "staff only"
        created = await ask(bus, nl.CREATE_NEWSLETTER, body, key="nl-1")
        assert created.ok, created
        again = await ask(bus, nl.CREATE_NEWSLETTER, body, key="nl-1")
        assert again.result == created.result, "an Idempotency-Key replays the first reply"
        newsletter_id = created.result["newsletter_id"]
        assert created.result["status"] == "draft"

        preview = await ask(bus, nl.PREVIEW_NEWSLETTER, nl.PreviewNewsletter(newsletter_id=newsletter_id,
                                                                            locale="en"), command=False)
        assert preview.ok, preview
        p = preview.result
        assert (p["recipients"], p["in_segment"]) == (30, 33), "consenting, 2016, reachable"
        assert p["subject"] == "Class news" and "<strong>12 June</strong>" in p["html"]
        fr = (await ask(bus, nl.PREVIEW_NEWSLETTER, nl.PreviewNewsletter(newsletter_id=newsletter_id),
                        command=False)).result
        assert "<script>" not in fr["html"] and "&lt;script&gt;" in fr["html"], "raw HTML is shown as text"

        # Another tenant's manager does not see it; a past date is refused.
        hidden = await ask(bus, nl.GET_NEWSLETTER, nl.NewsletterRef(newsletter_id=newsletter_id), OTHER_MANAGER,
                           command=False)
        assert not hidden.ok and hidden.problem is not None and hidden.problem.status == 404
        past = await ask(bus, nl.SEND_NEWSLETTER, nl.SendNewsletter.model_validate(
            {"newsletter_id": newsletter_id, "send_at": "2020-01-01T00:00:00Z"}))
        assert not past.ok and past.problem is not None and past.problem.status == 422

        sent = await ask(bus, nl.SEND_NEWSLETTER, nl.SendNewsletter(newsletter_id=newsletter_id), key="send-1")
        assert sent.ok and sent.result["status"] in ("scheduled", "sending", "sent"), sent
        mailbox = sink[0]

        async def all_sent() -> bool:
            got = await ask(bus, nl.GET_NEWSLETTER, nl.NewsletterRef(newsletter_id=newsletter_id), command=False)
            return bool(got.result["status"] == "sent" and got.result["figures"]["sent"] == 30)

        await wait_until(all_sent, 30, "30 newsletters sent")
        ids = Counter(m["message_id"] for m in mailbox.messages)
        assert len(ids) == 30 and set(ids.values()) == {1}
        assert ids.keys() == {f"<{delivery_key(newsletter_id, f'demo-{i:05d}')}@alumni.local>" for i in range(30)}
        by_to = {m["to"][0]: m for m in mailbox.messages}
        assert by_to["demo-00000@example.org"]["subject"] == "Class news"  # locale en
        assert by_to["demo-00001@example.org"]["subject"] == "Les nouvelles de la promo"
        assert not any(m["to"][0].startswith("other-") for m in mailbox.messages)

        # Sending again is refused (it was sent), and a manual re-run of the fan-out queues nothing.
        again_send = await ask(bus, nl.SEND_NEWSLETTER, nl.SendNewsletter(newsletter_id=newsletter_id))
        assert not again_send.ok and again_send.problem is not None and again_send.problem.status == 409
        await db[NEWSLETTERS].update_one({"_id": newsletter_id}, {"$set": {"status": "sending", "cursor": None}})
        await wait_until(lambda: _status(db, newsletter_id, "sent"), 20, "the re-run")
        await asyncio.sleep(1.0)
        assert len(mailbox.messages) == 30, "each (newsletter, member) at most once"

        # A one-click unsubscribe from the email shows in the figures (counters kept as it happens,
        # not a scan of the newsletter's messages), once however often the link is used.
        link = by_to["demo-00003@example.org"]["list_unsubscribe"].strip("<>")
        token = parse_qs(urlsplit(link).query)["token"][0]
        for _ in range(2):
            done = await ask(bus, ncmd.UNSUBSCRIBE, ncmd.Unsubscribe(token=token), VISITOR)
            assert done.ok, done
        listed = await ask(bus, nl.LIST_NEWSLETTERS, nl.ListNewsletters(), command=False)
        [item] = listed.result["items"]
        assert item["figures"]["unsubscribed"] == 1 and item["figures"]["bounced"] == 0
        assert (item["figures"]["sent"], item["figures"]["pending"], item["figures"]["recipients"]) == (30, 0, 30)
        assert item["segment"]["cohort_years"] == [2016] and item["segment"]["consent_purpose"] == "newsletter"
    finally:
        await host.stop()
        await mongo_client.drop_database(db_name)


async def _status(db: Any, newsletter_id: str, status: str) -> bool:
    doc = await db[NEWSLETTERS].find_one({"_id": newsletter_id})
    return bool(doc and doc["status"] == status)


class _Raw(nl.NewsletterRef):
    """A request body sent as is (to show the service validates what the gateway would)."""

    def __init__(self, body: dict[str, Any]) -> None:
        object.__setattr__(self, "_body", body)

    def model_dump_json(self, **_: Any) -> str:  # type: ignore[override]
        import json

        return json.dumps(self._body)  # type: ignore[attr-defined]


# -- a notifications SIGKILL in the middle of a 2,000-recipient send --------------------------------

# The 2,000 (the mailer sends over persistent SMTP sessions and settles in chunks; the
# fan-out inserts in bulk): ~40-80 s on a loaded 2-core machine. ALUMNI_NEWSLETTER_CRASH_RECIPIENTS
# sets another size.
RECIPIENTS = int(os.environ.get("ALUMNI_NEWSLETTER_CRASH_RECIPIENTS", "2000"))
SETTLE_EVERY = 25


@pytest.fixture
def short_lived_mongo(tmp_path: Path) -> Iterator[str]:
    """A stand-in of our own whose transactions are reaped after 5 s (MongoDB's
    `transactionLifetimeLimitSeconds`; 60 s by default): a killed process's open transaction
    otherwise blocks the batch it was writing for a minute."""
    os.environ["SECANTUS_TRANSACTION_LIFETIME_SECONDS"] = "5"
    try:
        server = start_secantus(tmp_path / "mongo", log_dir=tmp_path)
    finally:
        del os.environ["SECANTUS_TRANSACTION_LIFETIME_SECONDS"]
    yield server.url
    server.stop()


def start_notifications(nats_url: str, mongo_uri: str, smtp_port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NOTIFICATIONS_NATS_URL": nats_url, "NOTIFICATIONS_MONGO_URI": mongo_uri,
           "NOTIFICATIONS_MONGO_DB": "crash_newsletter", "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
           "NOTIFICATIONS_HTTP_PORT": "0", "NOTIFICATIONS_SEND_RATE_PER_TENANT": "0",
           "NOTIFICATIONS_DELIVERY_LEASE_SECONDS": "3", "NOTIFICATIONS_DELIVERY_POLL_SECONDS": "0.2",
           "NOTIFICATIONS_NEWSLETTER_BATCH_SIZE": "100", "NOTIFICATIONS_NEWSLETTER_SWEEP_SECONDS": "0.5",
           "NOTIFICATIONS_DELIVERY_BATCH_SIZE": "100", "NOTIFICATIONS_DELIVERY_SETTLE_EVERY": str(SETTLE_EVERY),
           "NOTIFICATIONS_LOG_LEVEL": "INFO",
           "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "notifications_service"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


async def test_a_kill_in_the_middle_of_a_newsletter_send_delivers_each_message_id(
        nats_url: str, short_lived_mongo: str, topology: TopologySettings, sink: tuple[Mailbox, int],
        bus: NatsBus, tmp_path: Path) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(short_lived_mongo)
    db = client["crash_newsletter"]
    await seed(db, member_docs("demo", RECIPIENTS), member_docs("demo", 50, consent=False, start=5000))
    mailbox = sink[0]
    proc = start_notifications(nats_url, short_lived_mongo, sink[1], tmp_path / "notifications.log")
    try:
        body = nl.CreateNewsletter.model_validate({**CONTENT, "segment": {"cohort_years": [2016]}})

        async def answered() -> bool:
            reply = await ask(bus, nl.LIST_NEWSLETTERS, nl.ListNewsletters(), command=False)
            return reply.ok

        try:
            await wait_until(answered, 90, "notifications to start")
        except AssertionError:
            last = await ask(bus, nl.LIST_NEWSLETTERS, nl.ListNewsletters(), command=False)
            raise AssertionError(f"{proc.poll()} {last}: {(tmp_path / 'notifications.log').read_text()[-3000:]}") from None
        newsletter_id = (await ask(bus, nl.CREATE_NEWSLETTER, body)).result["newsletter_id"]
        assert (await ask(bus, nl.SEND_NEWSLETTER, nl.SendNewsletter(newsletter_id=newsletter_id))).ok

        async def some_sent() -> bool:
            return len(mailbox.messages) >= RECIPIENTS // 4

        started = time.monotonic()
        await wait_until(some_sent, 300, "the first quarter")
        os.killpg(proc.pid, signal.SIGKILL)  # in the middle: fan-out and mailer both mid-way
        proc.wait()
        killed_at = len(mailbox.messages)
        assert killed_at < RECIPIENTS
        proc = start_notifications(nats_url, short_lived_mongo, sink[1], tmp_path / "notifications.log")

        async def all_ids() -> bool:
            return len({m["message_id"] for m in mailbox.messages}) >= RECIPIENTS

        await wait_until(all_ids, 600, f"{RECIPIENTS} distinct Message-IDs")
        await wait_until(lambda: _status(db, newsletter_id, "sent"), 30, "the newsletter to be sent")
        await asyncio.sleep(1.0)
        ids = Counter(m["message_id"] for m in mailbox.messages)
        expected = {f"<{delivery_key(newsletter_id, f'demo-{i:05d}')}@alumni.local>" for i in range(RECIPIENTS)}
        assert set(ids) == expected, "every recipient, nobody else (non-consenting members excluded)"
        resent = sum(n - 1 for n in ids.values())
        # Only the SMTP-accepted-but-not-yet-recorded window may repeat (same Message-ID, receivers
        # deduplicate): at most the two chunks in flight (one being sent, one being settled).
        assert resent <= 2 * SETTLE_EVERY, f"{resent} re-sent"
        doc = await db[NEWSLETTERS].find_one({"_id": newsletter_id})
        assert doc["queued"] == RECIPIENTS
        # The figures' counters crossed the crash too: each message counted sent once.
        async def counted() -> bool:
            got = await ask(bus, nl.GET_NEWSLETTER, nl.NewsletterRef(newsletter_id=newsletter_id), command=False)
            figures = got.result["figures"]
            assert figures["sent"] <= RECIPIENTS, figures
            return bool(figures["sent"] == RECIPIENTS and figures["pending"] == 0)

        await wait_until(counted, 60, "the figures to count every message sent once")
        print(f"\n{RECIPIENTS} recipients: killed after {killed_at} deliveries; {resent} re-sent with the same "
              f"Message-ID; {time.monotonic() - started:.1f} s from the send")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)
        await client.close()
