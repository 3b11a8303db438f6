"""Benchmark: where the demo seed's time goes (`make run`'s first minutes).

Starts the whole platform as `make run` does (every service its own process, free ports, a
temporary directory, no demo data), then seeds batches of demo rows through the API exactly as
the seed does (`alumni_local.seed`), and reports rows/s and the latency of each endpoint:
- at several seed concurrencies (does more concurrency help?);
- with the consuming services (events, fundraising, notifications) paused by SIGSTOP
  (how much of the cost is the other services consuming the seed's events?);
- a replay of rows already seeded (what a second `make run` costs).

Usage: python bench/seed_demo.py [--rows 200] [--concurrency 2,8,32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from alumni_local.http_retry import AsyncRetryTransport
from alumni_local.runner import Platform, Ports
from alumni_local.seed import SEED_SUBJECT, _seed_row, demo_members

CONSUMERS = ("events", "fundraising", "notifications")


async def seed_rows(url: str, token: str, rows: list[dict[str, Any]], first: int, count: int,
                    concurrency: int) -> tuple[float, dict[str, list[float]]]:
    latencies: dict[str, list[float]] = defaultdict(list)

    async def started(request: httpx.Request) -> None:
        request.extensions["t0"] = time.perf_counter()

    async def finished(response: httpx.Response) -> None:
        path = re.sub(r"/members/[^/]+", "/members/{id}", response.request.url.path)
        latencies[f"{response.request.method} {path}"].append(
            time.perf_counter() - response.request.extensions["t0"])

    semaphore = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"},
                                 transport=AsyncRetryTransport(),
                                 event_hooks={"request": [started], "response": [finished]}) as client:
        async def one(i: int) -> bool:
            async with semaphore:
                return await _seed_row(client, i, rows[i])

        t0 = time.perf_counter()
        results = await asyncio.gather(*(one(i) for i in range(first, first + count)))
        elapsed = time.perf_counter() - t0
    assert all(results), "a row failed"
    return elapsed, latencies


def report(label: str, count: int, elapsed: float, latencies: dict[str, list[float]]) -> None:
    requests = sum(len(v) for v in latencies.values())
    print(f"| {label} | {count} | {elapsed:.1f} s | {count / elapsed:.1f} | {requests / elapsed:.0f} | "
          + "; ".join(f"{k.split(' ', 1)[0]} {k.split(' ', 1)[1].removeprefix('/api/v1')} "
                      f"p50 {sorted(v)[len(v) // 2] * 1000:.0f} ms"
                      for k, v in sorted(latencies.items()) if len(v) >= count // 2) + " |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200, help="rows per measurement")
    parser.add_argument("--concurrency", default="2,8,32")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform(data_dir=Path(tmp), ports=Ports.free())
        try:
            platform.start()
            token = platform.issue_token("manager", subject=SEED_SUBJECT)
            rows = demo_members(args.rows * (len(levels) + 1))
            print("| run | rows | time | rows/s | requests/s | latency |\n| --- | --- | --- | --- | --- | --- |")
            first = 0
            for concurrency in levels:
                elapsed, lat = asyncio.run(seed_rows(platform.gateway_url, token, rows, first, args.rows, concurrency))
                report(f"concurrency {concurrency}", args.rows, elapsed, lat)
                first += args.rows
            paused = [platform.processes[name].pid for name in CONSUMERS]
            for pid in paused:
                os.kill(pid, signal.SIGSTOP)
            try:
                elapsed, lat = asyncio.run(seed_rows(platform.gateway_url, token, rows, first, args.rows, 8))
                report("concurrency 8, consumers paused", args.rows, elapsed, lat)
            finally:
                for pid in paused:
                    os.kill(pid, signal.SIGCONT)
            elapsed, lat = asyncio.run(seed_rows(platform.gateway_url, token, rows, 0, args.rows, 8))
            report("concurrency 8, replay (second run)", args.rows, elapsed, lat)
        finally:
            platform.stop()


if __name__ == "__main__":
    main()
