"""A fake unit of work for unit tests through `bootstrap(...)`: no servers, same semantics
for what matters to a handler (commit or not, which events the commit would publish)."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from alumni_contracts.envelope import CloudEvent
from servicekit.domain import AggregateRoot
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
