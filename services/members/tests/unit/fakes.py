"""In-memory fakes of the members ports, for unit tests through `bootstrap(...)`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from members_service.domain.consent import ConsentRecord
from members_service.domain.directory import list_matches
from members_service.domain.erasure import Erasure
from members_service.domain.groups import Group, GroupKind, Membership, cohort_group_id
from members_service.domain.membership import Membership as DuesMembership
from members_service.domain.model import Member
from members_service.domain.profile import Cohort
from members_service.domain.sectors import DEFAULT_SECTORS, SectorList
from members_service.domain.showcase import PublicShowcase
from members_service.service_layer.contract_mapping import to_contract
from members_service.service_layer.directory import SearchDirectory
from servicekit.domain import ConcurrencyConflict
from servicekit.testing.fakes import FakeUnitOfWork


class FakeMembers:
    """In-memory member store; `track` is the unit of work's, as in the Mongo repository."""

    def __init__(self, rows: dict[str, Member] | None = None, track: Callable[[Member], None] = lambda m: None) -> None:
        self.rows = rows if rows is not None else {}
        self._track = track
        self.settings: dict[str, SectorList] = {}
        self.erasures: dict[str, Erasure] = {}
        self.groups: dict[str, Group] = {}
        self.memberships: dict[str, Membership] = {}
        self.erased_import_rows: list[str] = []
        self.forgotten_directories: list[str] = []
        self.dues_memberships: dict[str, DuesMembership] = {}

    async def add(self, member: Member) -> None:
        self.rows[member.id] = member
        self._track(member)

    async def delete(self, member: Member) -> None:
        del self.rows[member.id]
        self._track(member)

    async def in_cohort(self, tenant: str, cohort: Cohort) -> list[Member]:
        return [m for m in self.rows.values() if m.tenant == tenant and cohort in {e.cohort for e in m.education}]

    async def get_many(self, tenant: str, member_ids: list[str]) -> list[Member]:
        return [m for i, m in self.rows.items() if i in member_ids and m.tenant == tenant]

    async def overdue_erasures(self, now: datetime) -> list[tuple[str, str]]:
        return [(e.tenant, e.id) for e in self.erasures.values() if e.overdue(now)]

    async def get(self, tenant: str, member_id: str) -> Member | None:
        m = self.rows.get(member_id)
        return m if m and m.tenant == tenant else None

    async def by_email(self, tenant: str, email: str) -> Member | None:
        return next((m for m in self.rows.values() if m.tenant == tenant and m.email == email), None)

    async def page(self, tenant: str, limit: int, after: str | None, *, newest_first: bool = False,
                   name_prefix: str | None = None) -> list[Member]:
        ids = sorted((i for i, m in self.rows.items() if m.tenant == tenant
                      and (after is None or (i < after if newest_first else i > after))
                      and (not name_prefix or list_matches(m, name_prefix))), reverse=newest_first)
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


    async def published_showcases(self, tenant: str) -> list[PublicShowcase]:
        return [m.showcase_public for m in self.rows.values() if m.tenant == tenant and m.showcase_public]

    async def showcases_expiring(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        return [(m.tenant, m.id) for m in self.rows.values()
                if m.showcase_public and m.showcase_public.expires_at <= now][:limit]

    async def sectors(self, tenant: str) -> SectorList:
        return self.settings.get(tenant, DEFAULT_SECTORS)


class FakeErasures:
    def __init__(self, rows: dict[str, Erasure], track: Callable[[Erasure], None]) -> None:
        self.rows = rows
        self._track = track

    async def add(self, erasure: Erasure) -> None:
        self.rows[erasure.id] = erasure
        self._track(erasure)

    async def save(self, erasure: Erasure) -> None:
        self.rows[erasure.id] = erasure
        self._track(erasure)

    async def get(self, tenant: str, erasure_id: str) -> Erasure | None:
        e = self.rows.get(erasure_id)
        if e is not None and e.tenant == tenant:
            self._track(e)
            return e
        return None

    async def overdue(self, now: datetime) -> list[tuple[str, str]]:
        return [(e.tenant, e.id) for e in self.rows.values() if e.overdue(now)]


class FakeGroups:
    def __init__(self, rows: dict[str, Group], track: Callable[[Group], None]) -> None:
        self.rows, self._track = rows, track

    async def add(self, group: Group) -> None:
        self.rows[group.id] = group
        self._track(group)

    async def ensure_cohort_groups(self, tenant: str, cohorts: set[Cohort], now: datetime) -> None:
        for cohort in cohorts:
            group = Group.for_cohort(tenant, cohort, now)
            if group.id not in self.rows:
                await self.add(group)

    async def get(self, tenant: str, group_id: str) -> Group | None:
        g = self.rows.get(group_id)
        return g if g and g.tenant == tenant else None

    async def cohort_group(self, tenant: str, cohort: Cohort) -> Group | None:
        return await self.get(tenant, cohort_group_id(tenant, cohort))

    async def list(self, tenant: str, kind: GroupKind | None) -> list[Group]:
        return [g for g in self.rows.values() if g.tenant == tenant and (kind is None or g.kind is kind)]


class FakeMemberships:
    def __init__(self, rows: dict[str, Membership], track: Callable[[Membership], None]) -> None:
        self.rows, self._track = rows, track

    async def get(self, tenant: str, group_id: str, member_id: str) -> Membership | None:
        m = self.rows.get(f"{group_id}:{member_id}")
        if m is not None:
            self._track(m)
        return m

    async def save(self, membership: Membership) -> None:
        self.rows[membership.id] = membership
        self._track(membership)

    async def of_group(self, tenant: str, group_id: str) -> list[Membership]:
        return [m for m in self.rows.values() if m.group_id == group_id]

    async def of_member(self, tenant: str, member_id: str) -> list[Membership]:
        return [m for m in self.rows.values() if m.member_id == member_id]

    async def erase_member(self, tenant: str, member_id: str) -> None:
        for key in [k for k, m in self.rows.items() if m.tenant == tenant and m.member_id == member_id]:
            del self.rows[key]


class FakeImportRows:
    """Only what erasure asks of the import slice (the pipeline is covered by integration tests)."""

    def __init__(self, erased: list[str]) -> None:
        self.erased = erased

    async def erase_member(self, member: Member) -> None:
        self.erased.append(member.id)


class FakeDirectoryUpkeep:
    def __init__(self, forgotten: list[str]) -> None:
        self.forgotten = forgotten

    async def forget(self, member: Member) -> None:
        self.forgotten.append(member.tenant)


class FakeTenantSettings:
    def __init__(self, rows: dict[str, SectorList]) -> None:
        self.rows = rows

    async def sectors(self, tenant: str) -> SectorList:
        return self.rows.get(tenant, DEFAULT_SECTORS)

    async def save_sectors(self, tenant: str, sectors: SectorList) -> None:
        self.rows[tenant] = sectors


class FakeDuesMemberships:
    """Dues memberships by id (erasure tests; the membership use cases are tested on MongoDB)."""

    def __init__(self, rows: dict[str, DuesMembership], track: Callable[[DuesMembership], None]) -> None:
        self.rows = rows
        self._track = track

    async def of_member(self, tenant: str, member_id: str) -> DuesMembership | None:
        return next((m for m in self.rows.values() if m.tenant == tenant and m.member_id == member_id), None)

    async def delete_of_member(self, tenant: str, member_id: str) -> int:
        doomed = [k for k, m in self.rows.items() if m.tenant == tenant and m.member_id == member_id]
        for k in doomed:
            del self.rows[k]
        return len(doomed)


class FakeMembersUnitOfWork(FakeUnitOfWork):
    def __init__(self, store: FakeMembers) -> None:
        super().__init__(to_contract)
        self.members = FakeMembers(store.rows, self.track)
        self.members.settings = store.settings
        self.settings = FakeTenantSettings(store.settings)
        self.erasures = FakeErasures(store.erasures, self.track)
        self.groups = FakeGroups(store.groups, self.track)
        self.memberships = FakeMemberships(store.memberships, self.track)
        self.import_rows = FakeImportRows(store.erased_import_rows)
        self.directory = FakeDirectoryUpkeep(store.forgotten_directories)
        self.dues_memberships = FakeDuesMemberships(store.dues_memberships, self.track)


class FakeFileStore:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    async def put(self, name: str, data: bytes) -> None:
        self.files[name] = data

    async def get(self, name: str) -> bytes | None:
        return self.files.get(name)

    async def delete(self, name: str) -> None:
        self.files.pop(name, None)
