"""In-memory mentoring repositories for the unit tests (mounted on `FakeCommunityUnitOfWork`)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from community_service.domain.mentoring import ERASED, Mentorship, Participant, Program, Status
from servicekit.domain import ConcurrencyConflict

EPOCH = datetime.min.replace(tzinfo=UTC)


class FakePrograms:
    def __init__(self, uow: Any) -> None:
        self.uow = uow
        self.rows: dict[tuple[str, str], Program] = {}

    async def add(self, program: Program) -> None:
        self.rows[(program.tenant, program.id)] = program
        self.uow.track(program)

    async def get(self, tenant: str, program_id: str) -> Program | None:
        return self.rows.get((tenant, program_id))

    async def save(self, program: Program) -> None:
        self.uow.track(program)

    async def of_tenant(self, tenant: str, limit: int) -> list[Program]:
        return sorted((p for (t, _), p in self.rows.items() if t == tenant), key=lambda p: p.created_at or EPOCH,
                      reverse=True)[:limit]


class FakeParticipants:
    """Copies in and out, and the version check of the Mongo adapter."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], Participant] = {}

    async def get(self, tenant: str, program_id: str, member_id: str) -> Participant | None:
        return copy.deepcopy(self.rows.get((tenant, program_id, member_id)))

    async def save(self, participant: Participant) -> None:
        key = (participant.tenant, participant.program_id, participant.member_id)
        current = self.rows.get(key)
        if (current.version if current else 0) != participant.version:
            raise ConcurrencyConflict(f"participant {participant.member_id} changed meanwhile")
        participant.version += 1
        self.rows[key] = copy.deepcopy(participant)

    async def of_program(self, tenant: str, program_id: str) -> list[Participant]:
        return [copy.deepcopy(p) for (t, pid, _), p in self.rows.items() if t == tenant and pid == program_id]

    async def of_member(self, tenant: str, member_id: str) -> list[Participant]:
        return [copy.deepcopy(p) for (t, _, m), p in self.rows.items() if t == tenant and m == member_id]

    async def erase(self, tenant: str, member_id: str) -> int:
        gone = [k for k in self.rows if k[0] == tenant and k[2] == member_id]
        for k in gone:
            del self.rows[k]
        return len(gone)


class FakeMentorships:
    def __init__(self, uow: Any) -> None:
        self.uow = uow
        self.rows: dict[tuple[str, str], Mentorship] = {}

    async def add(self, m: Mentorship) -> None:
        self.rows[(m.tenant, m.id)] = m
        self.uow.track(m)

    async def get(self, tenant: str, mentorship_id: str) -> Mentorship | None:
        return self.rows.get((tenant, mentorship_id))

    async def save(self, m: Mentorship) -> None:
        self.uow.track(m)

    def _of(self, tenant: str) -> list[Mentorship]:
        return sorted((m for (t, _), m in self.rows.items() if t == tenant), key=lambda m: m.matched_at or EPOCH,
                      reverse=True)

    async def of_program(self, tenant: str, program_id: str, limit: int) -> list[Mentorship]:
        return [m for m in self._of(tenant) if m.program_id == program_id][:limit]

    async def of_member(self, tenant: str, member_id: str, limit: int) -> list[Mentorship]:
        return [m for m in self._of(tenant) if member_id in (m.mentor_id, m.mentee_id)][:limit]

    async def of_tenant(self, tenant: str, limit: int) -> list[Mentorship]:
        return self._of(tenant)[:limit]

    async def erase(self, tenant: str, member_id: str) -> dict[str, int]:
        n = 0
        for m in await self.of_member(tenant, member_id, 10_000):
            m.mentor_id = ERASED if m.mentor_id == member_id else m.mentor_id
            m.mentee_id = ERASED if m.mentee_id == member_id else m.mentee_id
            for c in m.check_ins:
                c.note = ""
            for s in m.surveys:
                s.comment = ""
            if m.status in (Status.PENDING, Status.ACTIVE):
                m.status = Status.ABANDONED
            n += 1
        return {"mentorships": n}
