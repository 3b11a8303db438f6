"""Idempotency keys of commands: a retried request returns the first result.

The key row is inserted in the command's own transaction (so the change and the key commit
together), then completed with the reply. A retry finds the reply and returns it; a retry
with another body under the same key is refused; a retry that arrives while the first is
still running (or after a crash between commit and reply) is told to retry later.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.context import IdempotencyKey
from servicekit.mongo import Document, IndexSpec

IDEMPOTENCY = "idempotency_keys"


def idempotency_indexes(retention_days: int = 7) -> list[IndexSpec]:
    return [
        IndexSpec(IDEMPOTENCY, [("tenant", 1), ("operation", 1), ("key", 1)], "idempotency_unique", unique=True),
        IndexSpec(IDEMPOTENCY, [("created_at", 1)], "idempotency_ttl",
                  options={"expireAfterSeconds": retention_days * 86400}),
    ]


def request_hash(payload: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(payload), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = payload
    return hashlib.sha256(canonical).hexdigest()


async def find(db: AsyncDatabase[Document], key: IdempotencyKey) -> Document | None:
    return await db[IDEMPOTENCY].find_one({"tenant": key.tenant, "operation": key.operation, "key": key.key})


async def reserve(db: AsyncDatabase[Document], key: IdempotencyKey, session: AsyncClientSession) -> None:
    await db[IDEMPOTENCY].insert_one(
        {"tenant": key.tenant, "operation": key.operation, "key": key.key, "request_hash": key.request_hash,
         "reply": None, "created_at": datetime.now(UTC)},
        session=session,
    )


async def complete(db: AsyncDatabase[Document], key: IdempotencyKey, reply: dict[str, Any]) -> None:
    await db[IDEMPOTENCY].update_one(
        # Stored as JSON text: an erasure finds the replies that mention a member by searching it.
        {"tenant": key.tenant, "operation": key.operation, "key": key.key}, {"$set": {"reply": json.dumps(reply)}}
    )
