"""Name folding through the real repository: every spelling of a name finds it (stored keys and
queries fold alike), members stored under the previous rule are re-keyed, and the CSV import's
duplicate detection treats spellings of one name as one."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest
from nats.js import JetStreamContext

from members_service.adapters.mongo_directory_search import MongoDirectorySearch
from members_service.adapters.mongo_indexes import INDEXES
from members_service.adapters.mongo_member_documents import SEARCH_KEY_FIELDS, to_document
from members_service.adapters.mongo_members import MEMBERS, MongoMemberRepository
from members_service.adapters.mongo_name_order_sketch import NameOrderSketches
from members_service.adapters.mongo_reader import MongoMemberReader
from members_service.adapters.mongo_search_keys import SCHEMA_VERSIONS, SearchKeyMigration, rekey_members
from members_service.adapters.nats_file_store import NatsFileStore
from members_service.adapters.unit_of_work import MongoMembersUnitOfWork
from members_service.domain.consent import Channel, ConsentRecord, Purpose
from members_service.domain.directory import DirectoryCriteria, Viewer
from members_service.domain.import_plan import RowStatus
from members_service.domain.model import Member
from members_service.domain.profile import SEARCH_KEYS_VERSION, Cohort
from members_service.service_layer import directory, imports, profiles
from members_service.service_layer.commands import Actor
from members_service.service_layer.contract_mapping import to_contract
from members_service.service_layer.directory import SearchDirectory
from members_service.service_layer.profiles import RegisterMember
from servicekit.mongo import ensure_indexes
from servicekit.outbox import outbox_indexes
from servicekit.topology import TopologySettings

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 26, tzinfo=UTC)
ALUMNUS = Viewer("viewer", staff=False)
STAFF = Actor("office", None, staff=True)
NAMES = [("Anne", "Œuvray"), ("Luc", "Œuvray"), ("Sean", "O'Brien"), ("Jean-Pierre", "Lefèvre"),
         ("Marie", "Jean-Pierre"), ("Awa", "N’Diaye"), ("Søren", "Saint-Exupéry"), ("Zoé", "Martin"),
         ("Obélix", "Gaulois"), ("Jeanne", "Pierrefeu")]


def person(first: str, last: str, i: int) -> Member:
    member = Member.register(tenant="demo", first_name=first, last_name=last, email=f"m{i}@example.org",
                             locale="fr", cohort=Cohort("MSc Finance", 2012), now=NOW)
    member.record_consent(ConsentRecord(Purpose.DIRECTORY, True, "v1", "fr", Channel.WEB, "x", "alumnus", NOW))
    return member


@pytest.fixture(params=["without-sketch", "with-sketch"])
async def repo(request: pytest.FixtureRequest, db: Any) -> MongoDirectorySearch:
    await ensure_indexes(db, INDEXES)
    sketches = None
    if request.param == "with-sketch":
        sketches = NameOrderSketches(db)
    repository = MongoMemberRepository(db, None, lambda _m: None)
    for i, (first, last) in enumerate(NAMES):
        await repository.add(person(first, last, i))
    if sketches is not None:
        await sketches.rebuild("demo")
    return MongoDirectorySearch(db, sketches)


async def search(repo: MongoDirectorySearch, q: str) -> list[str]:
    cards, _ = await directory.search_directory(
        SearchDirectory(tenant="demo", viewer=ALUMNUS, criteria=DirectoryCriteria(name_prefix=q)), repo)
    return [f"{c.first_name} {c.last_name}" for c in cards]


@pytest.mark.parametrize(("queries", "found"), [
    (["oeuvray", "œuvray", "OEUVRAY", "Œuvray", "oeuv", "Œu"], ["Anne Œuvray", "Luc Œuvray"]),
    (["obrien", "o'brien", "o’brien", "oʼbrien", "O'BRIEN", "o'b", "brien"], ["Sean O'Brien"]),
    (["ndiaye", "n'diaye", "n’diaye", "N DIAYE"], ["Awa N’Diaye"]),
    (["saint exupery", "saintexupery", "saint-exupéry", "saint‐ex", "exupery"], ["Søren Saint-Exupéry"]),
    (["soren", "søren", "SØREN"], ["Søren Saint-Exupéry"]),
])
async def test_every_spelling_finds_the_name(repo: MongoDirectorySearch, queries: list[str],
                                             found: list[str]) -> None:
    for q in queries:
        assert await search(repo, q) == found, q


async def test_hyphens_and_spaces_are_one_rule_for_first_and_last_names(repo: MongoDirectorySearch) -> None:
    # A first name (scattered index ranges) and a last name (the name-order region) alike.
    for q in ["jean pierre", "jeanpierre", "jean-pierre", "jean–pierre", "JEAN PIERRE", "jeanp"]:
        assert await search(repo, q) == ["Marie Jean-Pierre", "Jean-Pierre Lefèvre"], q
    assert await search(repo, "pierre") == ["Marie Jean-Pierre", "Jean-Pierre Lefèvre", "Jeanne Pierrefeu"]
    assert await search(repo, "ob") == ["Sean O'Brien"], "one or two letters: last names only (not Obélix)"
    assert await search(repo, "o'") == ["Sean O'Brien", "Anne Œuvray", "Luc Œuvray"], "Œ files under O"


def legacy_key(text: str) -> str:
    """The folding rule before SEARCH_KEYS_VERSION 2 (accents and case only)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


async def test_members_stored_under_the_previous_rule_are_rekeyed(db: Any) -> None:
    await ensure_indexes(db, INDEXES)
    repo = MongoDirectorySearch(db)
    members = [person(first, last, i) for i, (first, last) in enumerate(NAMES)]
    for m in members:  # as the previous version wrote them: old keys, no keys_version
        doc = to_document(m)
        del doc["keys_version"]
        doc.update(last_key=legacy_key(m.last_name), first_key=legacy_key(m.first_name),
                   sort_key="\x1f".join((legacy_key(m.last_name), legacy_key(m.first_name), m.id)))
        await db[MEMBERS].insert_one(doc)
    assert await search(repo, "oeuvray") == [], "old keys: the new rule's query misses them"

    stale: list[str] = []
    migration = SearchKeyMigration(db, stale.append)
    await migration.run_once()
    assert stale == ["demo"], "the tenant's name-order sketch is rebuilt afterwards"
    assert await search(repo, "oeuvray") == ["Anne Œuvray", "Luc Œuvray"]
    assert await search(repo, "obrien") == ["Sean O'Brien"]
    assert await search(repo, "jeanpierre") == ["Marie Jean-Pierre", "Jean-Pierre Lefèvre"]
    by_id = {m.id: m for m in members}
    changed = 0
    for doc in await db[MEMBERS].find({}).to_list():
        fresh = to_document(by_id[doc["_id"]])
        assert {f: doc[f] for f in SEARCH_KEY_FIELDS if f != "keys_version"} == {
            f: fresh[f] for f in SEARCH_KEY_FIELDS if f != "keys_version"}
        changed += doc.get("keys_version") == SEARCH_KEYS_VERSION
    # Only names that fold differently were written: Œuvray ×2, O'Brien, Jean-Pierre ×2, N’Diaye,
    # Saint-Exupéry/Søren; Zoé Martin, Obélix Gaulois and Jeanne Pierrefeu keys were already right.
    assert changed == 7
    marker = await db[SCHEMA_VERSIONS].find_one({"_id": "member-search-keys"})
    assert marker is not None and marker["version"] == SEARCH_KEYS_VERSION and marker["members"] == 7
    assert await rekey_members(db) == 0, "done: later starts skip the pass"
    await migration.run_once()  # once per process


async def test_import_flags_another_spelling_of_a_registered_name_in_the_same_cohort(
        mongo_client: Any, db: Any, db_name: str, js: JetStreamContext, topology: TopologySettings) -> None:
    await ensure_indexes(db, [*INDEXES, *outbox_indexes(7)])

    def uow() -> MongoMembersUnitOfWork:
        return MongoMembersUnitOfWork(mongo_client, db_name, to_contract)

    reader = MongoMemberReader(db)
    files = NatsFileStore(js)
    anne = await profiles.register_member(RegisterMember("demo", "Anne", "Œuvray", "anne@example.org", "fr",
                                                         Cohort("MSc Finance", 2012)), uow())
    csv = ("Prénom;Nom;Courriel;Programme;Promotion\r\n"
           "ANNE;Oeuvray;anne.pro@example.org;MSc Finance;2012\r\n"      # the registered Œuvray, another spelling
           "Anne;Oeuvray;anne.other@example.org;MBA;2020\r\n"            # same name, another cohort: a new member
           "Sean;O'Brien;sean@example.org;MSc Finance;2012\r\n"
           "Sean;O’Brien;sean.bis@example.org;MSc Finance;2012\r\n")     # same person as the line above?
    await files.put("demo.job-fold", csv.encode())
    await imports.upload_import(imports.UploadImport("demo", STAFF, "job-fold", "alumni.csv", "demo.job-fold",
                                                     len(csv.encode()), None, None), uow(), files)
    await imports.validate_import(imports.ValidateImport("demo", "job-fold", STAFF, None), uow())

    async def always() -> bool:
        return True

    await imports.run_import_job("demo", "job-fold", uow, reader, files, always)
    rows = uow()
    async with rows:
        reviews = await rows.import_rows.page("demo", "job-fold", RowStatus.REVIEW, 0, 10)
        new = await rows.import_rows.page("demo", "job-fold", RowStatus.NEW, 0, 10)
    assert [(r.line, r.match_member_id) for r in reviews] == [(2, anne), (5, None)]
    assert "line 4" in (reviews[1].reason or "")
    assert [r.line for r in new] == [3, 4]
