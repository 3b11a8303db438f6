"""`python -m alumni_local run`: the whole platform locally, with demo data (`make run`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:  # Ctrl-C while Python is still importing the runner: nothing started yet, nothing to stop
    from alumni_local.progress import ProgressBar
    from alumni_local.runner import Platform, Ports
    from alumni_local.seed import SEED_SUBJECT, seed
    from alumni_local.seed_dues import JOINER, DuesDemo, describe_demo
    from alumni_local.seed_events import EventsDemo, describe_events
    from alumni_local.supervisor import PlatformGaveUp, Supervisor, record
    from servicekit.devservers import die_with_parent, free_port
except KeyboardInterrupt:
    raise SystemExit(130) from None

SEED_BAR = ProgressBar("  seeding")
SUPERVISE_EVERY = 0.25


def show_progress(done: int, total: int) -> None:
    if done == total or done % 50 == 0:
        SEED_BAR.update(done, total)


class Seeder(threading.Thread):
    """Seeds in the background while the main thread supervises the platform (a service that
    crashes during the seed is restarted; the seed's requests retry meanwhile)."""

    def __init__(self, gateway_url: str, token: str, count: int,
                 alumnus_token: Callable[[str], str] | None = None, partner_token: str | None = None) -> None:
        super().__init__(name="demo-seed", daemon=True)
        self.count = count
        self.gateway_url = gateway_url
        self.dues = DuesDemo()
        self.events = EventsDemo()
        self.alumnus_token = alumnus_token
        self.result: tuple[int, int] | None = None
        self.error: BaseException | None = None
        self.retried: Counter[str] = Counter()
        self.started_at = time.monotonic()
        self.elapsed = 0.0
        self._loop = asyncio.new_event_loop()
        self._task = self._loop.create_task(
            seed(gateway_url, token, count, progress=show_progress, retried=self.retried, dues=self.dues,
                 events=self.events, alumnus_token=alumnus_token, partner_token=partner_token))

    def run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self.result = self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc
        finally:
            self.elapsed = time.monotonic() - self.started_at
            self._loop.close()

    def cancel(self) -> None:
        if self.is_alive():
            try:
                self._loop.call_soon_threadsafe(self._task.cancel)
            except RuntimeError:  # finished meanwhile
                pass
            self.join(5)

    def report(self) -> str:
        if self.error is not None:
            return f"  the seed stopped: {self.error!r}"
        present, failed = self.result or (0, self.count)
        line = f"  {present} registered or already present, {failed} failed ({self.elapsed:.0f} s)"
        if self.retried:
            line += "; retried: " + ", ".join(f"{n}× {reason}" for reason, n in self.retried.most_common())
        joiner = self.dues.members.get(JOINER.key)
        token = self.alumnus_token(joiner) if joiner and self.alumnus_token else None
        return (line + describe_demo(self.dues, f"{self.gateway_url}/console", token)
                + describe_events(self.events, f"{self.gateway_url}/console"))


def stop_with_parent() -> None:
    """The runner stops (SIGTERM, so it stops its children) when whoever started it dies —
    `make` killed on its own, a closed terminal — instead of leaving the platform running."""
    parent = os.getppid()
    if not die_with_parent():
        return
    if os.getppid() != parent:  # died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_STOP_BITS = sum(1 << (sig - 1) for sig in STOP_SIGNALS)


def dying_of_a_stop_signal(status: str) -> bool:
    """From a process's `/proc/<pid>/status`: it is handling a fatal stop signal — the signal is
    blocked (being handled) and no longer caught (its handler reset it to the default, to die by
    it once its children are gone). GNU make does exactly this on SIGINT or SIGHUP: it forwards
    nothing to its children and waits for them, so `kill -INT <make>` alone would leave the
    platform running, and make with it, forever."""
    masks: dict[str, int] = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("SigBlk", "SigCgt"):
            masks[key] = int(value.strip(), 16)
    if len(masks) != 2:
        return False
    return bool(masks["SigBlk"] & _STOP_BITS & ~masks["SigCgt"])


class ParentWatch:
    """Polled by the supervision loop: True once the runner's parent has been dying of a stop
    signal for a second (two looks apart, so that a passing signal mask is not mistaken)."""

    def __init__(self, parent: int, patience: float = 1.0) -> None:
        self._status = Path(f"/proc/{parent}/status")
        self._patience = patience
        self._since: float | None = None

    def stopping(self) -> bool:
        try:
            dying = dying_of_a_stop_signal(self._status.read_text())
        except OSError:  # gone: PR_SET_PDEATHSIG stops the runner
            return False
        if not dying:
            self._since = None
            return False
        now = time.monotonic()
        if self._since is None:
            self._since = now
        return now - self._since >= self._patience


def keep_stopping() -> None:
    """Once stopping, another Ctrl-C (or SIGTERM, SIGHUP) must not interrupt the stop half-way —
    that would leave a traceback and processes to their death signal: it is acknowledged once,
    and the stop goes on (bounded: a process that does not end within 15 s is killed)."""
    said = False

    def acknowledge(_sig: int, _frame: object) -> None:
        nonlocal said
        if not said:
            said = True
            # os.write, not print: a handler may run in the middle of a print (reentrant call).
            try:
                os.write(sys.stdout.fileno(), b"Already stopping: every process gets up to 15 s ...\n")
            except (OSError, ValueError):  # no terminal left to tell
                pass

    for sig in STOP_SIGNALS:
        signal.signal(sig, acknowledge)


def demo_webhook(platform: Platform, free_ports: bool) -> Any:
    """A partner subscription of tenant `demo` to a local receiver (best effort: the demo runs
    without it). Returns the receiver's server, or None."""
    from alumni_local.webhook_receiver import DEMO_PARTNER, port_free, start_demo_partner

    port = free_port() if free_ports else 8900
    if not port_free(port):
        print(f"  Webhooks     port {port} is busy: no demo partner endpoint", flush=True)
        return None
    log = platform.logs / "webhook-receiver.log"
    try:
        server, url = start_demo_partner(
            platform.gateway_url, lambda: platform.issue_token("partner", subject=DEMO_PARTNER), port, log)
    except Exception as exc:  # noqa: BLE001 - a demo extra: say why and carry on
        print(f"  Webhooks     demo partner not set up: {type(exc).__name__}: {exc}"[:300], flush=True)
        return None
    partner = platform.issue_token("partner", subject=DEMO_PARTNER)
    print(f"  Webhooks     demo partner '{DEMO_PARTNER}' → {url} (deliveries in {log})\n"
          f"               its console: {platform.gateway_url}/console#token={partner}", flush=True)
    return server


def run(data_dir: Path, demo_members: int, free_ports: bool = False) -> int:
    """Exit status 0 when stopped by Ctrl-C, SIGTERM or SIGHUP (at any phase: start-up, seed,
    steady state), without a traceback; 1 when the platform failed to start or gave up."""
    # SIGTERM and SIGHUP unwind like Ctrl-C, wherever the runner is (even mid start-up): children
    # stop. SIGINT too, explicitly: a runner started in the background inherits it ignored.
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.default_int_handler)
    stop_with_parent()
    platform = Platform(data_dir=data_dir.resolve(), ports=Ports.free() if free_ports else Ports())
    seeder: Seeder | None = None
    try:
        print(f"Starting NATS, the MongoDB stand-in and every service (logs in {platform.logs}) ...", flush=True)
        platform.start()
        token = platform.issue_token("manager")
        print()
        print(f"  Console      {platform.gateway_url}/console#token={token}")
        print(f"  API docs     {platform.gateway_url}/api/v1/docs")
        print(f"  Mailbox      {platform.mailbox_url}")
        print(f"  Payments     {platform.checkout_url}/checkout/…  (local provider's hosted page: "
              f"POST /api/v1/me/membership returns its URL)")
        print(f"  Logs         {platform.logs}")
        print(f"  NATS         {platform.nats_url}")
        print(f"  MongoDB      {platform.mongo_uri}")
        print(f"\n  Manager token (tenant demo):\n  {token}\n")
        if platform.nats_passwords:
            for tenant in platform.tenants:
                print(platform.partner_access(tenant), flush=True)
        demo_webhook(platform, free_ports)  # its receiver thread lives as long as the runner
        print("Ctrl-C stops everything. A process that crashes is restarted.", flush=True)
        if demo_members:
            print(f"Seeding {demo_members} demo alumni in tenant 'demo' (the console is already up) ...", flush=True)
            seeder = Seeder(platform.gateway_url, platform.issue_token("manager", subject=SEED_SUBJECT), demo_members,
                            alumnus_token=lambda member_id: platform.issue_token("alumnus", member_id=member_id),
                            partner_token=platform.issue_token("partner", subject="demo-recruiter"))
            seeder.start()
        supervisor = Supervisor(platform)
        parent = ParentWatch(os.getppid())
        while True:
            supervisor.check()
            if parent.stopping():
                print("The runner's parent (make) was interrupted: stopping everything.", flush=True)
                return 0
            if seeder is not None and not seeder.is_alive():
                SEED_BAR.close()
                print(f"\n{seeder.report()}", flush=True)
                seeder = None
            time.sleep(SUPERVISE_EVERY)
    except PlatformGaveUp:
        return 1
    except (RuntimeError, TimeoutError) as exc:  # start-up failed; the message names the process and its log
        print(f"alumni-local: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        keep_stopping()
        if seeder is not None:
            seeder.cancel()
        print("Stopping ...", flush=True)
        stopping = time.monotonic()
        platform.stop()
        record(platform.logs / "runner.log", sys.stdout, "info", "platform stopped",
               f"Stopped: every process ended ({time.monotonic() - stopping:.1f} s).")
        # Nothing left to stop: a late Ctrl-C while Python exits (after it resets its own handlers
        # to the default, which would die by SIGINT) is ignored.
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)


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
    hook_p = sub.add_parser("webhook-receiver", help="a partner webhook endpoint that prints verified deliveries")
    hook_p.add_argument("--port", type=int, default=8900)
    hook_p.add_argument("--secret", help="the subscription's signing secret (whsec_…), to verify signatures")
    hook_p.add_argument("--fail", type=int, default=0, help="answer 500 to the first N deliveries")
    args = parser.parse_args()
    if args.command == "webhook-receiver":
        from alumni_local.webhook_receiver import main as receive

        raise SystemExit(receive(args.port, args.secret, args.fail))
    if args.command == "partner-credentials":
        raise SystemExit(partner_credentials(args.data_dir, args.tenant, args.nats_url))
    raise SystemExit(run(args.data_dir, args.demo_members, args.free_ports))


if __name__ == "__main__":
    main()
