"""Benchmark: importing an N-row CSV (default 100,000) vs raw `insert_many` on the same server.

Ours, in-process against real servers: the file is put in the JetStream object store, then
the members service's import use cases run — upload (encoding, separator, header, row count),
validation (every row checked, duplicates looked up in the register, preview rows stored in
chunks with progress), commit (members created in transactions of 250 with their outbox
events, rows settled, progress). Raw baselines, same run and servers: the same CSV parsed with
`csv` and written with `insert_many` in batches of 1,000 — (a) plain row dicts into an empty
collection, (b) the final member documents into a collection with the members indexes.

Usage: python bench/import_csv.py [--rows N] [--mongo-uri URI] [--nats-url URL]
Without URIs it starts SecantusDB and nats-server on free ports in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import time
from datetime import UTC, datetime

import nats
from benchservers import servers

from alumni_local.seed import CITIES, EMPLOYERS, FIRST, LAST, PROGRAMS, TITLES
from members_service.adapters.mongo_indexes import INDEXES
from members_service.adapters.mongo_member_documents import to_document
from members_service.adapters.mongo_members import MEMBERS
from members_service.adapters.mongo_reader import MongoMemberReader
from members_service.adapters.nats_file_store import NatsFileStore
from members_service.adapters.unit_of_work import MongoMembersUnitOfWork
from members_service.domain.import_plan import new_member
from members_service.service_layer import imports
from members_service.service_layer.commands import Actor
from members_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import create_client, ensure_indexes
from servicekit.outbox import outbox_indexes
from servicekit.topology import TopologySettings, apply

STAFF = Actor("bench", None, staff=True)
HEADER = ["Prénom", "Nom", "Courriel", "Programme", "Promotion", "Ville", "Pays", "Entreprise", "Poste", "Secteur"]


def make_csv(n: int, seed: int = 7) -> bytes:
    """Windows-1252, `;`-separated, as French Excel writes it; ~1 % of rows with an error."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(n):
        city, country = rng.choice(CITIES)
        employer, sector = rng.choice(EMPLOYERS)
        year = "19xx" if rng.random() < 0.01 else str(rng.randint(1980, 2025))
        sector = sector if sector in {"aerospace", "banking", "consulting", "consumer-goods", "technology", "energy",
                                      "public-sector"} else "other"
        writer.writerow([rng.choice(FIRST), f"{rng.choice(LAST)}-{i}", f"alum{i}@example.org", rng.choice(PROGRAMS),
                         year, city, country, employer, rng.choice(TITLES), sector])
    return out.getvalue().encode("cp1252", errors="replace")


async def ours(uri: str, nats_url: str, data: bytes) -> dict[str, float]:
    client = create_client(uri, "bench")
    db = client["bench_import"]
    await client.drop_database("bench_import")
    await ensure_indexes(db, [*INDEXES, *outbox_indexes(7)])
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await apply(js, TopologySettings())
    files = NatsFileStore(js)

    def uow() -> MongoMembersUnitOfWork:
        return MongoMembersUnitOfWork(client, "bench_import", to_contract)

    async def always() -> bool:
        return True

    reader = MongoMemberReader(db)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    await files.put("bench.job", data)
    preview = await imports.upload_import(imports.UploadImport("bench", STAFF, "job", "bench.csv", "bench.job",
                                                               len(data), None, None), uow(), files)
    timings["upload"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    await imports.validate_import("bench", "job", None, STAFF, uow())
    await imports.run_import_job("bench", "job", uow, reader, files, always)
    timings["validate"] = time.perf_counter() - t0
    u = uow()
    async with u:
        job = await u.import_jobs.get("bench", "job")
    assert job is not None
    timings["counts"] = job.counts  # type: ignore[assignment]
    t0 = time.perf_counter()
    await imports.commit_import("bench", "job", True, STAFF, uow())
    await imports.run_import_job("bench", "job", uow, reader, files, always)
    timings["commit"] = time.perf_counter() - t0
    timings["members"] = await db[MEMBERS].count_documents({})
    timings["total_rows"] = preview.job.total
    await nc.close()
    await client.close()
    return timings


async def raw(uri: str, data: bytes) -> dict[str, float]:
    client = create_client(uri, "bench")
    db = client["bench_raw"]
    await client.drop_database("bench_raw")
    rows = list(csv.reader(io.StringIO(data.decode("cp1252")), delimiter=";"))[1:]
    t0 = time.perf_counter()
    for i in range(0, len(rows), 1000):
        await db["rows"].insert_many([dict(zip(HEADER, r, strict=True)) for r in rows[i:i + 1000]])
    plain = time.perf_counter() - t0
    await ensure_indexes(db, INDEXES)
    now = datetime.now(UTC)
    docs = []
    for r in rows:
        if not r[4].isdigit():
            continue
        values: dict[str, str | int] = {"first_name": r[0], "last_name": r[1], "email": r[2], "program": r[3],
                                        "graduation_year": int(r[4]), "city": r[5], "country": r[6], "employer": r[7],
                                        "job_title": r[8], "sector": r[9]}
        docs.append(to_document(new_member("bench", values, now)))
    t0 = time.perf_counter()
    for i in range(0, len(docs), 1000):
        await db[MEMBERS].insert_many(docs[i:i + 1000])
    members = time.perf_counter() - t0
    await client.close()
    return {"plain": plain, "members": members, "member_docs": len(docs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--mongo-uri")
    parser.add_argument("--nats-url")
    args = parser.parse_args()
    data = make_csv(args.rows)
    with servers(args.mongo_uri, args.nats_url) as (uri, nats_url):
        t = asyncio.run(ours(uri, nats_url, data))
        r = asyncio.run(raw(uri, data))
    n = args.rows
    print(f"{n} rows ({len(data) / 1e6:.1f} MB, Windows-1252, ';'); report {t['counts']}; "
          f"{t['members']} members written; MongoDB: {'external' if args.mongo_uri else 'SecantusDB (embedded)'}")
    ours_total = t["upload"] + t["validate"] + t["commit"]
    print("| stage | ours | raw baseline | ratio (ours/raw) |")
    print("| --- | --- | --- | --- |")
    print(f"| upload + read header/count | {t['upload']:.1f} s | | |")
    print(f"| validate (preview, dry run) | {t['validate']:.1f} s ({n / t['validate']:.0f} rows/s) | | |")
    print(f"| commit | {t['commit']:.1f} s ({t['members'] / t['commit']:.0f} members/s) | "
          f"insert_many member docs: {r['members']:.1f} s ({r['member_docs'] / r['members']:.0f}/s) | "
          f"{(t['members'] / t['commit']) / (r['member_docs'] / r['members']):.2f}× |")
    print(f"| whole import | {ours_total:.1f} s ({n / ours_total:.0f} rows/s) | "
          f"insert_many plain rows: {r['plain']:.1f} s ({n / r['plain']:.0f}/s) | "
          f"{(n / ours_total) / (n / r['plain']):.2f}× |")


if __name__ == "__main__":
    main()
