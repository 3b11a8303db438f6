"""In-memory desk unit of work for unit tests (the same ports as the Mongo adapters)."""

from __future__ import annotations

import copy
from datetime import datetime

from events_service.domain.checkin import fold
from events_service.domain.event_figures import AttendanceRecord
from events_service.domain.registrations import Registration, RegistrationStatus
from events_service.service_layer.commands import ProjectMember
from events_service.service_layer.contract_mapping import to_contract
from events_service.service_layer.desk_contract_mapping import with_desk
from events_service.service_layer.desk_ports import EventInfo, Person
from servicekit.domain import ConcurrencyConflict
from servicekit.testing.fakes import FakeUnitOfWork


class FakeDeskUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__(with_desk(to_contract))
        self.records: dict[tuple[str, str, str], AttendanceRecord] = {}
        self.events_info: dict[tuple[str, str], EventInfo] = {}
        self.people_rows: dict[tuple[str, str], Person] = {}
        self.feed_rows: dict[tuple[str, str], str] = {}  # (tenant, hash) -> member
        self.regs: dict[str, tuple[int, Registration]] = {}  # id -> (stored version, stored copy)
        self.attendance = _Attendances(self.records)
        self.registrations = _Registrations(self.regs, self.track)
        self.tickets = self.registrations
        self.catalogue = _Catalogue(self.events_info)
        self.people = self
        self.feeds = self
        self.members = self
        self.memberships = _Memberships()

    def person(self, tenant: str, member_id: str, first: str, last: str, program: str = "MBA", year: int = 2016) -> None:
        self.people_rows[(tenant, member_id)] = Person(f"{first} {last}", fold(f"{first} {last}"),
                                                       fold(f"{last} {first}"), (program, year) if year else None)

    def registration(self, tenant: str, event_id: str, member_id: str, status: RegistrationStatus, code: str,
                     guests: int = 0) -> Registration:
        r = Registration(id=f"r-{event_id}-{member_id}", tenant=tenant, event_id=event_id, member_id=member_id,
                         status=status, ticket_code=code, guests=guests, version=1)
        self.regs[r.id] = (1, copy.deepcopy(r))
        return r

    # the events domain's member projection
    async def apply(self, member: ProjectMember) -> bool:
        return True

    async def erase(self, tenant: str, member_id: str) -> int:
        return int(self.people_rows.pop((tenant, member_id), None) is not None)

    # People
    async def of(self, tenant: str, member_ids: list[str]) -> dict[str, Person]:
        return {m: self.people_rows[(tenant, m)] for m in member_ids if (tenant, m) in self.people_rows}

    async def alumni_by_year(self, tenant: str) -> dict[int, int]:
        out: dict[int, int] = {}
        for (t, _), p in self.people_rows.items():
            if t == tenant and p.cohort:
                out[p.cohort[1]] = out.get(p.cohort[1], 0) + 1
        return out

    # CalendarFeeds
    async def replace(self, tenant: str, member_id: str, token_hash: str, now: datetime) -> None:
        await self.revoke(tenant, member_id)
        self.feed_rows[(tenant, token_hash)] = member_id

    async def revoke(self, tenant: str, member_id: str) -> bool:
        gone = [k for k, m in self.feed_rows.items() if k[0] == tenant and m == member_id]
        for k in gone:
            del self.feed_rows[k]
        return bool(gone)

    async def member_of(self, tenant: str, token_hash: str) -> str | None:
        return self.feed_rows.get((tenant, token_hash))


class _Registrations:
    def __init__(self, rows: dict[str, tuple[int, Registration]], track: object) -> None:
        self.rows = rows
        self.track = track
        self.race_once: Registration | None = None

    def _out(self, r: Registration | None) -> Registration | None:
        if r is None:
            return None
        fresh = copy.deepcopy(r)
        fresh.__post_init__()
        self.track(fresh)  # type: ignore[operator]
        return fresh

    async def get(self, tenant: str, registration_id: str) -> Registration | None:
        found = self.rows.get(registration_id)
        return self._out(found[1]) if found and found[1].tenant == tenant else None

    async def for_member(self, tenant: str, event_id: str, member_id: str) -> Registration | None:
        return self._out(next((r for _, r in self.rows.values()
                               if (r.tenant, r.event_id, r.member_id) == (tenant, event_id, member_id)), None))

    async def by_code(self, tenant: str, code: str) -> Registration | None:
        return self._out(next((r for _, r in self.rows.values() if r.tenant == tenant and r.ticket_code == code),
                              None))

    async def save(self, r: Registration) -> None:
        if self.race_once is not None:  # another desk got there first
            winner, self.race_once = self.race_once, None
            self.rows[winner.id] = (winner.version, winner)
        stored_version, _ = self.rows[r.id]
        if stored_version != r.persisted_version:
            raise ConcurrencyConflict(f"registration {r.id} changed concurrently")
        self.rows[r.id] = (r.version, copy.deepcopy(r))

    async def of_event(self, tenant: str, event_id: str, status: RegistrationStatus | None,
                       limit: int) -> list[Registration]:
        return [copy.deepcopy(r) for _, r in self.rows.values() if r.tenant == tenant and r.event_id == event_id
                and (status is None or r.status is status)][:limit]

    async def of_member(self, tenant: str, member_id: str) -> list[Registration]:
        return [copy.deepcopy(r) for _, r in self.rows.values() if r.tenant == tenant and r.member_id == member_id]


class _Attendances:
    def __init__(self, records: dict[tuple[str, str, str], AttendanceRecord]) -> None:
        self.records = records

    async def get(self, tenant: str, event_id: str, key: str) -> AttendanceRecord | None:
        return self.records.get((tenant, event_id, key))

    async def save(self, record: AttendanceRecord) -> None:
        self.records[(record.tenant, record.event_id, record.key)] = record

    async def for_event(self, tenant: str, event_id: str) -> list[AttendanceRecord]:
        return [r for r in self.records.values() if r.tenant == tenant and r.event_id == event_id]

    async def attended_since(self, tenant: str, since: datetime) -> list[tuple[str, datetime]]:
        return [(r.key, r.checked_in_at) for r in self.records.values()
                if r.tenant == tenant and r.checked_in_at is not None and r.checked_in_at >= since]

    async def erase_member(self, tenant: str, member_id: str) -> int:
        gone = [k for k, r in self.records.items() if r.tenant == tenant and r.key == member_id]
        for k in gone:
            del self.records[k]
        return len(gone)


class _Catalogue:
    def __init__(self, rows: dict[tuple[str, str], EventInfo]) -> None:
        self.rows = rows

    async def get(self, tenant: str, event_id: str) -> EventInfo | None:
        return self.rows.get((tenant, event_id))

    async def many(self, tenant: str, event_ids: list[str]) -> dict[str, EventInfo]:
        return {e: self.rows[(tenant, e)] for e in event_ids if (tenant, e) in self.rows}


class _Memberships:
    async def erase(self, tenant: str, member_id: str) -> int:
        return 0
