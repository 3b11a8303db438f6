"""The staff member list against a real MongoDB-wire server: registration order both ways,
cursor paging that reaches the last member, and name/email prefix search."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from members_service.adapters.mongo_indexes import INDEXES
from members_service.adapters.mongo_members import MongoMemberRepository
from members_service.domain.model import Member
from members_service.domain.profile import Cohort
from members_service.service_layer import profiles
from members_service.service_layer.profiles import ListMembers
from servicekit.mongo import ensure_indexes

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 26, tzinfo=UTC)
NAMES = [("Béatrice", "Dupont"), ("Bernard", "Lefèvre"), ("Jean-Pierre", "Martin-Dupuis"), ("Zoé", "Durand"),
         ("Marie", "Dupont"), ("Hugo", "Bernardi"), ("Élodie", "Martin"), ("Paul", "Zola")]


def person(first: str, last: str, tenant: str = "demo") -> Member:
    return Member.register(tenant=tenant, first_name=first, last_name=last, locale="fr",
                           email=f"{first}.{last}@example.org".lower().replace("é", "e").replace("è", "e"),
                           cohort=Cohort("MSc Finance", 2012), now=NOW)


@pytest.fixture
async def repo(db: Any) -> tuple[MongoMemberRepository, list[str]]:
    await ensure_indexes(db, INDEXES)
    repository = MongoMemberRepository(db, None, lambda _m: None)
    ids = []
    for first, last in NAMES:  # registered in this order: ids are UUIDv7, increasing
        member = person(first, last)
        await repository.add(member)
        ids.append(member.id)
    await repository.add(person("Béa", "Dupont", tenant="other"))
    return repository, ids


async def walk(repo: MongoMemberRepository, limit: int, **options: Any) -> list[list[str]]:
    pages, after = [], None
    while True:
        members, after = await profiles.list_members(ListMembers("demo", limit, after, **options), repo)
        pages.append([f"{m.first_name} {m.last_name}" for m in members])
        if after is None:
            return pages


def flat(pages: list[list[str]]) -> list[str]:
    return [name for page in pages for name in page]


async def test_pages_reach_every_member_oldest_or_newest_first(repo: tuple[MongoMemberRepository, list[str]]) -> None:
    repository, ids = repo
    everyone = [f"{f} {last}" for f, last in NAMES]
    oldest = await walk(repository, 3)
    assert oldest == [everyone[0:3], everyone[3:6], everyone[6:8]]
    newest = await walk(repository, 3, newest_first=True)
    assert flat(newest) == everyone[::-1] and [len(p) for p in newest] == [3, 3, 2]
    members, cursor = await profiles.list_members(ListMembers("demo", 8, None, newest_first=True), repository)
    assert cursor is None and members[0].id == ids[-1], "an exact last page has no cursor"


async def test_name_prefix_search_in_either_order_with_cursor(repo: tuple[MongoMemberRepository, list[str]]) -> None:
    repository, _ = repo
    assert flat(await walk(repository, 10, name_prefix="du")) == ["Béatrice Dupont", "Zoé Durand", "Marie Dupont"], \
        "one or two letters: the start of last names only (not the second part of a compound name)"
    assert flat(await walk(repository, 1, name_prefix="DUP", newest_first=True)) == \
        ["Marie Dupont", "Jean-Pierre Martin-Dupuis", "Béatrice Dupont"], "3+ letters: parts of compound names too"
    assert flat(await walk(repository, 10, name_prefix="ber")) == ["Bernard Lefèvre", "Hugo Bernardi"], \
        "first names and last names"
    assert flat(await walk(repository, 10, name_prefix="elo")) == ["Élodie Martin"], "accents folded"
    assert flat(await walk(repository, 10, name_prefix="marie dup")) == ["Marie Dupont"], "every word matches"
    assert flat(await walk(repository, 10, name_prefix="paul.zo")) == ["Paul Zola"], "the start of an email"
    assert flat(await walk(repository, 10, name_prefix="xyz")) == []
    assert flat(await walk(repository, 10, name_prefix="   ")) == [f"{f} {last}" for f, last in NAMES]


async def test_other_tenants_never_appear(repo: tuple[MongoMemberRepository, list[str]]) -> None:
    repository, _ = repo
    members, _ = await profiles.list_members(ListMembers("other", 50, None, name_prefix="bea"), repository)
    assert [m.last_name for m in members] == ["Dupont"]
    assert "Béa Dupont" not in flat(await walk(repository, 50, name_prefix="dup"))


def uuid7_at(ms: int, n: int) -> str:
    return str(uuid.UUID(int=(ms << 80) | (7 << 76) | (0b10 << 62) | n))


async def test_windows_over_the_id_space_miss_no_member(db: Any) -> None:
    """Ids spread over years, days, one millisecond, the future, and a few that are no UUIDv7 at
    all: every page order reads them all exactly once, in id order."""
    await ensure_indexes(db, INDEXES)
    repository = MongoMemberRepository(db, None, lambda _m: None)
    now = int(time.time() * 1000)
    day = 86_400_000
    spread = [now - 3000 * day, now - 400 * day, now - 30 * day, now - day, now - 5_000, now - 10, now + 60_000]
    ids = [uuid7_at(ms, n) for n, ms in enumerate(spread)] + [uuid7_at(now - 2 * day, n) for n in range(20)]
    ids += ["legacy-1", "0-not-canonical", "FFFFFFFF-0000-7000-8000-000000000000"]
    for n, member_id in enumerate(ids):
        member = Member.register(tenant="demo", first_name="W", last_name=f"Window{n}", email=f"w{n}@example.org",
                                 locale="fr", cohort=Cohort("P", 2000), now=NOW, member_id=member_id)
        await repository.add(member)
    for limit in (1, 4, 50):
        for newest_first in (False, True):
            seen, after = [], None
            while True:
                members, after = await profiles.list_members(ListMembers("demo", limit, after, newest_first), repository)
                seen += [m.id for m in members]
                if after is None:
                    break
            assert seen == sorted(ids, reverse=newest_first), (limit, newest_first)
