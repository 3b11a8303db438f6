"""`python -m alumni_local run`: the whole platform locally, with demo data (`make run`)."""

from __future__ import annotations

import argparse
import asyncio
import json
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
        if platform.nats_passwords:
            for tenant in platform.tenants:
                print(platform.partner_access(tenant), flush=True)
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


def partner_credentials(data_dir: Path, tenant: str, nats_url: str) -> int:
    """Writes the partner credentials of a tenant (from the runner's generated ones) and prints
    how a partner connects."""
    from servicekit.nats_auth import partner_connect_help, partner_user, write_partner_env

    store = data_dir / "nats" / "credentials.json"
    passwords = json.loads(store.read_text()) if store.exists() else {}
    if partner_user(tenant) not in passwords:
        print(f"tenant {tenant!r} has no partner account: start the platform with it first (`make run`)",
              file=sys.stderr)
        return 2
    path = write_partner_env(data_dir / "partners" / f"{tenant}.env", nats_url, tenant,
                             passwords[partner_user(tenant)])
    print(partner_connect_help(tenant, path))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="alumni-local")
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="start the platform with demo data")
    run_p.add_argument("--data-dir", type=Path, default=Path(".data"))
    run_p.add_argument("--demo-members", type=int, default=2000)
    run_p.add_argument("--free-ports", action="store_true",
                       help="pick free ports instead of 4222/27017/8000/… (printed at start-up)")
    partner_p = sub.add_parser("partner-credentials", help="write a tenant's partner NATS credentials")
    partner_p.add_argument("--tenant", required=True)
    partner_p.add_argument("--data-dir", type=Path, default=Path(".data"))
    partner_p.add_argument("--nats-url", default="nats://127.0.0.1:4222")
    args = parser.parse_args()
    if args.command == "partner-credentials":
        raise SystemExit(partner_credentials(args.data_dir, args.tenant, args.nats_url))
    raise SystemExit(run(args.data_dir, args.demo_members, args.free_ports))


if __name__ == "__main__":
    main()
