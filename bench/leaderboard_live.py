"""Benchmark: the live class leaderboard during a giving day — N console clients watching one
campaign by polling (the console's former default: GET every 5 s, the service caching the board
4 s) versus Server-Sent Events (one stream per console; the gateway's hub asks fundraising once
a second per campaign, whatever N).

The whole platform runs as `make run` runs it (separate processes). For each mode: N clients
watch for `--seconds`; a manager records a gift every `--gift-every` seconds to a new cohort's
member; the latency of a gift is from its `201` to the moment a client *has* the board showing
it (each client, so the mean and the worst over clients and gifts). Requests/s: what the
clients send to the gateway. CPU: the gateway's and fundraising's processes (user + system
from /proc) over the window, per client. Baseline, same run: the gateway's cost of nothing —
its CPU while idle for the same window.

Usage: python bench/leaderboard_live.py [--clients 50] [--seconds 40] [--gift-every 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from alumni_local.runner import Platform, Ports

POLL_SECONDS = 5.0
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def donors_of(board: dict[str, Any]) -> int:
    return sum(int(r["donors"]) for r in board["by_participation"])


class Watch:
    """What one client has seen: when it first had a board with at least k donors."""

    def __init__(self) -> None:
        self.first_seen: dict[int, float] = {}
        self.requests = 0

    def saw(self, board: dict[str, Any]) -> None:
        now = time.monotonic()
        for k in range(donors_of(board) + 1):
            self.first_seen.setdefault(k, now)


async def poller(api: httpx.AsyncClient, url: str, headers: dict[str, str], watch: Watch, stop: asyncio.Event,
                 offset: float) -> None:
    await asyncio.sleep(offset)  # consoles are not in phase
    while not stop.is_set():
        r = await api.get(url, headers=headers)
        watch.requests += 1
        if r.status_code == 200:
            watch.saw(r.json())
        try:
            await asyncio.wait_for(stop.wait(), POLL_SECONDS)
        except TimeoutError:
            pass


async def streamer(api: httpx.AsyncClient, url: str, headers: dict[str, str], watch: Watch,
                   stop: asyncio.Event) -> None:
    async with api.stream("GET", url + "/stream", headers=headers, timeout=httpx.Timeout(30, read=None)) as r:
        watch.requests += 1
        event = None

        async def read() -> None:
            nonlocal event
            async for line in r.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "leaderboard":
                    watch.saw(json.loads(line[6:]))

        reader = asyncio.create_task(read())
        await stop.wait()
        reader.cancel()


async def register(api: httpx.AsyncClient, manager: dict[str, str], i: int, tag: str) -> str:
    r = await api.post("/api/v1/members", headers=manager, json={
        "first_name": "Bench", "last_name": f"{tag}{i}", "email": f"bench.{tag}.{i}@example.org",
        "cohort": {"program": "MSc Bench", "graduation_year": 1950 + i}})
    r.raise_for_status()
    return str(r.json()["member_id"])


async def give(api: httpx.AsyncClient, manager: dict[str, str], campaign: str, member_id: str) -> None:
    body = {"campaign_id": campaign, "member_id": member_id, "amount_minor": 5000, "currency": "EUR",
            "method": "cheque", "reference": "BENCH", "received_on": date.today().isoformat()}
    for _ in range(200):
        r = await api.post("/api/v1/gifts", headers=manager, json=body)
        if r.status_code != 422:
            r.raise_for_status()
            return
        await asyncio.sleep(0.1)  # the member is not projected in fundraising yet
    raise RuntimeError(r.text)


async def run_mode(platform: Platform, mode: str, clients: int, seconds: float, gift_every: float) -> dict[str, float]:
    manager = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    limits = httpx.Limits(max_connections=clients + 20, max_keepalive_connections=clients + 20)
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=60, limits=limits) as api:
        r = await api.post("/api/v1/campaigns", headers=manager, json={
            "name_fr": f"Journée {mode}", "name_en": f"Day {mode}", "goal_minor": 10_000_000, "currency": "EUR",
            "giving_day": True, "legal_entity": {
                "entity_id": "fondation-bench", "name": "Fondation", "purpose": "Bourses", "may_issue_receipts": False,
                "address": {"line1": "1 rue", "postal_code": "75005", "city": "Paris"}}})
        r.raise_for_status()
        campaign = r.json()["campaign_id"]
        gifts = int(seconds // gift_every)
        donors = [await register(api, manager, i, mode) for i in range(gifts)]
        await asyncio.sleep(3)  # members reach fundraising's projection
        url = f"/api/v1/campaigns/{campaign}/leaderboard"
        viewer = {"Authorization": f"Bearer {platform.issue_token('manager', subject='console')}"}
        watches = [Watch() for _ in range(clients)]
        stop = asyncio.Event()
        if mode == "polling":
            tasks = [asyncio.create_task(poller(api, url, viewer, w, stop, POLL_SECONDS * i / clients))
                     for i, w in enumerate(watches)]
        else:
            tasks = [asyncio.create_task(streamer(api, url, viewer, w, stop)) for w in watches]
        await asyncio.sleep(POLL_SECONDS + 1)  # every client has its first board
        pids = {name: platform.processes[name].pid for name in ("gateway", "fundraising")}
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        requests0 = sum(w.requests for w in watches)
        started = time.monotonic()
        given: list[float] = []
        for k, member_id in enumerate(donors):
            await give(api, manager, campaign, member_id)
            given.append(time.monotonic())
            await asyncio.sleep(max(0.0, started + (k + 1) * gift_every - time.monotonic()))
        window = time.monotonic() - started
        cpu = {name: cpu_seconds(pid) - cpu0[name] for name, pid in pids.items()}
        requests = sum(w.requests for w in watches) - requests0
        await asyncio.sleep(POLL_SECONDS + 5)  # the last gift reaches everyone
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [w.first_seen[k + 1] - t for w in watches for k, t in enumerate(given) if k + 1 in w.first_seen]
    missed = clients * len(given) - len(latencies)
    result = {"clients": clients, "gifts": len(given), "missed": missed, "window": window,
              "latency_mean": statistics.mean(latencies), "latency_p50": statistics.median(latencies),
              "latency_max": max(latencies), "requests_per_s": requests / window,
              "gateway_cpu_ms_per_s_per_client": 1000 * cpu["gateway"] / window / clients,
              "fundraising_cpu_ms_per_s": 1000 * cpu["fundraising"] / window,
              "gateway_cpu_share": cpu["gateway"] / window}
    print(f"{mode}: {json.dumps({k: round(v, 3) for k, v in result.items()})}", flush=True)
    return result


async def idle_cpu(platform: Platform, seconds: float) -> float:
    pid = platform.processes["gateway"].pid
    before = cpu_seconds(pid)
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--gift-every", type=float, default=8.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform(data_dir=Path(tmp), ports=Ports.free())
        try:
            platform.start()
            idle = asyncio.run(idle_cpu(platform, 10))
            print(f"gateway idle CPU: {1000 * idle:.1f} ms/s", flush=True)
            results = {mode: asyncio.run(run_mode(platform, mode, args.clients, args.seconds, args.gift_every))
                       for mode in ("polling", "sse")}
        finally:
            platform.stop()
    p, s = results["polling"], results["sse"]
    print("\n| mode | clients | gift → screen mean / p50 / max | requests/s (clients → gateway) | "
          "gateway CPU per client | fundraising CPU |")
    print("| --- | --- | --- | --- | --- | --- |")
    for mode, r in results.items():
        print(f"| {mode} | {r['clients']:.0f} | {r['latency_mean']:.1f} / {r['latency_p50']:.1f} / "
              f"{r['latency_max']:.1f} s | {r['requests_per_s']:.1f} | {r['gateway_cpu_ms_per_s_per_client']:.2f} ms/s "
              f"| {r['fundraising_cpu_ms_per_s']:.0f} ms/s |")
    print(f"gateway idle (baseline): {1000 * idle:.1f} ms/s; SSE/polling latency {s['latency_mean'] / p['latency_mean']:.2f}x, "
          f"gateway CPU {s['gateway_cpu_ms_per_s_per_client'] / p['gateway_cpu_ms_per_s_per_client']:.2f}x")


if __name__ == "__main__":
    main()
