"""An event recorder: subscribes to every event subject on core NATS and keeps the typed
CloudEvents, so a test can assert "this write produced exactly this event"."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from alumni_contracts.envelope import CloudEvent, EventData
from alumni_contracts.registry import REGISTRY


class EventRecorder:
    def __init__(self, nc: NatsClient, subject: str = "evt.>") -> None:
        self._nc = nc
        self._subject = subject
        self._sub: Subscription | None = None
        self.events: list[CloudEvent[Any]] = []
        self.raw: list[Msg] = []
        self._changed = asyncio.Condition()

    async def start(self) -> EventRecorder:
        self._sub = await self._nc.subscribe(self._subject, cb=self._on_msg)
        await self._nc.flush()
        return self

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()

    async def _on_msg(self, msg: Msg) -> None:
        self.raw.append(msg)
        self.events.append(REGISTRY.parse(msg.data))
        async with self._changed:
            self._changed.notify_all()

    def of(self, model: type[EventData], where: Callable[[CloudEvent[Any]], bool] = lambda e: True
           ) -> list[CloudEvent[Any]]:
        return [e for e in self.events if type(e.data) is model and where(e)]

    async def wait_for(self, model: type[EventData], count: int = 1, timeout: float = 10.0,
                       where: Callable[[CloudEvent[Any]], bool] = lambda e: True) -> list[CloudEvent[Any]]:
        async def enough() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.of(model, where)) >= count)

        try:
            await asyncio.wait_for(enough(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"expected {count} {model.type_name()} within {timeout}s, got {len(self.of(model, where))}"
            ) from None
        return self.of(model, where)
