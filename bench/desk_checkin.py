"""Benchmark: the check-in desk at the doors of a full event, through the gateway, every
service running (issue 11 item 5).

Starts the whole platform as `make run` does, creates an event of `--seats` seats, registers as
many alumni (each with their own token), then `--concurrency` desks scan every ticket once, plus
`--rescans` percent scanned a second time (a guest showing the same phone twice). Reports:

- first scans answered 201 `checked_in` and rescans 200 `already_checked_in` (anything else is
  an error), and the registrations stored as `attended` (must equal the seats);
- check-ins per second over the run, p50/p99 latency;
- how long the figures projection (lane `events.figures`) took to show every check-in;
- the bare conditional update (`update_one` on `{_id, status: registered}` → attended) on the same
  MongoDB server, same number of documents and concurrency: the ratio of the two.

Usage: python bench/desk_checkin.py [--seats 500] [--concurrency 8] [--rescans 10]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from alumni_local.runner import Platform, Ports
from servicekit.mongo import create_client


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


async def register_all(platform: Platform, event_id: str, seats: int) -> list[str]:
    from gateway_service.adapters.auth import DevIssuer, dev_subject, load_or_create_key
    from gateway_service.config import GatewaySettings

    defaults = GatewaySettings(_env_file=None)  # type: ignore[call-arg]
    issuer = DevIssuer(load_or_create_key(platform.dev_key), defaults.jwt_issuer, defaults.jwt_audience)
    tenant = platform.tenants[0]
    codes: list[str] = []
    todo = iter(range(seats))

    async def worker(client: httpx.AsyncClient) -> None:
        for i in todo:
            member = f"desk-{i:05d}"
            token = issuer.issue(tenant, dev_subject(["alumnus"], member), ["alumnus"], member)
            while True:  # a 5xx (a service timeout on a loaded machine) is retried with the same key
                r = await client.post(f"/api/v1/events/{event_id}/registrations", json={}, timeout=60,
                                      headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"desk-{member}"})
                if r.status_code < 500 and not r.json().get("type", "").endswith("request-in-progress"):
                    break
                await asyncio.sleep(0.2)
            assert r.status_code == 201, r.text
            codes.append(r.json()["ticket_code"])

    async with httpx.AsyncClient(base_url=platform.gateway_url) as client:
        await asyncio.gather(*(worker(client) for _ in range(20)))
    return codes


async def desks(platform: Platform, event_id: str, scans: list[tuple[str, int]], concurrency: int,
                staff: dict[str, str]) -> tuple[float, list[float], int]:
    queue = list(reversed(scans))
    latencies: list[float] = []
    errors = 0

    async def desk(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while queue:
            code, expected = queue.pop()
            t = time.perf_counter()
            r = await client.post(f"/api/v1/events/{event_id}/check-ins", json={"code": code}, timeout=60,
                                  headers={**staff, "Idempotency-Key": f"scan-{code}-{expected}"})
            latencies.append(time.perf_counter() - t)
            errors += r.status_code != expected

    async with httpx.AsyncClient(base_url=platform.gateway_url) as client:
        start = time.perf_counter()
        await asyncio.gather(*(desk(client) for _ in range(concurrency)))
        return time.perf_counter() - start, latencies, errors


async def bare_conditional_update(mongo_uri: str, seats: int, concurrency: int) -> float:
    client = create_client(mongo_uri, "bench-bare")
    col = client["bench_desk_checkin"]["registrations"]
    await col.drop()
    await col.insert_many([{"_id": f"r{i}", "tenant": "t", "status": "registered", "checked_in_at": None}
                           for i in range(seats)])
    todo = iter(range(seats))

    async def worker() -> None:
        for i in todo:
            await col.update_one({"_id": f"r{i}", "tenant": "t", "status": "registered", "checked_in_at": None},
                                 {"$set": {"status": "attended", "checked_in_at": time.time()}, "$inc": {"version": 1}})

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    assert await col.count_documents({"tenant": "t", "status": "attended"}) == seats
    await client.drop_database("bench_desk_checkin")
    await client.close()
    return seats / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seats", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rescans", type=int, default=10, help="percent of tickets scanned twice")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform(data_dir=Path(tmp), ports=Ports.free())
        try:
            platform.start()
            staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
            r = httpx.post(f"{platform.gateway_url}/api/v1/events", headers=staff, json={
                "title": "Desk", "starts_at": "2031-06-01T19:00:00+02:00", "ends_at": "2031-06-01T23:00:00+02:00",
                "venue": "Campus", "capacity": args.seats})
            r.raise_for_status()
            event_id = r.json()["event_id"]
            t = time.perf_counter()
            codes = asyncio.run(register_all(platform, event_id, args.seats))
            print(f"{len(codes)} registered in {time.perf_counter() - t:.1f} s", flush=True)
            rng = random.Random(7)
            scans = [(c, 201) for c in codes]
            for c in rng.sample(codes, len(codes) * args.rescans // 100):  # a rescan comes after its first scan
                scans.insert(min(len(scans), scans.index((c, 201)) + rng.randint(args.concurrency, 4 * args.concurrency)),
                             (c, 200))
            elapsed, latencies, errors = asyncio.run(desks(platform, event_id, scans, args.concurrency, staff))
            done_at = time.perf_counter()
            while True:  # the figures follow through the figures lane
                figures = httpx.get(f"{platform.gateway_url}/api/v1/events/{event_id}/figures", headers=staff).json()
                if figures["checked_in"] >= args.seats or time.perf_counter() - done_at > 120:
                    break
                time.sleep(0.1)
            lag = time.perf_counter() - done_at
            attended = httpx.get(f"{platform.gateway_url}/api/v1/events/{event_id}/registrations", headers=staff,
                                 params={"status": "attended", "limit": 5000}).json()["items"]
            bare = asyncio.run(bare_conditional_update(
                f"mongodb://127.0.0.1:{platform.ports.mongo}/?replicaSet=secantus", args.seats, args.concurrency))
            rate = len(scans) / elapsed
            print({"seats": args.seats, "scans": len(scans), "rescans": len(scans) - len(codes),
                   "concurrency": args.concurrency, "unexpected_answers": errors, "attended": len(attended),
                   "figures_checked_in": figures["checked_in"], "figures_lag_s": round(lag, 2),
                   "seconds": round(elapsed, 2), "scans_per_s": round(rate, 1),
                   "p50_ms": round(pct(latencies, 50) * 1000), "p99_ms": round(pct(latencies, 99) * 1000),
                   "bare_update_per_s": round(bare), "ratio_vs_bare": round(rate / bare, 3)}, flush=True)
        finally:
            platform.stop()


if __name__ == "__main__":
    main()
