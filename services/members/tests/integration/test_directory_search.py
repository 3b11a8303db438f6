"""The `DirectorySearch` adapter against a real MongoDB-wire server, compared page by page with
the domain rule applied to every member: each query kind, with and without the name-order
sketch, for an alumnus and for the office, across cursor pages — the adapter's screening on the
derived fields may only skip members that `directory.matches` rejects, and no member of
another tenant ever appears."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from members_service.adapters.mongo_directory_search import MEMBERS, MongoDirectorySearch
from members_service.adapters.mongo_indexes import INDEXES
from members_service.adapters.mongo_member_documents import sort_key
from members_service.adapters.mongo_members import MongoMemberRepository
from members_service.adapters.mongo_name_order_sketch import NameOrderSketches
from members_service.domain.ambassador import AmbassadorScope
from members_service.domain.consent import Channel, ConsentRecord, Purpose
from members_service.domain.directory import DirectoryCriteria, Viewer, matches
from members_service.domain.model import Member, ProfileChanges
from members_service.domain.profile import Cohort, Position, Section, Visibility
from members_service.service_layer import directory as directory_service
from members_service.service_layer.directory import SearchDirectory
from servicekit.mongo import ensure_indexes

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 26, tzinfo=UTC)
FIRST = ["Léa", "Jean-Pierre", "Béatrice", "Marc", "Zoé", "Noël", "Anne Marie"]
LAST = ["Dupont", "Le Goff", "Martin", "Béranger", "Müller", "O'Brien", "Marchand", "Zola"]
EMPLOYERS = [("Airbus", "aerospace"), ("Air Liquide", "chemicals"), ("Thales", "aerospace"), ("BNP", "banking")]
CITIES = ["Toulouse", "Lyon", "Saint-Étienne"]
ALUMNUS = Viewer("viewer", staff=False)
STAFF = Viewer(None, staff=True)
CRITERIA = [
    DirectoryCriteria(),
    DirectoryCriteria(name_prefix="ma"),
    DirectoryCriteria(name_prefix="mar"),
    DirectoryCriteria(name_prefix="PIERRE"),
    DirectoryCriteria(name_prefix="goff"),
    DirectoryCriteria(name_prefix="obri"),
    DirectoryCriteria(name_prefix="rose"),  # only in usage names: "Roseline"
    DirectoryCriteria(program="MSc", year_from=2005, year_to=2005),
    DirectoryCriteria(year_from=2003, year_to=2008, name_prefix="be"),
    DirectoryCriteria(year_from=2003, year_to=2008, name_prefix="lea"),
    DirectoryCriteria(employer_prefix="air"),
    DirectoryCriteria(sector="aerospace", city="lyon"),
    DirectoryCriteria(city="SAINT-ÉTIENNE"),
    DirectoryCriteria(country="FR"),
    DirectoryCriteria(ambassadors_only=True),
]


def person(i: int, rng: random.Random, tenant: str = "demo") -> Member:
    m = Member.register(tenant=tenant, first_name=rng.choice(FIRST), last_name=rng.choice(LAST),
                        email=f"p{i}.{tenant}@example.org", locale="fr",
                        cohort=Cohort(rng.choice(["MSc", "BBA"]), 2000 + i % 10), now=NOW)
    employer, sector = rng.choice(EMPLOYERS)
    m.update_profile(ProfileChanges(city=rng.choice(CITIES), country=rng.choice(["FR", "BE"]),
                                    usage_name="Roseline" if i % 17 == 0 else None,
                                    career=(Position(employer, "Engineer", sector),)), NOW)
    m.set_visibility({Section.CAREER: rng.choice([Visibility.ALUMNI, Visibility.MANAGERS]),
                      Section.LOCATION: rng.choice([Visibility.ALUMNI, Visibility.MANAGERS])})
    if rng.random() < 0.75:
        m.record_consent(ConsentRecord(Purpose.DIRECTORY, True, "v1", "fr", Channel.WEB, "x", "alumnus", NOW))
    if i % 11 == 0:
        m.appoint_ambassador(AmbassadorScope((), ("MSc",), ()), "staff", NOW)
    return m


@pytest.fixture
async def members(db: Any) -> list[Member]:
    await ensure_indexes(db, INDEXES)
    rng = random.Random(7)
    writer = MongoMemberRepository(db, None, lambda _m: None)
    demo = [person(i, rng) for i in range(160)]
    await writer.add_many(demo)
    await writer.add_many([person(i, rng, tenant="other") for i in range(40)])  # the same names elsewhere
    return demo


async def every_page(directory: MongoDirectorySearch, viewer: Viewer, criteria: DirectoryCriteria,
                     limit: int) -> list[str]:
    seen: list[str] = []
    after = None
    for _ in range(200):
        cards, after = await directory_service.search_directory(SearchDirectory("demo", viewer, criteria, limit, after),
                                                       directory)
        seen += [c.member_id for c in cards]
        if after is None:
            return seen
    raise AssertionError("the pages did not end")


@pytest.mark.parametrize("with_sketch", [False, True])
async def test_every_query_kind_finds_exactly_what_the_domain_rule_finds(members: list[Member], db: Any,
                                                                         with_sketch: bool) -> None:
    sketches = NameOrderSketches(db) if with_sketch else None
    if sketches is not None:
        await sketches.rebuild("demo")
    directory = MongoDirectorySearch(db, sketches)
    in_order = sorted(members, key=sort_key)
    for viewer in (ALUMNUS, STAFF):
        for criteria in CRITERIA:
            expected = [m.id for m in in_order if matches(m, criteria, viewer)]
            assert await every_page(directory, viewer, criteria, 7) == expected, (viewer, criteria)
    # The kinds that must find someone here do (the comparison above is not vacuous).
    for criteria in CRITERIA[1:]:
        assert await every_page(directory, STAFF, criteria, 50), criteria


async def test_a_filter_on_a_hidden_section_finds_only_what_the_viewer_may_see(members: list[Member],
                                                                                db: Any) -> None:
    directory = MongoDirectorySearch(db)
    by_id = {m.id: m for m in members}
    for criteria in (DirectoryCriteria(employer_prefix="air"), DirectoryCriteria(city="lyon")):
        section = Section.CAREER if criteria.employer_prefix else Section.LOCATION
        for_alumni = await every_page(directory, ALUMNUS, criteria, 20)
        for_staff = await every_page(directory, STAFF, criteria, 20)
        assert for_alumni and all(by_id[i].visibility[section] is Visibility.ALUMNI for i in for_alumni)
        assert set(for_alumni) < set(for_staff), "the office also finds those who show it to managers only"
    # A member finds themself by a section they show to managers only.
    me = next(m for m in members if m.listed and m.visibility[Section.LOCATION] is Visibility.MANAGERS)
    assert me.id in await every_page(directory, Viewer(me.id, staff=False), DirectoryCriteria(city=me.city), 50)
    assert me.id not in await every_page(directory, ALUMNUS, DirectoryCriteria(city=me.city), 50)


async def test_no_member_of_another_tenant_appears(members: list[Member], db: Any) -> None:
    directory = MongoDirectorySearch(db)
    others = {d["_id"] async for d in db[MEMBERS].find({"tenant": "other"}, {"_id": 1})}
    assert len(others) == 40
    for criteria in CRITERIA:
        found = await every_page(directory, STAFF, criteria, 9)
        assert not others & set(found), criteria
    cards, _ = await directory_service.search_directory(SearchDirectory("other", STAFF, DirectoryCriteria(), 100), directory)
    assert {c.member_id for c in cards} == others


async def test_keys_of_an_older_folding_rule_are_not_trusted_by_the_screen(members: list[Member], db: Any) -> None:
    """A member whose stored keys predate the folding rule is still judged by the domain rule
    (the screen lets it through), as long as the index range reaches it."""
    directory = MongoDirectorySearch(db)
    target = next(m for m in members if m.listed and m.city == "Lyon")
    await db[MEMBERS].update_one({"_id": target.id}, {"$set": {"keys_version": 0, "city_key": "stale"}})
    found = await every_page(directory, STAFF, DirectoryCriteria(city="lyon"), 50)
    assert target.id in found
