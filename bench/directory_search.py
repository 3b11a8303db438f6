"""Benchmark: directory search latency at N members (default 100,000), p50/p99 per query kind.

Raw baseline, same run, same server: the naive query — every criterion in one MongoDB filter
($elemMatch on arrays), sorted by name, `limit(21)` — issued with raw PyMongo. Ours is the
directory as served (driving index ranges, domain visibility rules, cards shaped per viewer).

Usage: python bench/directory_search.py [--members N] [--mongo-uri URI [--reuse]]
Without a URI it starts SecantusDB on a free port in a temporary directory. Members are
written with insert_many (documents built by the real repository mapping). With `--reuse`, a
database left by an earlier run on that server with the same N is searched again without
reloading it (indexes are ensured, the sketch rebuilt).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from benchservers import servers

from alumni_local.seed import CITIES, EMPLOYERS, FIRST, LAST, PROGRAMS, TITLES
from members_service.adapters.mongo_directory_search import DIRECTORY_INDEXES, MongoDirectorySearch
from members_service.adapters.mongo_member_documents import to_document
from members_service.adapters.mongo_members import INDEXES, MEMBERS
from members_service.adapters.mongo_name_order_sketch import NameOrderSketches
from members_service.domain.consent import Channel, ConsentRecord, Purpose
from members_service.domain.directory import DirectoryCriteria, Viewer
from members_service.domain.model import Member, ProfileChanges
from members_service.domain.profile import Cohort, Position, Section, Visibility, name_key, search_key
from members_service.service_layer import directory
from members_service.service_layer.directory import SearchDirectory
from servicekit.mongo import create_client, ensure_indexes

NOW = datetime(2026, 11, 26, tzinfo=UTC)
RAW_SAMPLES = 5
YEARS = list(range(1980, 2026))


def member(i: int, rng: random.Random) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST) + ("" if rng.random() < 0.5 else f"-{rng.randint(1, 999)}")
    m = Member.register(tenant="bench", first_name=first, last_name=last, email=f"m{i}@example.org", locale="fr",
                        cohort=Cohort(rng.choice(PROGRAMS), rng.choice(YEARS)), now=NOW, member_id=f"m{i:07d}")
    employer, sector = rng.choice(EMPLOYERS)
    city, country = rng.choice(CITIES)
    m.update_profile(ProfileChanges(city=city, country=country,
                                    career=(Position(f"{employer} {rng.randint(1, 300)}", rng.choice(TITLES), sector),)),
                     NOW)
    m.set_visibility({Section.CAREER: rng.choice([Visibility.ALUMNI, Visibility.MANAGERS])})
    if rng.random() < 0.8:
        m.record_consent(ConsentRecord(Purpose.DIRECTORY, True, "v1", "fr", Channel.IMPORT, "bench", "staff", NOW))
    return to_document(m)


def queries(rng: random.Random) -> dict[str, list[DirectoryCriteria]]:
    prefixes = ["be", "bea", "mar", "le", "du", "jean", "lef", "gar", "no", "ch"]
    return {
        "browse (first page)": [DirectoryCriteria()] * 30,
        "name prefix": [DirectoryCriteria(name_prefix=rng.choice(prefixes)) for _ in range(60)],
        "cohort (program + year)": [DirectoryCriteria(program=rng.choice(PROGRAMS), year_from=y, year_to=y)
                                    for y in rng.choices(YEARS, k=60)],
        "year range + name": [DirectoryCriteria(year_from=2000, year_to=2010, name_prefix=rng.choice(prefixes))
                              for _ in range(40)],
        "employer prefix": [DirectoryCriteria(employer_prefix=rng.choice(EMPLOYERS)[0][:4]) for _ in range(40)],
        "city": [DirectoryCriteria(city=rng.choice(CITIES)[0]) for _ in range(40)],
    }


def naive_filter(c: DirectoryCriteria) -> dict[str, Any]:
    q: dict[str, Any] = {"tenant": "bench", "listed": True}
    if c.name_prefix:
        key = name_key(c.name_prefix)
        q["$or"] = [{f: {"$gte": key, "$lt": key + "\uffff"}} for f in ("last_key", "first_key")]
    if c.program or c.year_from:
        q["education"] = {"$elemMatch": {k: v for k, v in (("program", c.program), ("graduation_year", {
            "$gte": c.year_from, "$lte": c.year_to})) if v}}
    if c.employer_prefix:
        key = search_key(c.employer_prefix)
        q["career"] = {"$elemMatch": {"end": None}}
        q["employer_keys"] = {"$elemMatch": {"$gte": key, "$lt": key + "\uffff"}}
        q["visibility.career"] = "alumni"
    if c.city:
        q["city_key"] = search_key(c.city)
        q["visibility.location"] = "alumni"
    return q


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bench(uri: str, n: int, reuse: bool = False, raw_samples: int = RAW_SAMPLES
                ) -> list[tuple[str, float, float, float, float]]:
    client = create_client(uri, "bench")
    db = client["bench_directory"]
    reused = reuse and await db[MEMBERS].find_one({"tenant": "bench", "_id": f"m{n - 1:07d}"}) is not None \
        and await db[MEMBERS].find_one({"tenant": "bench", "_id": f"m{n:07d}"}) is None
    if not reused:
        await client.drop_database("bench_directory")
    await ensure_indexes(db, [*INDEXES, *DIRECTORY_INDEXES])
    rng = random.Random(1)
    started = time.perf_counter()
    for start in range(0, 0 if reused else n, 2000):
        await db[MEMBERS].insert_many([member(i, rng) for i in range(start, min(n, start + 2000))])
        print(f"\r  loading {min(n, start + 2000)}/{n}", end="", flush=True)
    print()
    print(f"{'reused' if reused else 'loaded'} {n} members in {time.perf_counter() - started:.0f}s", flush=True)
    sketches = NameOrderSketches(db)
    started = time.perf_counter()
    if not (reused and await sketches.get("bench", listed_only=True) is not None):
        await sketches.rebuild("bench")
    print(f"name-order sketch built in {time.perf_counter() - started:.1f}s", flush=True)
    repo = MongoDirectorySearch(db, sketches)
    rows = []
    viewer = Viewer("viewer", staff=False)
    for kind, specs in queries(random.Random(2)).items():
        ours, raw = [], []
        for i, criteria in enumerate(specs):
            t = time.perf_counter()
            await directory.search_directory(SearchDirectory("bench", viewer, criteria, limit=20), repo)
            ours.append((time.perf_counter() - t) * 1000)
            if i < raw_samples:  # the naive query takes seconds at 100k: a few samples say enough
                t = time.perf_counter()
                await db[MEMBERS].find(naive_filter(criteria)).sort("sort_key", 1).limit(21).to_list()
                raw.append((time.perf_counter() - t) * 1000)
        rows.append((kind, statistics.median(ours), pct(ours, 99), pct(raw, 99), pct(raw, 99) / pct(ours, 99)))
    await client.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--mongo-uri")
    parser.add_argument("--reuse", action="store_true", help="search the members an earlier run left on --mongo-uri")
    parser.add_argument("--raw-samples", type=int, default=RAW_SAMPLES,
                        help="naive raw queries per kind (seconds each at 100k)")
    args = parser.parse_args()
    with servers(args.mongo_uri, None, with_nats=False) as (uri, _):
        rows = asyncio.run(bench(uri, args.members, args.reuse, args.raw_samples))
    print(f"{args.members} members; MongoDB: {'external' if args.mongo_uri else 'SecantusDB (embedded)'}")
    print(f"| query | ours p50 | ours p99 | naive raw query, max of {args.raw_samples} | ratio (raw / ours p99) |")
    print("| --- | --- | --- | --- | --- |")
    for kind, p50, p99, raw99, ratio in rows:
        print(f"| {kind} | {p50:.1f} ms | {p99:.1f} ms | {raw99:.1f} ms | {ratio:.2f}× |")


if __name__ == "__main__":
    main()
