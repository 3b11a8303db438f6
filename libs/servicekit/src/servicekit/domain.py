"""Building blocks of domain models: pure Python, no I/O, importable from any `domain/`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from uuid6 import uuid7


def new_id() -> str:
    return str(uuid7())


def utcnow() -> datetime:
    return datetime.now(UTC)


class DomainEvent:
    """Marker base of the events an aggregate records (not the wire contracts)."""


@dataclass(eq=False)
class AggregateRoot:
    """An aggregate records the events of its changes; the unit of work collects them.

    `version` is the version persisted (0 = new); every recorded change bumps it by one, and
    repositories update conditionally on the previous value (optimistic locking).
    """

    id: str
    tenant: str
    version: int = 0
    _events: list[DomainEvent] = field(default_factory=list, init=False, repr=False)
    _persisted_version: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        self._persisted_version = self.version

    def record(self, event: DomainEvent) -> None:
        self.version += 1
        self._events.append(event)

    def pending_events(self) -> list[tuple[DomainEvent, int]]:
        """Recorded, not yet persisted events with the version each produced, oldest first.

        Not cleared here: if the commit fails and the unit of work runs again, they are still
        there; `mark_persisted` clears them once the commit succeeded."""
        first = self.version - len(self._events) + 1
        return [(e, first + i) for i, e in enumerate(self._events)]

    @property
    def persisted_version(self) -> int:
        return self._persisted_version

    def mark_persisted(self) -> None:
        self._persisted_version = self.version
        self._events.clear()


class ReportedError(Exception):
    """An error a request reports to its caller as a problem (status, code, title)."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"
    title: ClassVar[str] = "Internal error"


class DomainError(ReportedError):
    """A business rule refused the command: permanent — reported to a caller, dead-lettered by
    a consumer (never retried)."""

    status = 422
    code = "business-rule"
    title = "Business rule violated"


class NotFound(DomainError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class ConcurrencyConflict(ReportedError):
    """The aggregate changed since it was read (optimistic locking), or a concurrent write won.

    Not a `DomainError`: nothing is wrong with the command, it lost a race. A request reports
    it (409: the caller reloads and retries); a consumer runs its handler again — in process,
    then by redelivery with the consumer's backoff — and never dead-letters it as a rejection."""

    status = 409

    code = "stale-version"
    title = "The resource was modified concurrently"
