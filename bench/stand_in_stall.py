"""Benchmark: do the MongoDB stand-in's periodic chores stall reads? (bench/RESULTS.md, API load)

Starts the stand-in as `servicekit.devservers` does (`python -m servicekit.stand_in`, journaled
commits) with the TTL sweep period given, loads `--docs` documents into a collection carrying a
TTL index of 7 days (nothing expires: like the outbox, inbox and idempotency collections), then
reads another collection by `_id` at `--rate` per second, open loop, for `--seconds`, and prints
every second of the schedule whose slowest read took `--report-ms` or more, and p50/p99/max.
A watchdog runs `py-spy dump` of the stand-in (if py-spy is installed) whenever a read has
waited a second, and prints the threads holding the GIL then.

Usage: python bench/stand_in_stall.py [--sweep-seconds 60] [--docs 20000] [--seconds 130]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from servicekit.devservers import free_port, wait_for_port
from servicekit.mongo import create_client


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def probe(uri: str, pid: int, spy: str | None, args: argparse.Namespace) -> None:
    client = create_client(uri, "stall-probe")
    db = client["probe"]
    await db["ttl"].create_index("at", expireAfterSeconds=7 * 86400)
    now = datetime.now(UTC)
    for k in range(0, args.docs, 1000):
        await db["ttl"].insert_many([{"at": now, "p": "z" * 400, "k": k + i} for i in range(1000)])
    await db["m"].insert_many([{"_id": i, "x": "y" * 200} for i in range(2000)])
    print(f"loaded {args.docs} documents; load average {os.getloadavg()}", flush=True)
    lat: dict[int, list[float]] = {}
    inflight: dict[float, float] = {}
    dumps: list[tuple[int, list[str]]] = []
    t0 = time.perf_counter()

    async def watchdog() -> None:
        dumped_at = -100.0
        while True:
            await asyncio.sleep(0.1)
            now = time.perf_counter()
            if now - min(inflight.values(), default=now) > 1.0 and now - dumped_at > 10 and spy:
                dumped_at = now
                out = await asyncio.to_thread(subprocess.run, [spy, "dump", "--pid", str(pid)],
                                              capture_output=True, text=True)
                lines = out.stdout.splitlines()
                active = [f"{line.strip()} in {lines[i + 1].strip()}" for i, line in enumerate(lines[:-1])
                          if "active+gil" in line]
                dumps.append((int(now - t0), active))

    async def one(at: float, key: int) -> None:
        inflight[at] = at
        await db["m"].find_one({"_id": key})
        del inflight[at]
        lat.setdefault(int(at - t0), []).append(time.perf_counter() - at)

    guard = asyncio.create_task(watchdog())
    tasks = []
    for i in range(int(args.seconds * args.rate)):
        at = t0 + i / args.rate
        if (delay := at - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(at, i % 2000)))
    await asyncio.gather(*tasks)
    guard.cancel()
    for second, values in sorted(lat.items()):
        if max(values) * 1000 >= args.report_ms:
            print(f"  s{second}: max {max(values) * 1000:.0f} ms", flush=True)
    for second, active in dumps:
        print(f"  py-spy at s{second}: {'; '.join(active) or 'no thread holding the GIL'}")
    everything = [v for values in lat.values() for v in values]
    print(f"sweep every {args.sweep_seconds:g} s, {args.docs} documents: reads p50 {pct(everything, 50) * 1000:.1f} ms, "
          f"p99 {pct(everything, 99) * 1000:.1f} ms, max {max(everything) * 1000:.0f} ms; "
          f"load average {os.getloadavg()}")
    await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sweep-seconds", type=float, default=60.0, help="stand-in TTL sweep period")
    parser.add_argument("--docs", type=int, default=20000, help="documents in the TTL-indexed collection")
    parser.add_argument("--seconds", type=float, default=130.0, help="length of the read phase")
    parser.add_argument("--rate", type=float, default=100.0, help="reads per second (open loop)")
    parser.add_argument("--report-ms", type=float, default=1000.0, help="report seconds whose max reaches this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "servicekit.stand_in", "--host", "127.0.0.1", "--port", str(port),
             "--storage-path", str(Path(tmp) / "mongo"), "--log-level", "WARNING", "--sync-on-commit"],
            env={**os.environ, "SECANTUS_TTL_SWEEP_SECONDS": str(args.sweep_seconds)})
        try:
            wait_for_port(port, 60, proc)
            beside = Path(sys.executable).parent / "py-spy"
            spy = shutil.which("py-spy") or (str(beside) if beside.exists() else None)
            asyncio.run(probe(f"mongodb://127.0.0.1:{port}/?replicaSet=secantus", proc.pid, spy, args))
        finally:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
