"""In-memory adapters of the events service for unit tests through `bootstrap(...)`.

A `Store` is the database; each `FakeEventsUnitOfWork` is one unit of work over it (the
handlers that run several transactions take a factory). Seats follow the same conditional
rule as the Mongo ledger: taken only when enough are left."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events_service.domain.model import Event
from events_service.domain.registrations import AlreadyRegistered, Registration, RegistrationStatus
from events_service.service_layer.commands import ProjectMember
from events_service.service_layer.contract_mapping import to_contract
from events_service.service_layer.ports import Claim, InvitationBatch, PageCursor
from servicekit.domain import ConcurrencyConflict
from servicekit.testing.fakes import FakeUnitOfWork

MEMBER_STATES = {"active", "in_grace", "lifetime"}


@dataclass
class Store:
    events: dict[tuple[str, str], Event] = field(default_factory=dict)
    seats_left: dict[tuple[str, str], int] = field(default_factory=dict)
    type_left: dict[tuple[str, str, str], int] = field(default_factory=dict)
    capacity: dict[tuple[str, str], int] = field(default_factory=dict)
    registrations: dict[tuple[str, str], Registration] = field(default_factory=dict)
    members: dict[tuple[str, str], ProjectMember] = field(default_factory=dict)
    memberships: dict[tuple[str, str], tuple[str, datetime]] = field(default_factory=dict)
    claims: dict[tuple[str, str, str], Claim] = field(default_factory=dict)
    audience: dict[str, list[str]] = field(default_factory=dict)  # tenant → members of any segment (tests)
    batches: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # invitation batches


class FakeEventsUnitOfWork(FakeUnitOfWork):
    def __init__(self, store: Store | None = None) -> None:
        super().__init__(to_contract)
        self.store = store or Store()
        self.events = _Events(self)
        self.seats = _Seats(self.store)
        self.registrations = _Registrations(self)
        self.members = _Members(self.store)
        self.memberships = _Memberships(self.store)
        self.audience = _Audience(self.store)
        self.invitations = _Batches(self.store)

    @property
    def projected(self) -> dict[str, ProjectMember]:
        return {k[1]: v for k, v in self.store.members.items()}


class _Events:
    def __init__(self, uow: FakeEventsUnitOfWork) -> None:
        self.uow, self.store = uow, uow.store

    async def add(self, event: Event) -> None:
        key = (event.tenant, event.id)
        self.store.events[key] = event
        self.store.seats_left[key] = event.capacity
        self.store.capacity[key] = event.capacity
        for t in event.ticket_types:
            if t.quota is not None:
                self.store.type_left[(*key, t.id)] = t.quota
        self.uow.track(event)

    async def get(self, tenant: str, event_id: str) -> Event | None:
        e = self.store.events.get((tenant, event_id))
        if e is None:
            return None
        e = copy.deepcopy(e)
        self.uow.track(e)
        return e

    async def list(self, tenant: str, limit: int) -> list[Event]:
        found = [e for (t, _), e in self.store.events.items() if t == tenant]
        return sorted(found, key=lambda e: e.starts_at, reverse=True)[:limit]

    async def save(self, event: Event) -> None:
        key = (event.tenant, event.id)
        if self.store.events[key].version != event.persisted_version:
            raise ConcurrencyConflict("stale")
        self.store.events[key] = event
        self.store.capacity[key] = event.capacity


class _Seats:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def claim(self, tenant: str, event_id: str, member_id: str, ticket_type_id: str, seats: int,
                    quota: bool, at: datetime) -> bool:
        key = (tenant, event_id, member_id)
        if key in self.store.claims:
            return True
        if not await self.take(tenant, event_id, ticket_type_id, seats, quota):
            return False
        self.store.claims[key] = Claim(tenant, event_id, member_id, ticket_type_id, seats, quota, at)
        return True

    async def stale_claims(self, older_than: datetime, limit: int) -> list[Claim]:
        return [c for c in self.store.claims.values() if c.at <= older_than][:limit]

    async def drop_claims(self, tenant: str, event_id: str, member_ids: list[str]) -> None:
        for m in member_ids:
            self.store.claims.pop((tenant, event_id, m), None)

    async def release_claim(self, claim: Claim) -> bool:
        if self.store.claims.pop((claim.tenant, claim.event_id, claim.member_id), None) is None:
            return False
        await self.release(claim.tenant, claim.event_id, claim.ticket_type_id, claim.seats, claim.quota)
        return True

    async def take(self, tenant: str, event_id: str, ticket_type_id: str, seats: int, quota: bool) -> bool:
        key = (tenant, event_id)
        if key not in self.store.seats_left or self.store.seats_left[key] < seats:
            return False
        if quota and self.store.type_left.get((*key, ticket_type_id), 0) < seats:
            return False
        self.store.seats_left[key] -= seats
        if quota:
            self.store.type_left[(*key, ticket_type_id)] -= seats
        return True

    async def release(self, tenant: str, event_id: str, ticket_type_id: str, seats: int, quota: bool,
                      member_id: str | None = None) -> None:
        if member_id is not None:
            self.store.claims.pop((tenant, event_id, member_id), None)
        self.store.seats_left[(tenant, event_id)] += seats
        if quota:
            self.store.type_left[(tenant, event_id, ticket_type_id)] += seats

    async def resize(self, tenant: str, event_id: str, capacity_delta: int, quota_deltas: dict[str, int]) -> bool:
        key = (tenant, event_id)
        if self.store.seats_left[key] + capacity_delta < 0:
            return False
        if any(self.store.type_left.get((*key, t), 0) + d < 0 for t, d in quota_deltas.items()):
            return False
        self.store.seats_left[key] += capacity_delta
        for t, d in quota_deltas.items():
            self.store.type_left[(*key, t)] = self.store.type_left.get((*key, t), 0) + d
        return True

    async def left(self, tenant: str, event_id: str) -> int:
        return self.store.seats_left.get((tenant, event_id), 0)

    async def taken(self, tenant: str, event_id: str) -> int:
        key = (tenant, event_id)
        return self.store.capacity.get(key, 0) - self.store.seats_left.get(key, 0)


class _Registrations:
    def __init__(self, uow: FakeEventsUnitOfWork) -> None:
        self.uow, self.store = uow, uow.store

    def _copy(self, r: Registration | None) -> Registration | None:
        if r is None:
            return None
        r = copy.deepcopy(r)
        self.uow.track(r)
        return r

    async def add(self, registration: Registration) -> None:
        if any(r.tenant == registration.tenant and r.event_id == registration.event_id
               and r.member_id == registration.member_id for r in self.store.registrations.values()):
            raise AlreadyRegistered("duplicate")
        self.store.registrations[(registration.tenant, registration.id)] = registration
        self.uow.track(registration)

    async def save(self, registration: Registration) -> None:
        self.uow.track(registration)
        stored = self.store.registrations[(registration.tenant, registration.id)]
        if stored is not registration and stored.version != registration.persisted_version:
            raise ConcurrencyConflict("stale")
        self.store.registrations[(registration.tenant, registration.id)] = registration

    async def get(self, tenant: str, registration_id: str) -> Registration | None:
        return self._copy(self.store.registrations.get((tenant, registration_id)))

    async def for_member(self, tenant: str, event_id: str, member_id: str) -> Registration | None:
        return self._copy(next((r for r in self.store.registrations.values()
                                if (r.tenant, r.event_id, r.member_id) == (tenant, event_id, member_id)), None))

    async def fence(self, tenant: str, event_id: str, member_id: str) -> str:
        row = next((r for r in self.store.registrations.values()
                    if (r.tenant, r.event_id, r.member_id) == (tenant, event_id, member_id)), None)
        return "holding" if row is not None and row.holds_seats else "fenced"

    async def first_waitlisted(self, tenant: str, event_id: str) -> Registration | None:
        waiting = [r for r in self.store.registrations.values()
                   if (r.tenant, r.event_id) == (tenant, event_id) and r.status is RegistrationStatus.WAITLISTED]
        waiting.sort(key=lambda r: (r.waitlisted_at, r.id))
        return self._copy(waiting[0]) if waiting else None

    async def expired_holds(self, tenant: str | None, now: datetime, limit: int) -> list[Registration]:
        return [r for r in self.store.registrations.values()
                if (tenant is None or r.tenant == tenant) and r.expired(now) is not None][:limit]

    async def of_member(self, tenant: str, member_id: str) -> list[Registration]:
        return [r for r in self.store.registrations.values() if (r.tenant, r.member_id) == (tenant, member_id)]

    async def of_event(self, tenant: str, event_id: str, status: RegistrationStatus | None,
                       limit: int) -> list[Registration]:
        found = [r for r in self.store.registrations.values() if (r.tenant, r.event_id) == (tenant, event_id)
                 and (status is None or r.status is status)]
        return sorted(found, key=lambda r: (r.waitlisted_at.timestamp() if r.waitlisted_at else 0, r.id))[:limit]

    async def page_of_event(self, tenant: str, event_id: str, status: RegistrationStatus | None,
                            after: PageCursor | None, limit: int) -> list[Registration]:
        found = [r for r in self.store.registrations.values() if (r.tenant, r.event_id) == (tenant, event_id)
                 and r.status is not RegistrationStatus.VOID and (status is None or r.status is status)]
        if status is RegistrationStatus.WAITLISTED:
            def key(r: Registration) -> tuple[float, str]:
                return (r.waitlisted_at.timestamp() if r.waitlisted_at else 0, r.id)
            last = None if after is None else (after.waitlisted_at.timestamp() if after.waitlisted_at else 0,
                                               after.registration_id)
            return [r for r in sorted(found, key=key) if last is None or key(r) > last][:limit]
        return [r for r in sorted(found, key=lambda r: r.id) if after is None or r.id > after.registration_id][:limit]

    async def invite(self, registrations: list[Registration]) -> None:
        for r in registrations:
            await self.add(r)

    async def members_with_rows(self, tenant: str, event_id: str, member_ids: list[str]) -> set[str]:
        wanted = set(member_ids)
        return {r.member_id for r in self.store.registrations.values()
                if (r.tenant, r.event_id) == (tenant, event_id) and r.member_id in wanted}

    async def active_of_event(self, tenant: str, event_id: str, after: str | None, limit: int) -> list[Registration]:
        found = sorted((r for r in self.store.registrations.values()
                        if (r.tenant, r.event_id) == (tenant, event_id) and r.active
                        and r.status is not RegistrationStatus.ATTENDED and (after is None or r.id > after)),
                       key=lambda r: r.id)
        return [r for r in (self._copy(r) for r in found[:limit]) if r is not None]


class _Members:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def apply(self, member: ProjectMember) -> bool:
        current = self.store.members.get((member.tenant, member.member_id))
        if current is not None and current.version >= member.version:
            return False
        self.store.members[(member.tenant, member.member_id)] = member
        return True

    async def erase(self, tenant: str, member_id: str) -> int:
        return 1 if self.store.members.pop((tenant, member_id), None) else 0

    async def exists(self, tenant: str, member_id: str) -> bool:
        return (tenant, member_id) in self.store.members


class _Memberships:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def apply(self, tenant: str, member_id: str, status: str, at: datetime) -> bool:
        current = self.store.memberships.get((tenant, member_id))
        if current is not None and current[1] >= at:
            return False
        self.store.memberships[(tenant, member_id)] = (status, at)
        return True

    async def is_member(self, tenant: str, member_id: str) -> bool:
        current = self.store.memberships.get((tenant, member_id))
        return current is not None and current[0] in MEMBER_STATES

    async def erase(self, tenant: str, member_id: str) -> int:
        return 1 if self.store.memberships.pop((tenant, member_id), None) else 0


class _Audience:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def member_ids(self, tenant: str, segment: object) -> list[str]:
        return list(self.store.audience.get(tenant, []))


class _Batches:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, tenant: str, event_id: str, batches: list[list[str]], at: datetime) -> list[InvitationBatch]:
        stored = [InvitationBatch(tenant, f"{event_id}-{n:05d}", event_id, n, tuple(ids))
                  for n, ids in enumerate(batches)]
        for b in stored:
            self.store.batches[(tenant, b.id)] = {"batch": b, "created_at": at, "sent_at": None}
        return stored

    async def mark_sent(self, tenant: str, batch_id: str, at: datetime) -> bool:
        doc = self.store.batches[(tenant, batch_id)]
        if doc["sent_at"] is not None:
            return False
        doc["sent_at"] = at
        return True

    async def forget(self, tenant: str, member_id: str) -> int:
        n = 0
        for (t, _), doc in self.store.batches.items():
            b = doc["batch"]
            if t == tenant and member_id in b.member_ids:
                doc["batch"] = InvitationBatch(b.tenant, b.id, b.event_id, b.number,
                                               tuple(m for m in b.member_ids if m != member_id))
                n += 1
        return n

    async def pending(self, created_before: datetime, limit: int) -> list[InvitationBatch]:
        due = sorted((d for d in self.store.batches.values() if d["sent_at"] is None
                      and d["created_at"] <= created_before), key=lambda d: d["created_at"])
        return [d["batch"] for d in due[:limit]]
