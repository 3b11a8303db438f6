"""Idempotency keys of commands: a retried request returns the first result.

The request server opens the command's transaction, reserves the key as its first write,
runs the handler (its unit of work joins that transaction), stores the reply and commits:
the change, the key and the reply commit together or not at all. A retry finds the reply and
returns it; a retry with another body under the same key is refused; a retry that arrives
while the first is still running is told to retry later (409). A crash at any point leaves
either nothing (the retry runs the command) or the complete reply — never a key without one.

Keys are scoped to (tenant, principal subject, operation, key) — DESIGN §6: the same key sent
by another principal is that principal's own new command, never the first one's reply. Rows
written before the principal was part of the key have no `principal` field: no lookup matches
them (they expire with the TTL), and the old unique index over (tenant, operation, key), which
would make them block other principals' keys, is dropped when indexes are ensured.
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
# Unique over (tenant, operation, key) only: it would refuse another principal's use of a key.
OBSOLETE_INDEXES: list[tuple[str, str]] = [(IDEMPOTENCY, "idempotency_unique")]


def idempotency_indexes(retention_days: int = 7) -> list[IndexSpec]:
    return [
        IndexSpec(IDEMPOTENCY, [("tenant", 1), ("principal", 1), ("operation", 1), ("key", 1)],
                  "idempotency_principal_unique", unique=True),
        IndexSpec(IDEMPOTENCY, [("created_at", 1)], "idempotency_ttl",
                  options={"expireAfterSeconds": retention_days * 86400}),
    ]


def request_hash(payload: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(payload), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = payload
    return hashlib.sha256(canonical).hexdigest()


def _filter(key: IdempotencyKey) -> Document:
    return {"tenant": key.tenant, "principal": key.principal, "operation": key.operation, "key": key.key}


async def find(db: AsyncDatabase[Document], key: IdempotencyKey) -> Document | None:
    return await db[IDEMPOTENCY].find_one(_filter(key))


async def reserve(db: AsyncDatabase[Document], key: IdempotencyKey, session: AsyncClientSession) -> None:
    await db[IDEMPOTENCY].insert_one(
        {**_filter(key), "request_hash": key.request_hash, "reply": None, "created_at": datetime.now(UTC)},
        session=session,
    )


async def complete(db: AsyncDatabase[Document], key: IdempotencyKey, reply: dict[str, Any],
                   session: AsyncClientSession) -> None:
    """In the command's transaction, after the handler returned."""
    await db[IDEMPOTENCY].update_one(
        # Stored as JSON text: an erasure finds the replies that mention a member by searching it.
        _filter(key), {"$set": {"reply": json.dumps(reply)}}, session=session
    )
