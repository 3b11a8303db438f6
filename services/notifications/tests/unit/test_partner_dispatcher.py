"""The dispatcher's pump: messages of one subscription are delivered concurrently, so two of
them can reach their last attempt together; only the first is dead-lettered (it disables the
endpoint), the others stay unacknowledged for redelivery once it is enabled again."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from notifications_service.adapters.http_delivery import Attempt
from notifications_service.entrypoints.partner_dispatcher import DispatchSettings, Pump


@dataclass
class FakeMsg:
    event_id: str
    calls: list[str] = field(default_factory=list)

    @property
    def data(self) -> bytes:
        return json.dumps({"id": self.event_id, "type": "org.alumni.members.group_created.v1", "data": {}}).encode()

    @property
    def metadata(self) -> Any:
        return SimpleNamespace(sequence=SimpleNamespace(stream=1))

    async def ack(self) -> None:
        self.calls.append("ack")

    async def term(self) -> None:
        self.calls.append("term")

    async def in_progress(self) -> None:
        self.calls.append("in_progress")


class FailingTogether:
    """Every attempt fails; the two messages' attempts return at the same moment."""

    def __init__(self, parties: int) -> None:
        self.barrier = asyncio.Barrier(parties)

    async def deliver(self, *_: Any) -> Attempt:
        await self.barrier.wait()
        return Attempt(ok=False, status_code=None, error="refused target", duration_ms=1)


class FakeDispatcher:
    def __init__(self, delivery: FailingTogether) -> None:
        self.settings = DispatchSettings(max_attempts=1)
        self.delivery = delivery
        self.records: list[tuple[str, int, str]] = []
        self.dead: list[str] = []
        self._pumps: dict[str, tuple[Pump, Any]] = {}

    def halt(self, webhook_id: str) -> None:
        for pump, _ in self._pumps.values():
            if pump.webhook.id == webhook_id:
                pump.halted = True

    async def record(self, entry: dict[str, Any], attempt: int, outcome: str, *_: Any) -> None:
        await asyncio.sleep(0)  # a database write: other tasks run meanwhile
        self.records.append((entry["event_id"], attempt, outcome))

    async def dead_letter(self, pump: Pump, event_id: str, reason: str) -> None:
        await asyncio.sleep(0)
        self.dead.append(event_id)


async def test_two_messages_failing_together_dead_letter_only_one() -> None:
    webhook = SimpleNamespace(id="wh-1", tenant="demo", url="http://partner.invalid/hook", mode="thin",
                              event_types=["org.alumni.members.group_created.v1"],
                              signing_secrets=lambda _now: [])
    dispatcher = FakeDispatcher(FailingTogether(parties=2))
    pump = Pump(dispatcher, webhook, "members", None)  # type: ignore[arg-type]
    dispatcher._pumps[pump.durable] = (pump, None)
    first, second = FakeMsg("e1"), FakeMsg("e2")

    await asyncio.gather(pump.handle(first), pump.handle(second))  # type: ignore[arg-type]

    assert len(dispatcher.dead) == 1
    assert [r for r in dispatcher.records if r[2] == "dead"] == [(dispatcher.dead[0], 1, "dead")]
    terminated = [m for m in (first, second) if "term" in m.calls]
    left = [m for m in (first, second) if "term" not in m.calls]
    assert len(terminated) == 1 and left[0].calls == []  # neither acked nor terminated: redelivered later
    assert pump.halted
