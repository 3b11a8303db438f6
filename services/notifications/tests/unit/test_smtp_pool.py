"""The mailer's SMTP pool (persistent sessions per tenant) with a fake SMTP session, and the
delivery round's batching (concurrent sends, chunked settling) through the handlers with fakes."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import pytest

from notifications_service.adapters.smtp import SmtpMailer
from notifications_service.domain.model import Notification, OutgoingEmail, Status
from notifications_service.service_layer import handlers
from notifications_service.service_layer.ports import RecipientDeferred, RecipientRefused

from .test_welcome import FakeNotificationsUnitOfWork, Store


class FakeServer:
    """Sessions that record what they carried; failures injected per call."""

    def __init__(self) -> None:
        self.sessions: list[FakeSession] = []
        self.accepted: list[str] = []  # Message-IDs, in order
        self.refuse_connect = False
        self.fail_data_once: set[str] = set()  # Message-IDs whose DATA loses the connection once
        self.in_flight = self.most_in_flight = 0
        self.delay = 0.0

    def factory(self) -> FakeSession:
        session = FakeSession(self)
        self.sessions.append(session)
        return session


class FakeSession:
    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.connected = False
        self.quit_called = self.noops = 0
        self.noop_fails = False

    @property
    def is_connected(self) -> bool:
        return self.connected

    async def connect(self) -> Any:
        if self.server.refuse_connect:
            raise aiosmtplib.SMTPConnectError("connection refused")
        self.connected = True

    async def noop(self) -> Any:
        self.noops += 1
        if self.noop_fails:
            self.connected = False
            raise aiosmtplib.SMTPServerDisconnected("gone")

    async def send_message(self, message: EmailMessage) -> Any:
        assert self.connected
        server = self.server
        server.in_flight += 1
        server.most_in_flight = max(server.most_in_flight, server.in_flight)
        try:
            await asyncio.sleep(server.delay)
            to = str(message["To"])
            if to.startswith("bounce"):
                raise aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "no such user", to)])
            if to.startswith("deferred"):
                raise aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(451, "mailbox full", to)])
            message_id = str(message["Message-ID"])
            if message_id in server.fail_data_once:
                server.fail_data_once.discard(message_id)
                self.connected = False
                raise aiosmtplib.SMTPServerDisconnected("connection lost during DATA")
            server.accepted.append(message_id)
        finally:
            server.in_flight -= 1

    async def quit(self) -> Any:
        self.quit_called += 1
        self.connected = False

    def close(self) -> None:
        self.connected = False


def email(i: int, to: str | None = None) -> OutgoingEmail:
    return OutgoingEmail(to=to or f"m{i}@example.org", subject="S", body_text="T", locale="fr",
                         message_id=f"<nl-{i}@alumni.test>")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def mailer(server: FakeServer, clock: Clock | None = None, **options: Any) -> SmtpMailer:
    return SmtpMailer("smtp.test", 25, "Alumni <a@example.org>", connection_factory=server.factory,
                      clock=clock or Clock(), **options)


async def test_many_messages_share_a_few_sessions_per_tenant() -> None:
    server = FakeServer()
    server.delay = 0.001
    pool = mailer(server, pool_size=3)
    await asyncio.gather(*(pool.send(email(i), "demo") for i in range(60)))
    assert len(server.accepted) == 60 and len(set(server.accepted)) == 60
    assert pool.stats.connects <= 3 and server.most_in_flight <= 3, "at most pool_size sessions, each exclusive"
    await pool.send(email(99), "other")
    assert pool.stats.connects <= 4, "another tenant gets its own session"
    await pool.close()
    assert all(not s.connected for s in server.sessions), "close QUITs the idle sessions"


async def test_a_session_is_renewed_after_its_message_limit() -> None:
    server = FakeServer()
    pool = mailer(server, pool_size=1, max_messages_per_connection=10)
    for i in range(25):
        await pool.send(email(i), "demo")
    assert pool.stats.connects == 3
    assert [s.quit_called for s in server.sessions] == [1, 1, 0], "a full session is QUIT, not dropped"


async def test_a_dead_idle_session_is_replaced_before_mail_from() -> None:
    server = FakeServer()
    clock = Clock()
    pool = mailer(server, clock, pool_size=1, check_idle_seconds=2.0, idle_seconds=30.0)
    await pool.send(email(1), "demo")
    clock.now = 1.0
    await pool.send(email(2), "demo")
    assert server.sessions[0].noops == 0, "a session used a moment ago is not probed"
    clock.now = 10.0
    server.sessions[0].noop_fails = True  # the server closed it meanwhile
    await pool.send(email(3), "demo")
    assert pool.stats.connects == 2 and pool.stats.reconnects == 1
    assert server.accepted == ["<nl-1@alumni.test>", "<nl-2@alumni.test>", "<nl-3@alumni.test>"]
    clock.now = 100.0  # past idle_seconds: closed without a probe, a fresh one opened
    await pool.send(email(4), "demo")
    assert pool.stats.connects == 3 and server.sessions[1].noops == 0


async def test_a_lost_connection_during_data_raises_and_the_next_send_reconnects() -> None:
    server = FakeServer()
    pool = mailer(server, pool_size=1)
    await pool.send(email(1), "demo")
    server.fail_data_once.add("<nl-2@alumni.test>")
    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await pool.send(email(2), "demo")  # ambiguous: the worker retries it later, same Message-ID
    await pool.send(email(2), "demo")
    assert pool.stats.connects == 2 and pool.stats.discarded == 1
    assert server.accepted == ["<nl-1@alumni.test>", "<nl-2@alumni.test>"]


async def test_refusals_are_bounces_and_keep_the_session() -> None:
    server = FakeServer()
    pool = mailer(server, pool_size=1)
    with pytest.raises(RecipientRefused):
        await pool.send(email(1, "bounce@example.org"), "demo")
    with pytest.raises(RecipientDeferred):
        await pool.send(email(2, "deferred@example.org"), "demo")
    await pool.send(email(3), "demo")
    assert pool.stats.connects == 1 and server.accepted == ["<nl-3@alumni.test>"]


async def test_a_server_down_fails_fast_and_frees_the_slot() -> None:
    server = FakeServer()
    server.refuse_connect = True
    pool = mailer(server, pool_size=1)
    for i in range(3):
        with pytest.raises(aiosmtplib.SMTPConnectError):
            await pool.send(email(i), "demo")
    server.refuse_connect = False
    await asyncio.wait_for(pool.send(email(9), "demo"), 5)
    assert server.accepted == ["<nl-9@alumni.test>"]


# -- the delivery round ---------------------------------------------------------------------------

def queued(store: Store, n: int, *, prefix: str = "nl", to: str | None = None, marketing: bool = True) -> None:
    for i in range(n):
        key = f"newsletter-{prefix}-{i:03d}"
        store.notifications[key] = Notification(
            id=key, tenant="demo", member_id=f"m{i}", template="newsletter",
            email=OutgoingEmail(to=to or f"m{i}@example.org", subject="S", body_text="T", locale="fr",
                                message_id=f"<{key}@alumni.test>", marketing=marketing),
            cause_event_id="nl-1", correlation_id="flow-nl-1", about="nl-1")


async def test_a_round_sends_concurrently_and_settles_in_chunks() -> None:
    store = Store()
    queued(store, 60)
    server = FakeServer()
    server.delay = 0.001
    pool = mailer(server, pool_size=4)
    uows: list[FakeNotificationsUnitOfWork] = []

    def uow() -> FakeNotificationsUnitOfWork:
        uows.append(FakeNotificationsUnitOfWork(store))
        return uows[-1]

    settled = await handlers.deliver_due(store, pool, uow, batch_size=100, max_attempts=3, concurrency=4,
                                         settle_every=25)
    assert settled == 60 and sorted(server.accepted) == sorted(f"<{k}@alumni.test>" for k in store.notifications)
    assert store.bulk_settles == [25, 25, 10], "one write per chunk of one flow"
    assert 1 < server.most_in_flight <= 4 and pool.stats.connects <= 4
    events = [e for u in uows for e in u.published]
    assert len(events) == 60 and {e.correlationid for e in events} == {"flow-nl-1"}
    assert {e.causationid for e in events} == {"nl-1"}
    assert all(n.status is Status.SENT for n in store.notifications.values())


async def test_transactional_messages_are_sent_one_at_a_time_each_recorded_before_the_next() -> None:
    """A welcome or a receipt keeps the one-message crash window: never two accepted by SMTP and
    not yet recorded."""
    store = Store()
    queued(store, 6, prefix="tx", marketing=False)
    server = FakeServer()
    server.delay = 0.001
    pool = mailer(server, pool_size=4)
    accepted_when_recorded: list[int] = []
    real_settle = handlers._settle_chunk

    async def settle(outcomes: Any, *args: Any) -> int:
        accepted_when_recorded.append(len(server.accepted))
        return await real_settle(outcomes, *args)

    handlers._settle_chunk = settle  # type: ignore[assignment]
    try:
        settled = await handlers.deliver_due(store, pool, lambda: FakeNotificationsUnitOfWork(store), batch_size=10,
                                             max_attempts=3, concurrency=4, settle_every=25)
    finally:
        handlers._settle_chunk = real_settle  # type: ignore[assignment]
    assert settled == 6 and server.most_in_flight == 1
    assert accepted_when_recorded == [1, 2, 3, 4, 5, 6], "each recorded before the next is sent"


async def test_a_round_that_outlives_half_its_lease_gives_the_rest_back() -> None:
    store = Store()
    queued(store, 10)
    server = FakeServer()
    pool = mailer(server, pool_size=1)
    clock = Clock()

    class Slow:
        async def wait(self, tenant: str) -> None:
            clock.now += 4.0  # a rate-limited tenant: 4 s a message

    settled = await handlers.deliver_due(store, pool, lambda: FakeNotificationsUnitOfWork(store), batch_size=10,
                                         max_attempts=3, rate=Slow(), lease_seconds=20.0, monotonic=clock)
    assert settled == len(server.accepted) == 3, "sent until half the lease (10 s) was spent"
    assert store.released == [f"newsletter-nl-{i:03d}" for i in range(3, 10)]


async def test_a_failing_session_retries_only_its_message_later() -> None:
    store = Store()
    queued(store, 5)
    server = FakeServer()
    server.fail_data_once.add("<newsletter-nl-002@alumni.test>")
    pool = mailer(server, pool_size=2)
    settled = await handlers.deliver_due(store, pool, lambda: FakeNotificationsUnitOfWork(store), batch_size=10,
                                         max_attempts=3, concurrency=2)
    assert settled == 4 and [r[:2] for r in store.retries] == [("newsletter-nl-002", 1)]
    assert store.notifications["newsletter-nl-002"].status is Status.PENDING


# -- newsletter figures: unsubscribes counted as they happen --------------------------------------

async def test_a_newsletter_consent_withdrawal_counts_once_for_the_last_newsletter_sent() -> None:
    from datetime import UTC, datetime, timedelta

    from notifications_service.service_layer.commands import RecordConsentState

    store = Store()
    queued(store, 2)
    older, last = store.notifications["newsletter-nl-000"], store.notifications["newsletter-nl-001"]
    for n, at in ((older, datetime(2026, 11, 1, tzinfo=UTC)), (last, datetime(2026, 12, 1, tzinfo=UTC))):
        n.member_id, n.about = "m1", f"about-{n.id}"
        n.mark_sent(at)
    store.contacts["m1"] = {"email": "m1@example.org", "consents": {"newsletter": True}, "contactable": True}

    async def consent(version: int, granted: bool) -> None:
        await handlers.record_consent_state(RecordConsentState("demo", "m1", version, "newsletter", granted),
                                            FakeNotificationsUnitOfWork(store))

    await consent(2, False)
    assert store.unsubscribed_after == {last.id}, "attributed to the last newsletter sent"
    await consent(2, False)  # a redelivery
    await consent(3, True)
    await consent(4, False)  # withdrawn again without a newer newsletter: that message counted already
    assert store.unsubscribed_after == {last.id}
    await consent(5, False)  # already withdrawn: not a new unsubscribe
    assert store.unsubscribed_after == {last.id}
    assert timedelta(0) < last.sent_at - older.sent_at  # type: ignore[operator]
