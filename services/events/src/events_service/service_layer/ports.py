from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from events_service.domain.model import Event
from events_service.domain.registrations import Registration, RegistrationStatus
from events_service.service_layer.commands import ProjectMember
from servicekit.uow import ErasingUnitOfWork


class EventRepository(Protocol):
    async def add(self, event: Event) -> None: ...
    async def get(self, tenant: str, event_id: str) -> Event | None: ...
    async def list(self, tenant: str, limit: int) -> list[Event]: ...
    async def save(self, event: Event) -> None:
        """Conditional on the version read (optimistic locking): `ConcurrencyConflict` otherwise."""


@dataclass(frozen=True)
class Claim:
    """Seats taken for a member's registration by `SeatLedger.claim`, not yet settled."""

    tenant: str
    event_id: str
    member_id: str
    ticket_type_id: str
    seats: int
    quota: bool
    at: datetime


@dataclass(frozen=True)
class PageCursor:
    """Where a page of an event's registrations ends: the last row's id (and its arrival on the
    waitlist when the page is of the waitlist)."""

    registration_id: str
    waitlisted_at: datetime | None = None


class SeatLedger(Protocol):
    """The seats of an event: counters kept on the event's own document, changed by ONE
    conditional update each (never read-then-write), so concurrent registrations never oversell.
    `ticket_type_id` with a quota also counts against that type's quota in the same update.

    `claim` is the registration hot path: one conditional update *outside* the transaction,
    which also records the claim under the member's id on the event's document (so that the
    seat of an attempt that never committed — a crash — can be found and released, and a
    retried attempt reuses its own claim). `take`/`release` run inside the caller's transaction
    (cancellations, promotions, guests): rare, behind the event's `SeatGate`."""

    async def claim(self, tenant: str, event_id: str, member_id: str, ticket_type_id: str, seats: int,
                    quota: bool, at: datetime) -> bool: ...
    async def stale_claims(self, older_than: datetime, limit: int) -> list[Claim]: ...
    async def drop_claims(self, tenant: str, event_id: str, member_ids: list[str]) -> None: ...
    async def release_claim(self, claim: Claim) -> bool: ...

    async def take(self, tenant: str, event_id: str, ticket_type_id: str, seats: int, quota: bool) -> bool: ...
    async def release(self, tenant: str, event_id: str, ticket_type_id: str, seats: int, quota: bool,
                      member_id: str | None = None) -> None:
        """Give seats back (and forget `member_id`'s claim, if any)."""
        ...
    async def resize(self, tenant: str, event_id: str, capacity_delta: int, quota_deltas: dict[str, int]) -> bool:
        """Capacity/quota changes: False if seats already taken forbid shrinking that much."""
        ...
    async def taken(self, tenant: str, event_id: str) -> int: ...
    async def left(self, tenant: str, event_id: str) -> int: ...


class RegistrationRepository(Protocol):
    async def add(self, registration: Registration) -> None:
        """A second row for the same member and event raises `AlreadyRegistered`."""
    async def save(self, registration: Registration) -> None: ...
    async def get(self, tenant: str, registration_id: str) -> Registration | None: ...
    async def for_member(self, tenant: str, event_id: str, member_id: str) -> Registration | None: ...
    async def first_waitlisted(self, tenant: str, event_id: str) -> Registration | None: ...
    async def fence(self, tenant: str, event_id: str, member_id: str) -> str:
        """Outside any transaction: make sure no registration attempt of this member still in flight
        can commit with an old claim. "holding": a committed registration holds seats (the claim is
        settled); "fenced": none does and none can commit now (release the claim); "busy": an
        attempt is writing right now (try later)."""
        ...
    async def expired_holds(self, tenant: str | None, now: datetime, limit: int) -> list[Registration]: ...
    async def of_member(self, tenant: str, member_id: str) -> list[Registration]: ...
    async def of_event(self, tenant: str, event_id: str, status: RegistrationStatus | None,
                       limit: int) -> list[Registration]: ...
    async def page_of_event(self, tenant: str, event_id: str, status: RegistrationStatus | None,
                            after: PageCursor | None, limit: int) -> list[Registration]:
        """One page of the staff list: the waitlist in `(waitlisted_at, id)` order, anything else
        in id (arrival) order; `after`: the last row of the previous page."""
        ...
    async def invite(self, registrations: list[Registration]) -> None:
        """New invited rows (members without one for this event)."""
        ...
    async def active_of_event(self, tenant: str, event_id: str, after: str | None, limit: int) -> list[Registration]: ...
    async def members_with_rows(self, tenant: str, event_id: str, member_ids: list[str]) -> set[str]:
        """Those of `member_ids` who have a row (any status) for this event."""
        ...


@dataclass(frozen=True)
class InvitationBatch:
    """Members of one invitation computed once, sent together in one transaction."""

    tenant: str
    id: str
    event_id: str
    number: int
    member_ids: tuple[str, ...]


class InvitationBatches(Protocol):
    async def add(self, tenant: str, event_id: str, batches: list[list[str]], at: datetime) -> list[InvitationBatch]:
        ...
    async def mark_sent(self, tenant: str, batch_id: str, at: datetime) -> bool:
        """Conditional on the batch not being sent yet: False if it was."""
        ...
    async def forget(self, tenant: str, member_id: str) -> int:
        """Erasure: the member leaves every batch (a pending one will not invite them)."""
        ...
    async def pending(self, created_before: datetime, limit: int) -> list[InvitationBatch]:
        """Unsent batches of every tenant, oldest first (the sweep)."""
        ...


class AudienceReader(Protocol):
    """Members of a segment, from this service's own audience projection (`servicekit.segments`)."""

    async def member_ids(self, tenant: str, segment: Any) -> list[str]: ...


class MemberProjection(Protocol):
    async def apply(self, member: ProjectMember) -> bool: ...
    async def erase(self, tenant: str, member_id: str) -> int: ...
    async def exists(self, tenant: str, member_id: str) -> bool: ...


class MembershipProjection(Protocol):
    """Dues membership state of members, from `membership_*` events (member vs non-member price)."""

    async def apply(self, tenant: str, member_id: str, status: str, at: datetime) -> bool: ...
    async def is_member(self, tenant: str, member_id: str) -> bool: ...
    async def erase(self, tenant: str, member_id: str) -> int: ...


class EventsUnitOfWork(ErasingUnitOfWork, Protocol):
    @property
    def events(self) -> EventRepository: ...

    @property
    def seats(self) -> SeatLedger: ...

    @property
    def registrations(self) -> RegistrationRepository: ...

    @property
    def members(self) -> MemberProjection: ...

    @property
    def memberships(self) -> MembershipProjection: ...

    @property
    def audience(self) -> AudienceReader: ...

    @property
    def invitations(self) -> InvitationBatches: ...
