"""Benchmark: the request path under load (issue 9 item 11), every service running.

Starts the whole platform as `make run` does (every service its own process, free ports, a
temporary directory), seeds `--members` demo members through the API (as the demo seed does),
then runs three measurements, all on loopback:

1. gateway overhead — the same query (`GET /api/v1/members/{id}`) sent one at a time through
   the gateway and directly over NATS request/reply with the gateway's own NATS user (its
   password from `<data dir>/nats/credentials.json`), interleaved, same run;
2. steady — an *open-loop* mix at `--rate` requests/s for `--seconds`: requests are started
   on a fixed schedule whatever the responses, and each latency is measured from the request's
   *scheduled* time (so a backlog shows as latency, not as a slower rate). Reads: member by id
   (staff), directory name prefix, `/me`, groups (`/me/groups` and `/groups`); writes
   (`--write-share`): registrations and `PATCH /me` profile updates;
3. after registrations — `--registrations` registrations through the API (concurrency 8), a
   pause of `--after-delay` seconds, then the same open-loop mix again.

For each phase: p50/p99 per kind, errors, and CPU per request by process (utime+stime from
`/proc/<pid>/stat` over the phase, divided by the requests of the phase).

Bounded: at most rate × seconds requests per phase; a request gives up after 60 s; a phase
waits at most 90 s for its stragglers.

Usage: python bench/api_load.py [--rate 100] [--seconds 20] [--warmup 5] [--write-share 0.1]
                                [--members 300] [--registrations 300] [--after-delay 5]
                                [--overhead-samples 200] [--skip-after] [--data-dir DIR]
                                [--request-concurrency N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import nats

from alumni_contracts import naming
from alumni_contracts.members import commands as mb
from alumni_contracts.rpc import Principal, Reply, Role
from alumni_local.runner import SERVICES, Platform, Ports
from alumni_local.seed import SEED_SUBJECT, seed
from servicekit.nats_auth import GATEWAY, inbox_prefix

CLK = os.sysconf("SC_CLK_TCK")
PREFIXES = ["be", "ma", "du", "le", "mar", "lef", "ber", "ga", "ro", "pe"]
READS = ("member by id", "directory prefix", "/me", "groups")
WRITES = ("register", "profile update")
TOKENS_PER_ROLE = 8  # the gateway limits each token subject to 100 requests/s: spread the load
REQUEST_TIMEOUT = 60.0
STRAGGLER_WAIT = 90.0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / CLK  # utime, stime (fields 14, 15)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


class LeanHttp:
    """A minimal HTTP/1.1 client over keep-alive connections (at most `size`), for the open loop:
    httpx spent 6–10 ms of CPU per request here on a loaded machine, so the client, not the
    platform, set the latencies (py-spy: the bench busy in httpx while gateway and services
    idled). Handles what the gateway sends: Content-Length or chunked bodies."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port, self.size = host, port, size
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0
        self.freed = asyncio.Condition()

    async def _acquire(self, fresh: bool = False) -> tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter], bool]:
        """A connection, and whether it was reused (a reused one may have been closed by the
        server meanwhile: uvicorn drops keep-alive connections idle for 5 s)."""
        async with self.freed:
            while not self.idle and self.opened >= self.size and not fresh:
                await self.freed.wait()
            if self.idle and not fresh:
                return self.idle.pop(), True
            self.opened += 1
        try:
            return await asyncio.open_connection(self.host, self.port), False
        except OSError:
            await self._lost()
            raise

    async def _lost(self) -> None:
        async with self.freed:
            self.opened -= 1
            self.freed.notify()

    async def request(self, method: str, path: str, headers: dict[str, str], body: dict[str, Any] | None
                      ) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(data)}",
                *(f"{k}: {v}" for k, v in headers.items())]
        if body is not None:
            head.append("Content-Type: application/json")
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + data
        conn, reused = await self._acquire()
        reader, writer = conn
        try:
            writer.write(request)
            status_line = await reader.readline()
            if not status_line and reused:  # closed while idle: once more on a new connection
                writer.close()
                await self._lost()
                conn, _ = await self._acquire(fresh=True)
                reader, writer = conn
                writer.write(request)
                status_line = await reader.readline()
            status = int(status_line.split(b" ", 2)[1])
            length, chunked, close = None, False, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding" and "chunked" in value:
                    chunked = True
                elif name == "connection" and value == "close":
                    close = True
            if chunked:
                parts = []
                while (size := int((await reader.readline()).split(b";")[0], 16)):
                    parts.append(await reader.readexactly(size))
                    await reader.readline()
                await reader.readline()
                payload = b"".join(parts)
            else:
                payload = await reader.readexactly(length or 0)
        except BaseException:
            writer.close()
            await self._lost()
            raise
        if close:
            writer.close()
            await self._lost()
        else:
            async with self.freed:
                self.idle.append(conn)
                self.freed.notify()
        return status, payload

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


class Load:
    def __init__(self, platform: Platform, members: list[dict[str, Any]]) -> None:
        self.platform = platform
        self.members = members
        self.versions = {m["member_id"]: m["version"] for m in members}
        self.staff = [platform.issue_token("manager", subject=f"bench-staff-{k}") for k in range(TOKENS_PER_ROLE)]
        self.alumni = {m["member_id"]: platform.issue_token("alumnus", subject=f"bench-alumnus-{m['member_id']}",
                                                            member_id=m["member_id"]) for m in members}
        self.registered = 0
        self.rng = random.Random(11)
        self.write_cursor = 0

    def pids(self) -> dict[str, int]:
        pids = {name: p.pid for name, p in self.platform.processes.items()}
        pids.update({s.name: s.process.pid for s in self.platform.servers})
        pids["bench client"] = os.getpid()
        return pids

    def next_request(self, write_share: float) -> tuple[str, str, str, str, dict[str, Any] | None, dict[str, str]]:
        """(kind, method, path, token, body, headers) of the next request of the mix."""
        rng = self.rng
        member = rng.choice(self.members)
        mid = member["member_id"]
        if rng.random() < write_share:
            if rng.random() < 0.5:
                self.registered += 1
                n = self.registered
                body = {"first_name": "Charge", "last_name": f"Bench{n}", "email": f"load.{uuid.uuid4().hex[:12]}@example.org",
                        "locale": "fr", "cohort": {"program": "MSc Finance", "graduation_year": 2020}}
                return ("register", "POST", "/api/v1/members", rng.choice(self.staff), body,
                        {"Idempotency-Key": uuid.uuid4().hex})
            # Profile updates go round the members one by one: no two in flight on one member.
            target = self.members[self.write_cursor % len(self.members)]
            self.write_cursor += 1
            tid = target["member_id"]
            body = {"version": self.versions[tid], "city": rng.choice(["Lyon", "Paris", "Nantes", "Lille"])}
            self.versions[tid] += 1
            return ("profile update", "PATCH", "/api/v1/me", self.alumni[tid], body,
                    {"Idempotency-Key": uuid.uuid4().hex})
        kind = READS[rng.randrange(len(READS))]
        if kind == "member by id":
            return kind, "GET", f"/api/v1/members/{mid}", rng.choice(self.staff), None, {}
        if kind == "directory prefix":
            return kind, "GET", f"/api/v1/directory?q={rng.choice(PREFIXES)}", self.alumni[mid], None, {}
        if kind == "/me":
            return kind, "GET", "/api/v1/me", self.alumni[mid], None, {}
        path = "/api/v1/me/groups" if rng.random() < 0.5 else "/api/v1/groups"
        return "groups", "GET", path, self.alumni[mid], None, {}

    async def open_loop(self, label: str, rate: float, seconds: float, write_share: float) -> dict[str, Any]:
        count = int(rate * seconds)
        lat: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        timeline: dict[int, list[float]] = defaultdict(list)  # second of the schedule -> latencies
        pids = self.pids()
        host, port = self.platform.gateway_url.removeprefix("http://").rsplit(":", 1)
        client = LeanHttp(host, int(port), size=256)
        try:
            async def one(at: float, spec: tuple[str, str, str, str, dict[str, Any] | None, dict[str, str]]) -> None:
                kind, method, path, token, body, headers = spec
                try:
                    status, _ = await asyncio.wait_for(
                        client.request(method, path, {"Authorization": f"Bearer {token}", **headers}, body),
                        REQUEST_TIMEOUT)
                    outcome = None if status < 400 else str(status)
                except (OSError, EOFError, ValueError, IndexError, TimeoutError, asyncio.IncompleteReadError) as exc:
                    outcome = type(exc).__name__
                elapsed = time.perf_counter() - at
                if outcome is None:
                    lat[kind].append(elapsed)
                    timeline[int(at - t0)].append(elapsed)
                else:
                    errors[kind][outcome] += 1

            tasks = []
            cpu0 = {n: cpu_seconds(p) for n, p in pids.items()}
            t0 = time.perf_counter()
            for i in range(count):
                at = t0 + i / rate
                delay = at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(at, self.next_request(write_share))))
            sent = time.perf_counter() - t0
            _, pending = await asyncio.wait(tasks, timeout=STRAGGLER_WAIT)
            for task in pending:
                task.cancel()
            wall = time.perf_counter() - t0
            cpu1 = {n: cpu_seconds(p) for n, p in pids.items()}
        finally:
            await client.close()
        finished = sum(len(v) for v in lat.values()) + sum(sum(e.values()) for e in errors.values())
        return {"label": label, "rate": rate, "count": count, "sent_in": sent, "wall": wall, "finished": finished,
                "abandoned": len(pending), "lat": dict(lat), "errors": {k: dict(v) for k, v in errors.items()},
                "cpu": {n: cpu1[n] - cpu0[n] for n in pids}, "timeline": dict(timeline), "load": loadavg()}


async def member_list(url: str, token: str) -> list[dict[str, Any]]:
    members: list[dict[str, Any]] = []
    after = None
    async with httpx.AsyncClient(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
        while True:
            r = await client.get("/api/v1/members", params={"limit": 200, **({"after": after} if after else {})})
            r.raise_for_status()
            page = r.json()
            members += page["items"]
            after = page.get("next_cursor")
            if not after:
                return members


async def gateway_overhead(platform: Platform, member_ids: list[str], samples: int) -> dict[str, list[float]]:
    """The same GetMember query one at a time: through the gateway, and directly over NATS with
    the gateway's NATS user, interleaved so that both see the same load."""
    passwords = json.loads(platform.nats_credentials_file.read_text())
    assert platform.nats_url is not None
    nc = await nats.connect(platform.nats_url, user=GATEWAY, password=passwords[GATEWAY],
                            inbox_prefix=inbox_prefix(GATEWAY))
    token = platform.issue_token("manager", subject="bench-overhead")
    who = Principal(tenant=platform.tenants[0], subject="bench-overhead", roles=frozenset({Role.MANAGER}))
    subject = naming.query_subject("members", mb.GET_MEMBER)
    out: dict[str, list[float]] = {"gateway (HTTP)": [], "direct (NATS request/reply)": []}
    rng = random.Random(5)
    try:
        async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30,
                                     headers={"Authorization": f"Bearer {token}"}) as client:
            for i in range(samples + 20):  # the first 20 of each warm up
                mid = rng.choice(member_ids)
                for way in (("http", "nats") if i % 2 else ("nats", "http")):
                    t = time.perf_counter()
                    if way == "http":
                        r = await client.get(f"/api/v1/members/{mid}")
                        assert r.status_code == 200, r.text
                    else:
                        headers = {naming.HEADER_TENANT: who.tenant, naming.HEADER_PRINCIPAL: who.model_dump_json(),
                                   naming.HEADER_CORRELATION: uuid.uuid4().hex}
                        msg = await nc.request(subject, mb.GetMember(member_id=mid).model_dump_json().encode(),
                                               timeout=30, headers=headers)
                        assert Reply.model_validate_json(msg.data).ok
                    if i >= 20:
                        out["gateway (HTTP)" if way == "http" else "direct (NATS request/reply)"].append(
                            time.perf_counter() - t)
    finally:
        await nc.drain()
    return out


async def register_burst(url: str, token: str, n: int) -> float:
    sem = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
        async def one(i: int) -> None:
            async with sem:
                r = await client.post("/api/v1/members", json={
                    "first_name": "Rafale", "last_name": f"Inscrit{i}", "email": f"burst.{uuid.uuid4().hex[:12]}@example.org",
                    "locale": "fr", "cohort": {"program": "MBA", "graduation_year": 2019}},
                    headers={"Idempotency-Key": uuid.uuid4().hex})
                if r.status_code != 201:
                    print(f"  registration {i}: {r.status_code} {r.text[:200]}", flush=True)

        t = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - t


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def report(result: dict[str, Any]) -> None:
    print(f"\n### {result['label']}: {result['count']} requests at {result['rate']:g}/s "
          f"(scheduled in {result['sent_in']:.1f} s, all answered after {result['wall']:.1f} s; "
          f"abandoned {result['abandoned']}; load average {result['load']})")
    print("| kind | ok | p50 | p99 | max | errors |\n| --- | --- | --- | --- | --- | --- |")
    everything: list[float] = []
    for kind in (*READS, *WRITES):
        values = result["lat"].get(kind, [])
        everything += values
        errs = result["errors"].get(kind, {})
        if values or errs:
            print(f"| {kind} | {len(values)} | {ms(pct(values, 50))} | {ms(pct(values, 99))} | "
                  f"{ms(max(values)) if values else '-'} | {', '.join(f'{k}: {v}' for k, v in errs.items()) or 0} |")
    reads = [v for k in READS for v in result["lat"].get(k, [])]
    print(f"| all reads | {len(reads)} | {ms(pct(reads, 50))} | {ms(pct(reads, 99))} | "
          f"{ms(max(reads)) if reads else '-'} | |")
    print(f"\nCPU over the phase ({result['wall']:.1f} s), per request ({result['finished']} finished):")
    print("| process | CPU s | share of a core | CPU ms / request |\n| --- | --- | --- | --- |")
    for name, cpu in sorted(result["cpu"].items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {cpu:.2f} | {cpu / result['wall'] * 100:.0f} % | {cpu / max(1, result['finished']) * 1000:.2f} |")
    print("\np99 per second of the schedule: " + " ".join(
        f"{s}s:{pct(v, 99) * 1000:.0f}" for s, v in sorted(result["timeline"].items())))


def report_overhead(samples: dict[str, list[float]]) -> None:
    gw, direct = samples["gateway (HTTP)"], samples["direct (NATS request/reply)"]
    print(f"\n### gateway overhead: GET member by id, {len(gw)} sequential samples each, interleaved "
          f"(load average {loadavg()})")
    print("| path | p50 | p99 |\n| --- | --- | --- |")
    for name, v in samples.items():
        print(f"| {name} | {ms(pct(v, 50))} | {ms(pct(v, 99))} |")
    print(f"| gateway − direct | {ms(pct(gw, 50) - pct(direct, 50))} | {ms(pct(gw, 99) - pct(direct, 99))} |")
    print(f"| ratio gateway / direct | {pct(gw, 50) / pct(direct, 50):.2f}× | {pct(gw, 99) / pct(direct, 99):.2f}× |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second (open loop)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each open-loop phase")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of the mix before the steady phase")
    parser.add_argument("--write-share", type=float, default=0.1, help="share of writes in the mix (0..1)")
    parser.add_argument("--members", type=int, default=300, help="demo members seeded first")
    parser.add_argument("--registrations", type=int, default=300, help="registrations before the last phase")
    parser.add_argument("--after-delay", type=float, default=5.0, help="pause between the registrations and the load")
    parser.add_argument("--overhead-samples", type=int, default=200)
    parser.add_argument("--skip-after", action="store_true", help="no registrations phase")
    parser.add_argument("--request-concurrency", type=int,
                        help="requests of one subject each service serves at once (default: the services' setting)")
    parser.add_argument("--data-dir", type=Path, help="keep the platform's data here (default: a temporary one)")
    args = parser.parse_args()
    assert 0 <= args.write_share <= 1 and args.rate > 0 and args.seconds > 0

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        extra_env = {} if args.request_concurrency is None else {
            f"{name.upper()}_REQUEST_CONCURRENCY": str(args.request_concurrency) for name in SERVICES}
        platform = Platform(data_dir=data_dir, ports=Ports.free(), extra_env=extra_env)
        print(f"extra environment: {extra_env or 'none'}", flush=True)
        try:
            t = time.perf_counter()
            platform.start()
            print(f"platform up in {time.perf_counter() - t:.1f} s; logs in {platform.logs}", flush=True)
            seed_token = platform.issue_token("manager", subject=SEED_SUBJECT)
            t = time.perf_counter()
            done, failed = asyncio.run(seed(platform.gateway_url, seed_token, args.members))
            print(f"seeded {done} members ({failed} failed) in {time.perf_counter() - t:.1f} s", flush=True)
            listed = asyncio.run(member_list(platform.gateway_url, seed_token))
            members = [{"member_id": m["member_id"], "version": m["version"]} for m in listed]
            print(f"{len(members)} members; settling 10 s (consumers catch up)", flush=True)
            time.sleep(10)
            load = Load(platform, members)
            report_overhead(asyncio.run(gateway_overhead(platform, [m["member_id"] for m in members],
                                                         args.overhead_samples)))
            if args.warmup > 0:  # connections, caches; its figures are not reported
                warm = asyncio.run(load.open_loop("warm-up", args.rate, args.warmup, args.write_share))
                reads = [v for k in READS for v in warm["lat"].get(k, [])]
                print(f"\nwarm-up: {args.warmup:g} s at {args.rate:g}/s, reads p50 {ms(pct(reads, 50))}, "
                      f"p99 {ms(pct(reads, 99))}", flush=True)
            report(asyncio.run(load.open_loop("steady", args.rate, args.seconds, args.write_share)))
            if not args.skip_after:
                elapsed = asyncio.run(register_burst(platform.gateway_url, seed_token, args.registrations))
                print(f"\n{args.registrations} registrations in {elapsed:.1f} s; waiting {args.after_delay:g} s",
                      flush=True)
                time.sleep(args.after_delay)
                report(asyncio.run(load.open_loop(f"{args.after_delay:g} s after {args.registrations} registrations",
                                                  args.rate, args.seconds, args.write_share)))
        finally:
            platform.stop()


if __name__ == "__main__":
    main()
