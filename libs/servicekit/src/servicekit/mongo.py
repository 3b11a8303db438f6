"""AsyncMongoClient factory and index bootstrap.

Writes are journaled with majority write concern and retryable writes on (a SIGKILL of the
stand-in loses acknowledged writes otherwise — DESIGN §9); reads are majority.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from servicekit import tenant_guard
from servicekit.retry import wait_until_ready

Document = dict[str, Any]


@dataclass(frozen=True)
class IndexSpec:
    collection: str
    keys: Sequence[tuple[str, int]]
    name: str
    unique: bool = False
    options: dict[str, Any] = field(default_factory=dict)


def create_client(uri: str, app_name: str) -> AsyncMongoClient[Document]:
    """With the tenant guard configured (tests only: `servicekit.tenant_guard`), every query the
    client sends is checked for its tenant predicate."""
    guard = tenant_guard.configured(app_name)
    listeners: dict[str, Any] = {"event_listeners": [guard]} if guard is not None else {}
    return AsyncMongoClient(
        uri,
        **listeners,
        appname=app_name,
        tz_aware=True,
        w="majority",
        journal=True,
        retryWrites=True,
        readConcernLevel="majority",
        serverSelectionTimeoutMS=5000,
    )


async def wait_for_mongo(client: AsyncMongoClient[Document], deadline: float | None = None) -> None:
    async def ping() -> None:
        await client.admin.command("ping")

    await wait_until_ready("mongodb", ping, deadline=deadline)


def transaction_options() -> dict[str, Any]:
    return {"write_concern": WriteConcern(w="majority", j=True), "read_concern": ReadConcern("majority")}


async def ensure_indexes(db: AsyncDatabase[Document], specs: Sequence[IndexSpec]) -> None:
    """Idempotent: creating an existing index with the same options is a no-op."""
    for spec in specs:
        await db[spec.collection].create_index(
            list(spec.keys), name=spec.name, unique=spec.unique, **spec.options
        )


async def drop_indexes(db: AsyncDatabase[Document], obsolete: Sequence[tuple[str, str]]) -> None:
    """Drop indexes (collection, name) that a newer one replaced; idempotent (a missing one is fine).
    Call after `ensure_indexes`, so the replacement exists before the old one goes."""
    for collection, name in obsolete:
        if name not in await db[collection].index_information():
            continue
        try:
            await db[collection].drop_index(name)
        except OperationFailure as exc:
            if exc.code != 27:  # IndexNotFound: another replica dropped it first
                raise
