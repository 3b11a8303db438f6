"""The Mongo unit of work: one session, one transaction, and the delivery bookkeeping.

Handlers use it as `async with uow: ...; await uow.commit()`. On commit it collects the events
recorded by every aggregate it saw, maps them to contract events (one mapping module per
service), and writes — in the same transaction as the aggregates — the outbox records and the
inbox row of the event being handled.

A command runs inside a transaction its request server opened (`request_transaction`): the
unit of work then *joins* it — `commit()` writes its records and leaves the commit to the
server, which first stores the reply under the command's idempotency key, so the change and
its reply commit together. The session is also bound (PyMongo's `session.bind()`), so reads
without an explicit session — the services' readers — see the command's own writes.
Handlers are written the same way in both cases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, Self

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from alumni_contracts.envelope import CloudEvent, EventData
from servicekit import context, inbox, personal_data
from servicekit.domain import AggregateRoot, DomainEvent
from servicekit.mongo import Document, transaction_options
from servicekit.outbox import OUTBOX, OutboxWakeup, outbox_record

# Maps a domain event to the contract event it publishes, or None for internal-only events, or
# several (one per published major version, while consumers move from one to the next).
ContractMapper = Callable[[DomainEvent], EventData | Sequence[EventData] | None]


class DuplicateRequest(Exception):
    """Another request with the same idempotency key committed first (or holds the key now)."""


@dataclass
class RequestTransaction:
    """The transaction a request server opened for one command; units of work join it."""

    session: AsyncClientSession
    _after_commit: list[Callable[[], None]] = field(default_factory=list)
    # A unit of work that joined raised: its writes must not commit even if the handler went on.
    rollback_only: bool = False

    async def commit(self) -> None:
        if self.rollback_only:
            raise RuntimeError("a unit of work failed inside this request and the handler carried on")
        await self.session.commit_transaction()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()


_request_tx: ContextVar[RequestTransaction | None] = ContextVar("alumni_request_transaction", default=None)


@asynccontextmanager
async def request_transaction(client: AsyncMongoClient[Document]) -> AsyncIterator[RequestTransaction]:
    """Open the command's transaction; the caller commits it (`tx.commit()`), anything else aborts."""
    session = client.start_session()
    try:
        await session.start_transaction(**transaction_options())
        tx = RequestTransaction(session)
        token = _request_tx.set(tx)
        try:
            async with session.bind(end_session=False):
                yield tx
        finally:
            _request_tx.reset(token)
    finally:
        try:
            if session.in_transaction:
                await session.abort_transaction()
        finally:
            await session.end_session()


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current command's transaction committed (wake a worker that will
    read what it wrote), or at once outside a request transaction."""
    tx = _request_tx.get()
    if tx is None:
        callback()
    else:
        tx._after_commit.append(callback)


def wrap_events(aggregates: list[AggregateRoot], to_contract: ContractMapper) -> list[CloudEvent[Any]]:
    """Turn the aggregates' recorded domain events into CloudEvents stamped with the context."""
    ctx = context.current()
    out: list[CloudEvent[Any]] = []
    for aggregate in aggregates:
        for event, version in aggregate.pending_events():
            mapped = to_contract(event)
            contracts = [] if mapped is None else [mapped] if isinstance(mapped, EventData) else mapped
            out.extend(CloudEvent.wrap(
                contract,
                tenant=aggregate.tenant,
                subject=aggregate.id,
                aggregate_version=version,
                correlation_id=ctx.correlation_id,
                causation_id=ctx.causation_id,
            ) for contract in contracts)
    return out


class MongoUnitOfWork:
    """Subclasses open their repositories in `_open(db, session)`."""

    def __init__(
        self,
        client: AsyncMongoClient[Document],
        db_name: str,
        to_contract: ContractMapper,
        wakeup: OutboxWakeup | None = None,
    ) -> None:
        self._client = client
        self.db: AsyncDatabase[Document] = client[db_name]
        self._to_contract = to_contract
        self._wakeup = wakeup
        self._session: AsyncClientSession | None = None
        self._joined: RequestTransaction | None = None
        self._seen: list[AggregateRoot] = []
        self.committed_events: list[CloudEvent[Any]] = []

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        """Hook: create the repositories bound to this session."""

    @property
    def session(self) -> AsyncClientSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        tx = _request_tx.get()
        if tx is not None and tx.session.client is self._client:
            self._joined, self._session = tx, tx.session
        else:
            self._session = self._client.start_session()
            await self._session.start_transaction(**transaction_options())
        self._seen = []
        self.committed_events = []
        self._open(self.db, self._session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session, self._session = self._session, None
        joined, self._joined = self._joined, None
        if joined is not None:  # the request server commits or aborts
            if exc is not None:
                joined.rollback_only = True
            return
        if session is None:
            return
        try:
            if session.in_transaction:
                await session.abort_transaction()
        finally:
            await session.end_session()

    def track(self, aggregate: AggregateRoot) -> None:
        if aggregate not in self._seen:
            self._seen.append(aggregate)

    async def scrub_member(self, tenant: str, member_id: str,
                           keep_types: frozenset[str] = frozenset()) -> dict[str, int]:
        """GDPR erasure: the delivery bookkeeping that mentions the member goes too, and a
        tombstone stops late events from re-creating projections (see `servicekit.personal_data`)."""
        from servicekit import segments  # imports this module

        scrubbed = await personal_data.scrub_delivery_records(self.db, tenant, member_id, self.session, keep_types)
        if audience := await segments.erase(self.db, tenant, member_id, self.session):
            scrubbed[segments.AUDIENCE] = audience  # the service's audience projection (segments)
        await personal_data.tombstone(self.db, tenant, member_id, self.session)
        return scrubbed

    async def commit(self) -> None:
        session = self.session
        ctx = context.current()
        events = wrap_events(self._seen, self._to_contract)
        if events:
            await self.db[OUTBOX].insert_many([outbox_record(e) for e in events], session=session)
        if ctx.inbox is not None:
            try:
                await inbox.record(self.db, ctx.inbox, ctx.tenant, session)
            except DuplicateKeyError:
                raise inbox.AlreadyProcessed(ctx.inbox.event_id) from None
        seen = list(self._seen)

        def committed() -> None:
            for aggregate in seen:
                aggregate.mark_persisted()
            self.committed_events = events
            if events and self._wakeup is not None:
                self._wakeup.notify()

        if self._joined is not None:
            self._joined._after_commit.append(committed)
            return
        await session.commit_transaction()
        committed()


class UnitOfWork(Protocol):
    """What use cases see of a unit of work; services extend it with their repositories."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...

    async def commit(self) -> None: ...


class ErasingUnitOfWork(UnitOfWork, Protocol):
    """A unit of work that can run a GDPR erasure (see `servicekit.erasure`)."""

    def track(self, aggregate: AggregateRoot) -> None: ...
    async def scrub_member(self, tenant: str, member_id: str) -> dict[str, int]: ...
