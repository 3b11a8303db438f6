"""A fake unit of work for unit tests through `bootstrap(...)`: no servers, same semantics
for what matters to a handler (commit or not, which events the commit would publish)."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from alumni_contracts.envelope import CloudEvent
from servicekit import context
from servicekit.domain import AggregateRoot

if TYPE_CHECKING:
    from servicekit.messaging import EventHandler
from servicekit.uow import ContractMapper, wrap_events


class FakeUnitOfWork:
    def __init__(self, to_contract: ContractMapper) -> None:
        self._to_contract = to_contract
        self._seen: list[AggregateRoot] = []
        self.commits = 0
        self.published: list[CloudEvent[Any]] = []
        self.scrubbed: list[tuple[str, str]] = []

    async def __aenter__(self) -> Self:
        self._seen = []
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._seen = []

    async def scrub_member(self, tenant: str, member_id: str,
                           keep_types: frozenset[str] = frozenset()) -> dict[str, int]:
        self.scrubbed.append((tenant, member_id))
        return {}

    def track(self, aggregate: AggregateRoot) -> None:
        if aggregate not in self._seen:
            self._seen.append(aggregate)

    async def commit(self) -> None:
        self.published.extend(wrap_events(self._seen, self._to_contract))
        for aggregate in self._seen:
            aggregate.mark_persisted()
        self.commits += 1


async def handle_as_consumer(handler: EventHandler, event: CloudEvent[Any], consumer: str = "test") -> None:
    """Call an event handler in the message context a real consumer gives it (what it produces
    is caused by `event` and shares its correlation id), without a broker."""
    with context.handling(context.of_event(consumer, event.id, event.correlationid, event.tenant)):
        await handler(event)
