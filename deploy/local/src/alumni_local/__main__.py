"""`python -m alumni_local run`: the whole platform locally, with demo data (`make run`)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
from pathlib import Path

from alumni_local.progress import ProgressBar
from alumni_local.runner import Platform, Ports
from alumni_local.seed import seed

SEED_BAR = ProgressBar("  seeding")


def show_progress(done: int, total: int) -> None:
    if done == total or done % 50 == 0:
        SEED_BAR.update(done, total)


def run(data_dir: Path, demo_members: int, free_ports: bool = False) -> int:
    platform = Platform(data_dir=data_dir.resolve(), ports=Ports.free() if free_ports else Ports())
    stop = threading.Event()
    # SIGTERM unwinds like Ctrl-C, wherever the runner is (even mid start-up): children stop.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        print(f"Starting NATS, the MongoDB stand-in and every service (logs in {platform.logs}) ...", flush=True)
        platform.start()
        token = platform.issue_token("manager")
        print()
        print(f"  Console      {platform.gateway_url}/console#token={token}")
        print(f"  API docs     {platform.gateway_url}/api/v1/docs")
        print(f"  Mailbox      {platform.mailbox_url}")
        print(f"  Logs         {platform.logs}")
        print(f"  NATS         {platform.nats_url}")
        print(f"  MongoDB      {platform.mongo_uri}")
        print(f"\n  Manager token (tenant demo):\n  {token}\n")
        if demo_members:
            print(f"Seeding {demo_members} demo alumni in tenant 'demo' (the console is already up) ...", flush=True)
            present, failed = asyncio.run(seed(platform.gateway_url, token, demo_members, progress=show_progress))
            print(f"\n  {present} registered or already present, {failed} failed", flush=True)
        print("Ctrl-C stops everything.", flush=True)
        try:
            while not stop.wait(1):
                for name, proc in platform.processes.items():
                    if proc.poll() is not None:
                        print(f"{name} exited ({proc.returncode}); see {platform.logs / (name + '.log')}",
                              file=sys.stderr)
                        return 1
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        print("Stopping ...", flush=True)
        platform.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="alumni-local")
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="start the platform with demo data")
    run_p.add_argument("--data-dir", type=Path, default=Path(".data"))
    run_p.add_argument("--demo-members", type=int, default=2000)
    run_p.add_argument("--free-ports", action="store_true",
                       help="pick free ports instead of 4222/27017/8000/… (printed at start-up)")
    args = parser.parse_args()
    raise SystemExit(run(args.data_dir, args.demo_members, args.free_ports))


if __name__ == "__main__":
    main()
