"""Benchmark: a registration rush on one event through the gateway, every service running
(issue 11, "Bad input, faults, load").

Starts the whole platform as `make run` does (every service its own process, free ports, a
temporary directory), creates an event of `--seats` seats, then `--attempts` distinct alumni
register concurrently (`--concurrency` clients in flight, each request with its own
Idempotency-Key, retried with the same key on a 5xx/timeout). Then it checks and reports:

- oversold seats (must be 0) and seats left unused (must be 0 when more people asked);
- lost answers: every 201/202 a client received is stored with that status (must be 0);
- the waitlist order against arrival: a refused request answered before another refused one was
  sent must be ahead of it (violations must be 0);
- throughput (attempts/s over the rush), p50/p99 latency (target p99 ≤ 1 s);
- the bare conditional update (`update_one` with `seats_left >= 1`, `$inc -1`) on the same
  MongoDB server, same concurrency, same number of attempts: the ratio of the two;
- where the tail comes from: what each failed try answered (504 at the gateway's request timeout,
  409 request-in-progress, 503, 429, transport errors), the latency of attempts answered at the
  first try against retried ones, when the slowest 1 % were sent, the events service's request
  counts by outcome and its transactions run again after a write conflict (its log), and the
  CPU time each process used during the rush.

Usage: python bench/event_rush.py [--attempts 10000] [--seats 500] [--concurrency 50] [--request-concurrency N]
                                  [--keep-logs DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from alumni_local.runner import Platform, Ports
from servicekit.mongo import create_client


@dataclass
class Attempt:
    member_id: str
    sent_at: float = 0.0
    answered_at: float = 0.0
    status: int = 0
    registration_id: str = ""
    retries: int = 0
    tries: list[str] = field(default_factory=list)  # each failed try: its status (or the transport error)


async def rush(platform: Platform, event_id: str, attempts: list[Attempt], concurrency: int) -> float:
    queue: asyncio.Queue[Attempt] = asyncio.Queue()
    for a in attempts:
        queue.put_nowait(a)
    from gateway_service.adapters.auth import DevIssuer, dev_subject, load_or_create_key
    from gateway_service.config import GatewaySettings

    defaults = GatewaySettings(_env_file=None)  # type: ignore[call-arg]
    issuer = DevIssuer(load_or_create_key(platform.dev_key), defaults.jwt_issuer, defaults.jwt_audience)
    tenant = platform.tenants[0]
    tokens = {a.member_id: issuer.issue(tenant, dev_subject(["alumnus"], a.member_id), ["alumnus"], a.member_id)
              for a in attempts}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            a = queue.get_nowait()
            headers = {"Authorization": f"Bearer {tokens[a.member_id]}", "Idempotency-Key": f"rush-{a.member_id}"}
            a.sent_at = time.perf_counter()
            while True:
                try:
                    r = await client.post(f"/api/v1/events/{event_id}/registrations", json={}, headers=headers,
                                          timeout=60)
                except httpx.HTTPError as exc:
                    a.retries += 1
                    a.tries.append(type(exc).__name__)
                    await asyncio.sleep(0.2)
                    continue
                if r.status_code in (201, 202):
                    a.status, a.answered_at = r.status_code, time.perf_counter()
                    a.registration_id = r.json()["registration_id"]
                    done[0] += 1
                    if done[0] % 1000 == 0:
                        print(f"  {done[0]} answered, {time.perf_counter() - start:.1f} s", flush=True)
                    break
                if r.status_code < 500 and not r.json().get("type", "").endswith("request-in-progress"):
                    raise RuntimeError(f"{a.member_id}: {r.status_code} {r.text}")
                a.retries += 1
                a.tries.append(f"{r.status_code} {r.json().get('type', '').rsplit('/', 1)[-1]}")
                await asyncio.sleep(0.2)

    done = [0]
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=platform.gateway_url, limits=limits) as client:
        start = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        return time.perf_counter() - start


async def bare_conditional_update(mongo_uri: str, attempts: int, seats: int, concurrency: int) -> float:
    client = create_client(mongo_uri, "bench-bare")
    col = client["bench_event_rush"]["seats"]
    await col.drop()
    await col.insert_one({"_id": "e", "tenant": "t", "seats_left": seats})
    todo = iter(range(attempts))

    async def worker() -> None:
        for _ in todo:
            await col.update_one({"_id": "e", "tenant": "t", "seats_left": {"$gte": 1}}, {"$inc": {"seats_left": -1}})

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    left = (await col.find_one({"_id": "e", "tenant": "t"}) or {}).get("seats_left")
    assert left == 0, left
    await client.drop_database("bench_event_rush")
    await client.close()
    return attempts / elapsed


def order_violations(refused: list[Attempt], position: dict[str, int]) -> int:
    """Pairs (x, y) with x answered before y was sent but x behind y: O(n) with a suffix minimum."""
    by_position = sorted(refused, key=lambda a: position[a.member_id])
    suffix_min = [float("inf")] * (len(by_position) + 1)
    for i in range(len(by_position) - 1, -1, -1):
        suffix_min[i] = min(suffix_min[i + 1], by_position[i].answered_at)
    return sum(1 for i, y in enumerate(by_position) if suffix_min[i + 1] < y.sent_at)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--seats", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--request-concurrency", type=int, default=None,
                        help="EVENTS_REQUEST_CONCURRENCY and GATEWAY's: requests of one kind served at once")
    parser.add_argument("--keep-logs", type=Path, default=None, help="copy the services' logs there at the end")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        extra_env = {} if args.request_concurrency is None else {
            "EVENTS_REQUEST_CONCURRENCY": str(args.request_concurrency)}
        platform = Platform(data_dir=Path(tmp), ports=Ports.free(), extra_env=extra_env)
        print(f"extra environment: {extra_env or 'none'}", flush=True)
        try:
            t = time.perf_counter()
            platform.start()
            print(f"platform up in {time.perf_counter() - t:.1f} s", flush=True)
            staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
            r = httpx.post(f"{platform.gateway_url}/api/v1/events", headers=staff, json={
                "title": "Rush", "starts_at": "2031-06-01T19:00:00+02:00", "ends_at": "2031-06-01T23:00:00+02:00",
                "venue": "Campus", "capacity": args.seats})
            r.raise_for_status()
            event_id = r.json()["event_id"]
            attempts = [Attempt(f"rush-{i:05d}") for i in range(args.attempts)]
            cpu_before = cpu_seconds(platform)
            elapsed = asyncio.run(rush(platform, event_id, attempts, args.concurrency))
            cpu_during = {k: round(v - cpu_before.get(k, 0.0), 1) for k, v in cpu_seconds(platform).items()}
            result = check(platform, event_id, attempts, args.seats)
            latencies = [a.answered_at - a.sent_at for a in attempts]
            bare = asyncio.run(bare_conditional_update(f"mongodb://127.0.0.1:{platform.ports.mongo}/?replicaSet=secantus",
                                                       args.attempts, args.seats, args.concurrency))
            rate = args.attempts / elapsed
            print({**result, "attempts": args.attempts, "seats": args.seats, "concurrency": args.concurrency,
                   "seconds": round(elapsed, 1), "attempts_per_s": round(rate), "p50_ms": round(pct(latencies, 50) * 1000),
                   "p99_ms": round(pct(latencies, 99) * 1000), "max_ms": round(max(latencies) * 1000),
                   "retries": sum(a.retries for a in attempts), "bare_update_per_s": round(bare),
                   "ratio_vs_bare": round(rate / bare, 3), "load_average": [round(x, 1) for x in os.getloadavg()]},
                  flush=True)
            print({**diagnose(platform, attempts), "cpu_s_during_rush": cpu_during}, flush=True)
        finally:
            platform.stop()
            if args.keep_logs:
                shutil.copytree(platform.logs, args.keep_logs, dirs_exist_ok=True)


def diagnose(platform: Platform, attempts: list[Attempt]) -> dict[str, Any]:
    """Where the tail comes from: what the failed tries answered, the latency of attempts answered
    at the first try against retried ones, and what the events service counted (requests by
    outcome, transactions run again after a write conflict)."""
    t0 = min(a.sent_at for a in attempts)
    slowest = sorted(attempts, key=lambda a: a.answered_at - a.sent_at)[-max(1, len(attempts) // 100):]
    first = [a.answered_at - a.sent_at for a in attempts if not a.tries]
    retried = [a.answered_at - a.sent_at for a in attempts if a.tries]
    out: dict[str, Any] = {
        "failed_tries": dict(Counter(t for a in attempts for t in a.tries)),
        "first_try": {"n": len(first), "p50_ms": round(pct(first, 50) * 1000) if first else None,
                      "p99_ms": round(pct(first, 99) * 1000) if len(first) > 1 else None,
                      "max_ms": round(max(first) * 1000) if first else None},
        "retried": {"n": len(retried), "p50_ms": round(pct(retried, 50) * 1000) if len(retried) > 1 else None,
                    "max_ms": round(max(retried) * 1000) if retried else None},
        "over_1s": sum(1 for a in attempts if a.answered_at - a.sent_at > 1),
        # When the slowest 1 % were sent (seconds into the rush, 5 s bins): a stall shows as one bin.
        "slowest_sent_at_s": dict(sorted(Counter(int((a.sent_at - t0) // 5 * 5) for a in slowest).items())),
    }
    try:
        text = httpx.get(platform.health_urls()["events"].replace("/health", "/metrics"), timeout=5).text
        out["events_requests"] = {m[1]: float(m[2]) for m in re.finditer(
            r'alumni_requests_total\{operation="cmd\.events\.register",outcome="([^"]+)"\} ([0-9.e+]+)', text)
}
    except (httpx.HTTPError, KeyError) as exc:
        out["events_requests"] = repr(exc)
    log = (platform.logs / "events.log").read_text(errors="replace") if (platform.logs / "events.log").exists() else ""
    out["events_log"] = {"transaction_run_again": log.count("transient write conflict"),
                         "errors": log.count("error"), "warnings": log.count("warning")}
    return out


def cpu_seconds(platform: Platform) -> dict[str, float]:
    """CPU time (user + system) each process of the platform used so far (Linux /proc)."""
    procs = {name: p.pid for name, p in platform.processes.items()}
    procs.update({s.name: s.process.pid for s in platform.servers})
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for name, pid in procs.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[name] = round((int(fields[11]) + int(fields[12])) / tick, 1)
        except (OSError, IndexError, ValueError):
            continue
    return out


def check(platform: Platform, event_id: str, attempts: list[Attempt], seats: int) -> dict[str, Any]:
    """Read straight from the events database (a reply of 10,000 registrations would not fit in
    one NATS message): what is stored against what the clients were answered."""
    async def read() -> list[dict[str, Any]]:
        client = create_client(f"mongodb://127.0.0.1:{platform.ports.mongo}/?replicaSet=secantus", "bench-check")
        rows = [r async for r in client["alumni_events"]["registrations"].find(
            {"tenant": platform.tenants[0], "event_id": event_id}).sort([("waitlisted_at", 1), ("_id", 1)])]
        await client.close()
        return rows

    rows = asyncio.run(read())
    registered = [r for r in rows if r["status"] == "registered"]
    waitlisted = [r for r in rows if r["status"] == "waitlisted"]
    stored = {r["member_id"]: r for r in rows}
    lost = sum(1 for a in attempts if stored.get(a.member_id, {}).get("_id") != a.registration_id
               or stored[a.member_id]["status"] != ("registered" if a.status == 201 else "waitlisted"))
    position = {r["member_id"]: i for i, r in enumerate(waitlisted)}
    refused = [a for a in attempts if a.status == 202]
    taken = sum(1 + r["guests"] for r in registered)
    return {"registered": len(registered), "waitlisted": len(waitlisted), "oversold": max(0, taken - seats),
            "unused_seats": max(0, seats - taken) if len(attempts) > seats else 0, "lost_answers": lost,
            "waitlist_order_violations": order_violations(refused, position)}


if __name__ == "__main__":
    main()
