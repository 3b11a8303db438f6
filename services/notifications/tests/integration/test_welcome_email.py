"""member_registered → welcome email over real SMTP, with real NATS and database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from aiosmtpd.smtp import SMTP
from nats.js import JetStreamContext

from alumni_contracts import naming
from alumni_contracts.notifications.v1 import NotificationSent
from alumni_local.smtp_sink import Mailbox, SinkHandler
from notifications_service.adapters.mongo_repository import NOTIFICATIONS
from notifications_service.bootstrap import build
from notifications_service.config import NotificationsSettings
from servicekit.devservers import free_port
from servicekit.runtime import ServiceHost
from servicekit.testing.factories import member_registered_event
from servicekit.testing.recorder import EventRecorder
from servicekit.topology import TopologySettings

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def smtp_sink() -> AsyncIterator[tuple[Mailbox, int]]:
    mailbox = Mailbox(None)
    port = free_port()
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(SinkHandler(mailbox)), "127.0.0.1", port)
    yield mailbox, port
    server.close()
    await server.wait_closed()


@pytest_asyncio.fixture
async def notifications(nats_url: str, mongo_uri: str, db_name: str, mongo_client: Any, topology: TopologySettings,
                        smtp_sink: tuple[Mailbox, int]) -> AsyncIterator[ServiceHost]:
    settings = NotificationsSettings(nats_url=nats_url, mongo_uri=mongo_uri, mongo_db=db_name, smtp_port=smtp_sink[1],
                                     http_port=0, delivery_poll_seconds=0.2, relay_poll_seconds=0.2)
    host = ServiceHost("notifications", settings, build)
    await host.start()
    yield host
    await host.stop()
    await mongo_client.drop_database(db_name)


async def wait_for_mail(mailbox: Mailbox, count: int, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while len(mailbox.messages) < count:
        assert asyncio.get_running_loop().time() < deadline, f"{len(mailbox.messages)}/{count} emails"
        await asyncio.sleep(0.05)


async def test_member_registered_sends_one_welcome_email_and_announces_it(
        notifications: ServiceHost, smtp_sink: tuple[Mailbox, int], js: JetStreamContext,
        event_recorder: EventRecorder, mongo_client: Any, db_name: str) -> None:
    mailbox, _ = smtp_sink
    event = member_registered_event(member_id="m42")
    await js.publish(event.nats_subject(), event.to_json(), headers={naming.HEADER_MSG_ID: event.id})
    # Redelivery of the same event (a replay past JetStream's dedup window) must not send again.
    await js.publish(event.nats_subject(), event.to_json(), headers={naming.HEADER_MSG_ID: "replay-" + event.id})
    await wait_for_mail(mailbox, 1)
    [sent] = await event_recorder.wait_for(NotificationSent)
    await asyncio.sleep(0.5)
    assert len(mailbox.messages) == 1
    mail = mailbox.messages[0]
    assert mail["to"] == ["m42@example.org"] and mail["subject"].startswith("Bienvenue")
    assert mail["message_id"] == f"<welcome-{event.id}@alumni.local>" and mail["language"] == "fr"
    assert sent.data.notification_id == f"welcome-{event.id}" and sent.data.member_id == "m42"
    stored = await mongo_client[db_name][NOTIFICATIONS].find_one({"_id": f"welcome-{event.id}"})
    assert stored["notification_status"] == "sent" and stored["status"] == "done"


async def test_smtp_outage_delays_but_does_not_lose_the_email(
        nats_url: str, mongo_uri: str, db_name: str, mongo_client: Any, topology: TopologySettings,
        js: JetStreamContext) -> None:
    port = free_port()  # nothing listens yet
    settings = NotificationsSettings(nats_url=nats_url, mongo_uri=mongo_uri, mongo_db=db_name, smtp_port=port,
                                     http_port=0, delivery_poll_seconds=0.2, smtp_timeout=1)
    host = ServiceHost("notifications", settings, build)
    await host.start()
    try:
        event = member_registered_event(member_id="m7")
        await js.publish(event.nats_subject(), event.to_json(), headers={naming.HEADER_MSG_ID: event.id})
        col = mongo_client[db_name][NOTIFICATIONS]
        for _ in range(100):
            doc = await col.find_one({})
            if doc and doc["attempts"] >= 1:
                break
            await asyncio.sleep(0.05)
        assert doc and doc["attempts"] == 1 and doc["notification_status"] == "pending" and doc["last_error"]
        mailbox = Mailbox(None)
        server = await asyncio.get_running_loop().create_server(lambda: SMTP(SinkHandler(mailbox)), "127.0.0.1", port)
        # Skip the remaining backoff rather than wait for it.
        await col.update_one({"_id": doc["_id"]}, {"$set": {"next_attempt_at": datetime(2000, 1, 1, tzinfo=UTC)}})
        await wait_for_mail(mailbox, 1)
        server.close()
    finally:
        await host.stop()
        await mongo_client.drop_database(db_name)
