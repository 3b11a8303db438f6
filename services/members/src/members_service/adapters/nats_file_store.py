"""Uploaded import files, in the JetStream object store."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from alumni_contracts import naming


class NatsFileStore:
    """Uploaded files, in the JetStream object store (chunked: files larger than a message)."""

    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def put(self, name: str, data: bytes) -> None:
        store = await self._js.object_store(naming.IMPORTS_BUCKET)
        await store.put(name, data)

    async def get(self, name: str) -> bytes | None:
        store = await self._js.object_store(naming.IMPORTS_BUCKET)
        try:
            result = await store.get(name)
        except NotFoundError:
            return None
        return result.data or b""

    async def delete(self, name: str) -> None:
        store = await self._js.object_store(naming.IMPORTS_BUCKET)
        try:
            await store.delete(name)
        except NotFoundError:
            pass
