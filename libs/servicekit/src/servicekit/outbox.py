"""Transactional outbox: records written with the business change, published by a relay.

The relay publishes each record to JetStream with `Nats-Msg-Id` = event id (FastStream does
not set it, and without it JetStream cannot deduplicate a re-publish after a crash), awaits
the PubAck, and marks the batch sent. It wakes as soon as a unit of work commits in this
process (`OutboxWakeup`); polling covers other processes and restarts — a `WorkLoop`. Failed publishes back off
exponentially per record; a lease keeps replicas from sending the same batch twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from nats.js import JetStreamContext
from pymongo.asynchronous.database import AsyncDatabase

from alumni_contracts import naming
from alumni_contracts.envelope import CloudEvent
from servicekit import metrics
from servicekit.leases import LeasedQueue, queue_fields, queue_indexes
from servicekit.logging import get_logger
from servicekit.mongo import Document, IndexSpec
from servicekit.retry import backoff_delay
from servicekit.settings import RelayConfig
from servicekit.worker import WorkLoop

OUTBOX = "outbox"
log = get_logger(__name__)


def outbox_indexes(retention_days: int) -> list[IndexSpec]:
    return [
        *queue_indexes(OUTBOX),
        # Sent records are kept a few days for inspection, then expire.
        IndexSpec(OUTBOX, [("sent_at", 1)], "outbox_sent_ttl",
                  options={"expireAfterSeconds": retention_days * 86400}),
    ]


def outbox_record(event: CloudEvent[Any]) -> Document:
    now = datetime.now(UTC)
    return {
        "_id": event.id,
        "tenant": event.tenant,
        "type": event.type,
        "subject": event.nats_subject(),
        # JSON text, not bytes: readable in the database, and searchable by an erasure.
        "payload": event.model_dump_json(),
        "correlation_id": event.correlationid,
        "created_at": now,
        "sent_at": None,
        **queue_fields(now),
    }


class OutboxWakeup:
    """In-process signal from a committing unit of work to the loops that publish its outbox."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def notify(self) -> None:
        for listener in self._listeners:
            listener()


class OutboxRelay:
    """The outbox's `WorkLoop` (`outbox-relay`): a full batch runs the next round at once."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        js: JetStreamContext,
        config: RelayConfig,
        wakeup: OutboxWakeup,
        service: str,
    ) -> None:
        self._queue = LeasedQueue(db[OUTBOX], config.relay_lease_seconds)
        self._js = js
        self._config = config
        self._service = service
        self.loop = WorkLoop(service, "outbox-relay", self.publish_pending, poll_seconds=config.relay_poll_seconds,
                             busy_at=config.relay_batch_size)
        wakeup.subscribe(self.loop.wake)
        self.published = 0

    async def run(self) -> None:
        await self.loop.run()

    def stop(self) -> None:
        """The batch in flight is published and marked before `run` returns."""
        self.loop.stop()

    async def publish_pending(self) -> int:
        """One round: claim a batch, publish it concurrently, mark what was acknowledged."""
        token, records = await self._queue.claim(self._config.relay_batch_size)
        if not records:
            return 0
        # Calls start in claim order, so one connection delivers them to the server in order.
        results = await asyncio.gather(*(self._publish(r) for r in records), return_exceptions=True)
        sent_ids = [r["_id"] for r, res in zip(records, results, strict=True) if res is None]
        await self._queue.complete(sent_ids, token, {"sent_at": datetime.now(UTC)})
        for record, res in zip(records, results, strict=True):
            if isinstance(res, BaseException):
                attempts = record.get("attempts", 0) + 1
                delay = backoff_delay(attempts, self._config.relay_backoff_base_seconds,
                                      self._config.relay_backoff_max_seconds)
                log.warning("publish failed, will retry", event_id=record["_id"], attempts=attempts,
                            retry_in=round(delay, 2), error=repr(res)[:300])
                await self._queue.retry_later(record["_id"], token, attempts, delay, repr(res))
        metrics.OUTBOX_PUBLISHED.labels(self._service).inc(len(sent_ids))
        self.published += len(sent_ids)
        return len(sent_ids)

    async def _publish(self, record: Document) -> None:
        headers = {naming.HEADER_MSG_ID: record["_id"], naming.HEADER_CORRELATION: record["correlation_id"]}
        payload = record["payload"]
        data = payload.encode() if isinstance(payload, str) else bytes(payload)  # bytes: rows of earlier versions
        await self._js.publish(record["subject"], data, headers=headers, timeout=5.0)


async def outbox_status(db: AsyncDatabase[Document]) -> dict[str, Any]:
    """What the ops CLI shows: pending count, oldest pending, failing records."""
    col = db[OUTBOX]
    pending = await col.count_documents({"status": "pending"}, limit=100_000)
    oldest = await col.find_one({"status": "pending"}, sort=[("next_attempt_at", 1)])
    failing = [
        {"id": d["_id"], "type": d["type"], "attempts": d["attempts"], "last_error": d["last_error"]}
        async for d in col.find({"status": "pending", "attempts": {"$gt": 0}}).limit(20)
    ]
    age = None
    if oldest is not None:
        age = (datetime.now(UTC) - oldest["created_at"]) / timedelta(seconds=1)
    return {"pending": pending, "oldest_pending_age_seconds": age, "failing": failing}
