"""The inbox: one row per (consumer, event id), inserted in the handler's transaction.

The unique index makes a redelivered or duplicated event a no-op: the second transaction
fails on the index and the message is acknowledged as already processed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.context import InboxKey
from servicekit.mongo import Document, IndexSpec

INBOX = "inbox"


class AlreadyProcessed(Exception):
    """This consumer already committed the handling of this event."""


def inbox_indexes(retention_days: int = 30) -> list[IndexSpec]:
    return [
        IndexSpec(INBOX, [("consumer", 1), ("event_id", 1)], "inbox_unique", unique=True),
        # Far longer than the streams' duplicate window and max_age: a redelivery cannot
        # outlive its inbox row.
        IndexSpec(INBOX, [("processed_at", 1)], "inbox_ttl",
                  options={"expireAfterSeconds": retention_days * 86400}),
    ]


async def seen(db: AsyncDatabase[Document], key: InboxKey) -> bool:
    return await db[INBOX].find_one({"consumer": key.consumer, "event_id": key.event_id}, {"_id": 1}) is not None


async def record(db: AsyncDatabase[Document], key: InboxKey, tenant: str | None,
                 session: AsyncClientSession) -> None:
    await db[INBOX].insert_one(
        {"consumer": key.consumer, "event_id": key.event_id, "tenant": tenant,
         "processed_at": datetime.now(UTC)},
        session=session,
    )
