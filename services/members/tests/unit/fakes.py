"""In-memory fakes of the members ports, for unit tests through `bootstrap(...)`."""

from __future__ import annotations

from collections.abc import Callable

from members_service.domain.consent import ConsentRecord
from members_service.domain.model import Member
from members_service.service_layer.commands import SearchDirectory
from members_service.service_layer.contract_mapping import to_contract
from servicekit.domain import ConcurrencyConflict
from servicekit.testing.fakes import FakeUnitOfWork


class FakeMembers:
    """In-memory member store; `track` is the unit of work's, as in the Mongo repository."""

    def __init__(self, rows: dict[str, Member] | None = None, track: Callable[[Member], None] = lambda m: None) -> None:
        self.rows = rows if rows is not None else {}
        self._track = track

    async def add(self, member: Member) -> None:
        self.rows[member.id] = member
        self._track(member)

    async def get(self, tenant: str, member_id: str) -> Member | None:
        m = self.rows.get(member_id)
        return m if m and m.tenant == tenant else None

    async def by_email(self, tenant: str, email: str) -> Member | None:
        return next((m for m in self.rows.values() if m.tenant == tenant and m.email == email), None)

    async def page(self, tenant: str, limit: int, after: str | None) -> list[Member]:
        ids = sorted(i for i, m in self.rows.items() if m.tenant == tenant and (after is None or i > after))
        return [self.rows[i] for i in ids[:limit]]

    async def save(self, member: Member) -> None:
        stored = self.rows.get(member.id)
        if stored is not None and stored is not member and stored.version != member.persisted_version:
            raise ConcurrencyConflict(member.id)
        self.rows[member.id] = member
        self._track(member)

    async def search(self, query: SearchDirectory) -> list[tuple[str, Member]]:
        raise NotImplementedError("directory search is covered by the integration tests")

    async def consent_history(self, tenant: str, member_id: str) -> list[ConsentRecord]:
        m = self.rows[member_id]
        return list(m.consents.values())


class FakeMembersUnitOfWork(FakeUnitOfWork):
    def __init__(self, store: FakeMembers) -> None:
        super().__init__(to_contract)
        self.members = FakeMembers(store.rows, self.track)
