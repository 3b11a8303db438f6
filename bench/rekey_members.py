"""Benchmark: re-keying N members (default 100,000) stored under the previous folding rule, as
the members service does once at start-up (`members_service.adapters.mongo_search_keys`).

Members are written with insert_many as the previous version stored them (accent/case-folded
keys, no `keys_version`), then `rekey_members` runs: one pass over the collection, unordered
bulk updates of 500. A second run shows what every later start-up costs (nothing to re-key:
one scan). Baseline, same server: a raw `update_many` setting one field on every member.

Usage: python bench/rekey_members.py [--members N] [--mongo-uri URI]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import unicodedata

from benchservers import servers
from directory_search import member

from members_service.adapters.mongo_indexes import INDEXES
from members_service.adapters.mongo_members import MEMBERS
from members_service.adapters.mongo_search_keys import rekey_members
from servicekit.mongo import create_client, ensure_indexes


def legacy_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


async def run(uri: str, n: int) -> None:
    client = create_client(uri, "bench")
    db = client["bench_rekey"]
    await client.drop_database("bench_rekey")
    await ensure_indexes(db, INDEXES)
    rng = random.Random(7)
    started = time.perf_counter()
    for start in range(0, n, 2000):
        docs = [member(i, rng) for i in range(start, min(n, start + 2000))]
        for d in docs:
            del d["keys_version"]
            d["last_key"], d["first_key"] = legacy_key(d["last_name"]), legacy_key(d["first_name"])
            d["sort_key"] = "\x1f".join((d["last_key"], d["first_key"], d["_id"]))
        await db[MEMBERS].insert_many(docs)
    print(f"seeded {n} members in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    rekeyed = await rekey_members(db)
    first = time.perf_counter() - started
    print(f"re-key: {rekeyed} members in {first:.1f} s ({rekeyed / first:.0f}/s)")
    started = time.perf_counter()
    again = await rekey_members(db)
    print(f"second start-up: {again} members re-keyed, {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    result = await db[MEMBERS].update_many({}, {"$set": {"bench_touch": 1}})
    raw = time.perf_counter() - started
    print(f"baseline update_many: {result.modified_count} members in {raw:.1f} s")
    await client.drop_database("bench_rekey")
    await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--mongo-uri")
    args = parser.parse_args()
    with servers(args.mongo_uri, None, with_nats=False) as (uri, _):
        asyncio.run(run(uri, args.members))


if __name__ == "__main__":
    main()
