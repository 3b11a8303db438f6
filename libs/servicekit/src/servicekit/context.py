"""What the current message is about, carried in a ContextVar from the edge to the outbox.

The subscriber and request/reply wrappers set it; the unit of work reads it to stamp
correlation/causation ids on outgoing events and to write the inbox row of the message being
handled, in the same transaction (the request server writes the command's idempotency record).
Work deferred to a worker keeps an `Origin` and resumes it, so what it produces later still
names the message that asked for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from alumni_contracts.envelope import new_event_id
from alumni_contracts.rpc import Principal


@dataclass(frozen=True)
class InboxKey:
    consumer: str
    event_id: str


@dataclass(frozen=True)
class IdempotencyKey:
    """Scoped to (tenant, principal subject, operation, key): another principal replaying a
    key sends its own new command and never reads someone else's reply."""

    tenant: str
    principal: str
    operation: str
    key: str
    request_hash: str


@dataclass(frozen=True)
class MessageContext:
    correlation_id: str
    causation_id: str | None = None
    tenant: str | None = None
    principal: Principal | None = None
    inbox: InboxKey | None = None
    idempotency: IdempotencyKey | None = None


_current: ContextVar[MessageContext | None] = ContextVar("alumni_message_context", default=None)


@dataclass(frozen=True)
class Origin:
    """What work deferred to later (a queued email, a background job) remembers of the message
    that asked for it, so the events it eventually produces name their cause and flow."""

    correlation_id: str
    causation_id: str | None


def origin() -> Origin:
    ctx = current()
    return Origin(ctx.correlation_id, ctx.causation_id)


def of_event(consumer: str, event_id: str, correlation_id: str, tenant: str) -> MessageContext:
    """The context a consumer handles an event in: events it produces are caused by this one."""
    return MessageContext(correlation_id=correlation_id, causation_id=event_id, tenant=tenant,
                          inbox=InboxKey(consumer, event_id))


def resuming(origin: Origin, tenant: str | None = None) -> MessageContext:
    """The context a worker does deferred work in: that of the message which asked for it."""
    return MessageContext(correlation_id=origin.correlation_id, causation_id=origin.causation_id, tenant=tenant)


def current() -> MessageContext:
    """The context of the message being handled, or a fresh flow when there is none."""
    ctx = _current.get()
    return ctx if ctx is not None else MessageContext(correlation_id=new_event_id())


@contextmanager
def handling(ctx: MessageContext) -> Iterator[MessageContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
