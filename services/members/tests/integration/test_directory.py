"""Directory search against a real MongoDB-wire server: prefix names, cohorts, employers,
pagination, listing, and filters that never reveal what a member hides."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from members_service.adapters.mongo_directory_search import MongoDirectorySearch
from members_service.adapters.mongo_indexes import INDEXES
from members_service.adapters.mongo_members import MongoMemberRepository
from members_service.adapters.mongo_reader import MongoMemberReader
from members_service.domain.consent import Channel, ConsentRecord, Purpose
from members_service.domain.directory import DirectoryCriteria, Viewer
from members_service.domain.model import Member, ProfileChanges
from members_service.domain.profile import Cohort, Education, Position, Section, Visibility
from members_service.service_layer import consents, directory
from members_service.service_layer.directory import SearchDirectory
from servicekit.mongo import ensure_indexes

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 26, tzinfo=UTC)
ALUMNUS = Viewer("viewer", staff=False)
MANAGER = Viewer(None, staff=True)


def person(first: str, last: str, *, year: int = 2012, program: str = "MSc Finance", listed: bool = True,
           employer: str | None = None, career_visibility: Visibility = Visibility.ALUMNI, city: str | None = None,
           tenant: str = "demo") -> Member:
    member = Member.register(tenant=tenant, first_name=first, last_name=last,
                             email=f"{first}.{last}.{year}@example.org".lower().replace(" ", ""), locale="fr",
                             cohort=Cohort(program, year), now=NOW)
    changes = ProfileChanges(city=city, career=(Position(employer, "Engineer", "aerospace"),) if employer else None)
    member.update_profile(changes, NOW)
    member.set_visibility({Section.CAREER: career_visibility, Section.LOCATION: career_visibility})
    if listed:
        member.record_consent(ConsentRecord(Purpose.DIRECTORY, True, "v1", "fr", Channel.WEB, "x", "alumnus", NOW))
    return member


@pytest.fixture
async def repo(db: Any) -> MongoDirectorySearch:
    await ensure_indexes(db, INDEXES)
    repository = MongoMemberRepository(db, None, lambda _m: None)
    for m in [
        person("Béatrice", "Dupont", employer="Airbus", city="Toulouse"),
        person("Beatrix", "Zola", year=2015, employer="Air Liquide", career_visibility=Visibility.MANAGERS),
        person("Bernard", "Lefèvre", year=2010, program="Grande École"),
        person("Jean-Pierre", "Martin", year=2012, employer="Thales"),
        person("Hidden", "Person", listed=False),
        person("Béa", "Other-Tenant", tenant="other"),
    ]:
        await repository.add(m)
    return MongoDirectorySearch(db)


async def search(repo: MongoDirectorySearch, viewer: Viewer = ALUMNUS, **criteria: Any) -> list[str]:
    cards, _ = await directory.search_directory(
        SearchDirectory(tenant="demo", viewer=viewer, criteria=DirectoryCriteria(**criteria)), repo)
    return [f"{c.first_name} {c.last_name}" for c in cards]


async def test_name_prefix_ignores_accents_and_case(repo: MongoDirectorySearch) -> None:
    assert await search(repo, name_prefix="bea") == ["Béatrice Dupont", "Beatrix Zola"]
    assert await search(repo, name_prefix="LEFEV") == ["Bernard Lefèvre"]
    assert await search(repo, name_prefix="pierre") == ["Jean-Pierre Martin"], "parts of compound names"


async def test_only_listed_members_of_the_tenant_appear_for_alumni(repo: MongoDirectorySearch) -> None:
    names = await search(repo)
    assert "Hidden Person" not in names and "Béa Other-Tenant" not in names
    assert names == sorted(names, key=lambda n: n.split()[-1].lower().replace("è", "e"))
    assert "Hidden Person" in await search(repo, viewer=MANAGER), "the office sees its whole register"


async def test_cohort_filters(repo: MongoDirectorySearch) -> None:
    assert await search(repo, year_from=2012, year_to=2012) == ["Béatrice Dupont", "Jean-Pierre Martin"]
    assert await search(repo, program="MSc Finance", year_from=2012, year_to=2012) == [
        "Béatrice Dupont", "Jean-Pierre Martin"]
    assert await search(repo, program="Grande École") == ["Bernard Lefèvre"]
    assert await search(repo, year_from=2011, year_to=2016, name_prefix="bea") == ["Béatrice Dupont", "Beatrix Zola"]
    assert await search(repo, name_prefix="du") == ["Béatrice Dupont"], "one or two letters: last names only"
    assert await search(repo, name_prefix="b") == []


async def test_filters_never_match_on_a_hidden_section(repo: MongoDirectorySearch) -> None:
    # Beatrix shows her career to managers only: an alumnus searching "Air" must not learn where she works.
    assert await search(repo, employer_prefix="air") == ["Béatrice Dupont"]
    assert await search(repo, viewer=MANAGER, employer_prefix="air") == ["Béatrice Dupont", "Beatrix Zola"]
    assert await search(repo, city="toulouse") == ["Béatrice Dupont"]
    cards, _ = await directory.search_directory(
        SearchDirectory(tenant="demo", viewer=ALUMNUS, criteria=DirectoryCriteria(name_prefix="beatrix")), repo)
    assert cards[0].career is None and cards[0].city is None


async def test_cursor_pagination_is_stable_and_complete(repo: MongoDirectorySearch) -> None:
    seen: list[str] = []
    after = None
    while True:
        cards, after = await directory.search_directory(
            SearchDirectory(tenant="demo", viewer=ALUMNUS, limit=1, after=after), repo)
        seen += [c.member_id for c in cards]
        if after is None:
            break
    everything, _ = await directory.search_directory(SearchDirectory(tenant="demo", viewer=ALUMNUS, limit=50), repo)
    assert seen == [c.member_id for c in everything] and len(seen) == 4


async def test_consent_ledger_is_append_only_history(repo: MongoDirectorySearch, db: Any, mongo_client: Any,
                                                     db_name: str) -> None:
    from members_service.adapters.unit_of_work import MongoMembersUnitOfWork
    from members_service.service_layer.commands import Actor
    from members_service.service_layer.consents import SetConsent
    from members_service.service_layer.contract_mapping import to_contract

    [card] = (await directory.search_directory(
        SearchDirectory(tenant="demo", viewer=MANAGER, criteria=DirectoryCriteria(name_prefix="hidden")), repo))[0]
    me = Actor("sub", card.member_id, staff=False)
    for granted in (True, False, True):
        await consents.set_consent(SetConsent("demo", card.member_id, me, Purpose.NEWSLETTER, granted, "v1", "fr",
                                              Channel.WEB), MongoMembersUnitOfWork(mongo_client, db_name, to_contract))
    reader = MongoMemberReader(db)
    _, history = await consents.consent_ledger("demo", card.member_id, me, reader)
    assert [r.granted for r in history if r.purpose is Purpose.NEWSLETTER] == [True, False, True]
    member = await reader.get("demo", card.member_id)
    assert member is not None and member.consented(Purpose.NEWSLETTER)
    assert Education("MSc Finance", 2012) in member.education
