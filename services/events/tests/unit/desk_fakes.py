"""In-memory desk unit of work for unit tests (the same ports as the Mongo adapters)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from events_service.domain.checkin import CheckIn, fold
from events_service.domain.event_figures import Attendance, AttendanceRecord
from events_service.service_layer.commands import ProjectMember
from events_service.service_layer.contract_mapping import to_contract
from events_service.service_layer.desk_contract_mapping import with_desk
from events_service.service_layer.desk_ports import EventInfo, Person
from servicekit.testing.fakes import FakeUnitOfWork


class FakeDeskUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__(with_desk(to_contract))
        self.records: dict[tuple[str, str, str], AttendanceRecord] = {}
        self.check_in_rows: list[str] = []
        self.events_info: dict[tuple[str, str], EventInfo] = {}
        self.people_rows: dict[tuple[str, str], Person] = {}
        self.feed_rows: dict[tuple[str, str], str] = {}  # (tenant, hash) -> member
        self.attendance = self
        self.check_ins = self
        self.catalogue = _Catalogue(self.events_info)
        self.people = self
        self.feeds = self
        self.events = self
        self.members = self
        self.memberships = _Memberships()
        self.race = False  # simulate another desk winning between read and write

    # seeds
    def person(self, tenant: str, member_id: str, first: str, last: str, program: str = "MBA", year: int = 2016) -> None:
        self.people_rows[(tenant, member_id)] = Person(f"{first} {last}", fold(f"{first} {last}"),
                                                       fold(f"{last} {first}"), (program, year) if year else None)

    # events / members (the events domain's own ports)
    async def add(self, check_in: CheckIn) -> None:  # CheckIns.add (and EventRepository.add, unused here)
        self.check_in_rows.append(check_in.id)
        self.track(check_in)

    async def apply(self, member: ProjectMember) -> bool:
        return True

    async def erase(self, tenant: str, member_id: str) -> int:
        return int(self.people_rows.pop((tenant, member_id), None) is not None)

    # Attendances
    async def get(self, tenant: str, event_id: str, key: str) -> AttendanceRecord | None:
        return self.records.get((tenant, event_id, key))

    async def save(self, record: AttendanceRecord) -> None:
        self.records[(record.tenant, record.event_id, record.key)] = record

    async def by_code(self, tenant: str, code: str) -> AttendanceRecord | None:
        return next((r for r in self.records.values() if r.tenant == tenant and r.ticket_code == code), None)

    async def by_registration(self, tenant: str, registration_id: str) -> AttendanceRecord | None:
        return next((r for r in self.records.values() if r.tenant == tenant and r.registration_id == registration_id),
                    None)

    async def for_event(self, tenant: str, event_id: str) -> list[AttendanceRecord]:
        return [r for r in self.records.values() if r.tenant == tenant and r.event_id == event_id]

    async def for_member(self, tenant: str, member_id: str) -> list[AttendanceRecord]:
        return [r for r in self.records.values() if r.tenant == tenant and r.key == member_id]

    async def attended_since(self, tenant: str, since: datetime) -> list[tuple[str, datetime]]:
        return [(r.key, r.checked_in_at) for r in self.records.values()
                if r.tenant == tenant and r.checked_in_at is not None and r.checked_in_at >= since]

    async def mark_checked_in(self, record: AttendanceRecord, at: datetime) -> bool:
        k = (record.tenant, record.event_id, record.key)
        if self.race:
            self.records[k] = replace(self.records[k], status=Attendance.ATTENDED, checked_in_at=at)
            return False
        current = self.records[k]
        if current.status is not Attendance.REGISTERED or current.checked_in_at is not None:
            return False
        self.records[k] = replace(current, status=Attendance.ATTENDED, checked_in_at=at, changed_at=at)
        return True

    async def erase_member(self, tenant: str, member_id: str) -> int:
        gone = [k for k, r in self.records.items() if r.tenant == tenant and r.key == member_id]
        for k in gone:
            del self.records[k]
        return len(gone)

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
