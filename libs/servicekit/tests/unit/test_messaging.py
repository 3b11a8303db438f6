"""The one place the subscriber convention goes past the libraries' message APIs."""

from __future__ import annotations

import inspect

from faststream.nats.message import NatsBatchMessage, NatsMessage
from nats.aio.msg import Msg

from servicekit.messaging import TERM, terminate_with_reason


def test_terminate_still_needs_our_reason_path() -> None:
    """`terminate_with_reason` exists because neither library can terminate with a reason.
    When one of these assertions fails, the library has changed: use its API instead."""
    assert list(inspect.signature(Msg.term).parameters) == ["self"]
    assert list(inspect.signature(NatsMessage.reject).parameters) == ["self"]
    assert list(inspect.signature(NatsBatchMessage.reject).parameters) == ["self"]
    assert Msg.Ack.Term == TERM
    assert list(inspect.signature(Msg.respond).parameters) == ["self", "data"]


class FakeMsg(Msg):
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def respond(self, data: bytes) -> None:
        self.sent.append(data)


async def test_terminate_sends_the_reason_truncated() -> None:
    msg = FakeMsg()
    await terminate_with_reason(msg, "rejected: " + "x" * 500)
    [sent] = msg.sent
    assert sent.startswith(b"+TERM rejected: x")
    assert len(sent) == len(b"+TERM ") + 200
