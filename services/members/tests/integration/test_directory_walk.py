"""Walking the directory in name order across many members: with and without the sketch,
with full and partial (budget-limited) pages, nothing is skipped or repeated."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from members_service.adapters import mongo_directory_search, mongo_member_documents
from members_service.adapters.mongo_directory_search import MongoDirectorySearch
from members_service.adapters.mongo_indexes import INDEXES
from members_service.adapters.mongo_members import MongoMemberRepository
from members_service.adapters.mongo_name_order_sketch import NameOrderSketches
from members_service.domain.consent import Channel, ConsentRecord, Purpose
from members_service.domain.directory import DirectoryCriteria, Viewer
from members_service.domain.model import Member
from members_service.domain.profile import Cohort, name_key
from members_service.service_layer import directory
from members_service.service_layer.directory import SearchDirectory
from servicekit.mongo import ensure_indexes

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 26, tzinfo=UTC)
LAST = ["Abadie", "Bernard", "Béranger", "Dupont", "Durand", "Lefèvre", "Martin", "Müller", "Nguyen", "Zola", "3M"]


@pytest.fixture
async def members(db: Any) -> list[Member]:
    await ensure_indexes(db, INDEXES)
    rng = random.Random(3)
    repo = MongoMemberRepository(db, None, lambda _m: None)
    out = []
    for i in range(300):
        m = Member.register(tenant="demo", first_name=rng.choice(["Léa", "Hugo", "Zoé", "Noël"]),
                            last_name=rng.choice(LAST), email=f"m{i}@example.org", locale="fr",
                            cohort=Cohort("MSc", 2000 + i % 20), now=NOW)
        if i % 4:
            m.record_consent(ConsentRecord(Purpose.DIRECTORY, True, "v1", "fr", Channel.IMPORT, "x", "staff", NOW))
        await repo.add(m)
        out.append(m)
    return out


async def walk(repo: MongoDirectorySearch, criteria: DirectoryCriteria, viewer: Viewer, limit: int) -> list[str]:
    seen: list[str] = []
    after = None
    for _ in range(500):
        cards, after = await directory.search_directory(
            SearchDirectory("demo", viewer, criteria, limit=limit, after=after), repo)
        seen += [c.member_id for c in cards]
        if after is None:
            return seen
    raise AssertionError("the walk did not end")


def expected(members: list[Member], keep: Any) -> list[str]:
    return [m.id for m in sorted((m for m in members if keep(m)), key=mongo_member_documents.sort_key)]


@pytest.mark.parametrize("with_sketch", [False, True])
async def test_walk_returns_every_listed_member_once_in_name_order(members: list[Member], db: Any,
                                                                   with_sketch: bool) -> None:
    sketches = NameOrderSketches(db) if with_sketch else None
    if sketches is not None:
        await sketches.rebuild("demo")
    repo = MongoDirectorySearch(db, sketches)
    alumnus = Viewer("someone", staff=False)
    assert await walk(repo, DirectoryCriteria(), alumnus, 7) == expected(members, lambda m: m.listed)
    assert await walk(repo, DirectoryCriteria(), Viewer(None, True), 50) == expected(members, lambda m: True)


async def test_budget_limited_pages_resume_where_they_stopped(members: list[Member], db: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mongo_directory_search, "WALK_BUDGET", 10)
    sketches = NameOrderSketches(db)
    await sketches.rebuild("demo")
    repo = MongoDirectorySearch(db, sketches)
    rare = DirectoryCriteria(year_from=2019, year_to=2019)
    found = await walk(repo, rare, Viewer("someone", staff=False), 5)
    assert found == expected(members, lambda m: m.listed and m.education[0].graduation_year == 2019)


async def test_name_prefixes_common_and_rare(members: list[Member], db: Any) -> None:
    repo = MongoDirectorySearch(db)
    viewer = Viewer("someone", staff=False)
    for prefix in ("mar", "mü", "nguy", "3m", "zo", "d", "léa"):
        found = await walk(repo, DirectoryCriteria(name_prefix=prefix), viewer, 6)
        folded = name_key(prefix)
        names = (lambda m: (m.last_name,)) if len(folded) < 3 else (lambda m: (m.first_name, m.last_name))
        assert found == expected(members, lambda m, p=folded, names=names: m.listed and any(
            name_key(n).startswith(p) for n in names(m))), prefix


@pytest.mark.parametrize("threshold", [10**6, 20])
async def test_common_first_names_walk_the_name_order_with_the_same_results(
        members: list[Member], db: Any, monkeypatch: pytest.MonkeyPatch, threshold: int) -> None:
    """Above the threshold the scattered name ranges are not read: the name order is walked
    instead. Both strategies return the same members, in the same order, across pages."""
    monkeypatch.setattr(mongo_directory_search, "SCATTERED_READ_MAX", threshold)
    sketches = NameOrderSketches(db)
    await sketches.rebuild("demo")
    sketch = await sketches.get("demo", listed_only=True)
    assert sketch is not None and sketch.scattered_matches("zoe") > 20 and sketch.scattered_matches("qqq") == 0
    repo = MongoDirectorySearch(db, sketches)
    viewer = Viewer("someone", staff=False)
    for prefix in ("zoé", "noe", "mar", "lea"):
        found = await walk(repo, DirectoryCriteria(name_prefix=prefix), viewer, 6)
        folded = name_key(prefix)
        assert found == expected(members, lambda m, p=folded: m.listed and any(
            name_key(n).startswith(p) for n in (m.first_name, m.last_name))), prefix


async def test_sketch_is_built_on_first_refresh_and_rebuilt_when_a_walk_finds_it_stale(
        members: list[Member], db: Any) -> None:
    sketches = NameOrderSketches(db)
    await sketches.refresh_due()
    before = await sketches.get("demo", listed_only=False)
    assert before is not None and len(before.boundaries) == 300 // 64
    repo = MongoDirectorySearch(db, sketches)
    writer = MongoMemberRepository(db, None, lambda _m: None)
    for i in range(600):  # all after the last boundary: one huge window until the rebuild
        await writer.add(Member.register(tenant="demo", first_name="Zed", last_name=f"Zz{i:03d}",
                                       email=f"z{i}@example.org", locale="fr", cohort=Cohort("MSc", 2001), now=NOW))
    await walk(repo, DirectoryCriteria(name_prefix="zz"), Viewer(None, True), 50)
    await sketches.refresh_due()
    after = await sketches.get("demo", listed_only=False)
    assert after is not None and len(after.boundaries) == 900 // 64


async def test_a_sketch_deleted_by_an_erasure_is_rebuilt_on_the_next_refresh(members: list[Member], db: Any) -> None:
    from members_service.adapters.mongo_name_order_sketch import SKETCHES

    sketches = NameOrderSketches(db)
    await sketches.refresh_due()
    await db[SKETCHES].delete_many({"tenant": "demo"})
    await sketches.refresh_due()
    assert await db[SKETCHES].count_documents({"tenant": "demo"}) == 2
