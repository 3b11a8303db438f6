"""One seat-changing transaction at a time per event, in this process.

Seat allocation is one conditional update on the event's document (never read-then-write);
it runs in the same transaction as the registration it creates, so a crash never keeps a seat
without its registration nor a registration without its seat. Two such transactions on the
same document conflict (the second gets a write conflict and runs again): measured on the
stand-in, 20 concurrent unserialized transactions spent most of their time retrying
(`bench/seat_forms.py`). The gate queues them instead, from the seat update to the end of
the transaction (the request server commits after the handler returned: the gate is released
when the transaction ends, `servicekit.uow.when_transaction_ends`). Several replicas stay
correct — the conditional update decides — and conflict only with each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from servicekit.uow import when_transaction_ends


class SeatGate:
    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    def _lock(self, tenant: str, event_id: str) -> asyncio.Lock:
        key = (tenant, event_id)
        lock = self._locks.get(key)
        if lock is None:
            if len(self._locks) > 10_000:  # forget idle gates
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            lock = self._locks[key] = asyncio.Lock()
        return lock

    @asynccontextmanager
    async def hold(self, tenant: str, event_id: str) -> AsyncIterator[None]:
        lock = self._lock(tenant, event_id)
        await lock.acquire()
        deferred = False
        try:
            yield
            deferred = when_transaction_ends(lock.release)
        finally:
            if not deferred:
                lock.release()
