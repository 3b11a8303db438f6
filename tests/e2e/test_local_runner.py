"""`make run` itself: starts everything, seeds, restarts a crashed service, stops every process
on Ctrl-C or when its parent dies, reuses its data."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from alumni_local import seed_community, seed_events, seed_mentoring, seed_outcomes, seed_receipts
from alumni_local.http_retry import RetryTransport
from alumni_local.seed_dues import DEMO_MEMBERS
from alumni_local.seed_gifts import DONORS as GIFT_DONORS
from alumni_local.seed_notifications import DEMO as NOTIFICATIONS_DEMO

pytestmark = pytest.mark.e2e

BURST = 20
# The dues demo's members (`alumni_local.seed_dues`) and the notifications demo's (bounces, an
# English newsletter subscriber: `alumni_local.seed_notifications`).
# ... and the fundraising demo's donors (`seed_gifts`).
# ... and the events, receipts, community, job alerts, mentoring and outcomes demos' members.
DUES_DEMO = (len(DEMO_MEMBERS) + len(NOTIFICATIONS_DEMO) + len(GIFT_DONORS) + len(seed_events.CLASS_OF_2016)
             + len(seed_receipts.DONORS) + len(seed_community.HELPERS) + len(seed_community.ASKERS)
             + len(seed_mentoring.MENTORS) + len(seed_mentoring.MENTEES) + len(seed_outcomes.RESPONDENTS)
             + 1)  # the job alerts demo's alumna (`alumni_local.seed_job_alerts`)
T = TypeVar("T")


def children_of(pid: int) -> set[int]:
    """Every live descendant process (the runner starts services in their own sessions)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    live = set()
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                live.add(pid)
        except OSError:
            pass
    return live


def service_pid(runner: int, module: str) -> int:
    for pid in children_of(runner):
        try:
            if module in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                return pid
        except OSError:
            pass
    raise AssertionError(f"no {module} process")


def env_of(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(p.decode(errors="replace").split("=", 1) for p in pairs if b"=" in p)


class Run:
    """One `python -m alumni_local run`, its output read continuously by a thread."""

    def __init__(self, data_dir: Path, via_parent: bool = False, demo_members: int = 5,
                 ready: str | None = None, via_make: bool = False) -> None:
        args = [sys.executable, "-m", "alumni_local", "run", "--data-dir", str(data_dir), "--demo-members",
                str(demo_members), "--free-ports"]
        if via_parent:  # like `make run`: the runner is the child of another process
            args = ["/bin/sh", "-c", '"$@" & wait', "sh", *args]
        if via_make:  # `make run` itself: a one-command recipe, which make runs without a shell
            makefile = data_dir / "run.mk"
            makefile.write_text("run:\n\t" + " ".join(args) + "\n")
            args = ["make", "-s", "-f", str(makefile), "run"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                     # as from a terminal, even when the tests run in the background
                                     preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) if via_make
                                     else None)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.runner_pid = self.proc.pid
        if via_parent or via_make:
            self.runner_pid = self.wait_for(lambda: next(iter(self._direct()), 0), 10)
        ready = ready or ("registered or already present" if demo_members else "Ctrl-C stops everything")
        self.wait_for(lambda: ready in self.output, 180)
        self.children = children_of(self.runner_pid)

    def _direct(self) -> set[int]:
        """The parent's own children (the runner)."""
        found = set()
        for pid in children_of(self.proc.pid):
            try:
                if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1] == str(self.proc.pid):
                    found.add(pid)
            except OSError:
                pass
        return found

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, condition: Callable[[], T], timeout: float) -> T:
        deadline = time.monotonic() + timeout
        while not (result := condition()):
            assert self.proc.poll() is None or self._reader.is_alive(), self.output
            assert time.monotonic() < deadline, self.output
            time.sleep(0.1)
        return result

    def stop(self, sig: signal.Signals = signal.SIGINT, again_after: str | None = None) -> str:
        """Sends `sig` (and once more when `again_after` shows in the output); every process the
        runner had meanwhile must be gone."""
        self.proc.send_signal(sig)
        deadline = time.monotonic() + 60
        while self.proc.poll() is None:  # processes started until the signal landed count too
            self.children |= children_of(self.runner_pid)
            if again_after is not None and again_after in self.output:
                self.proc.send_signal(sig)
                again_after = None
            assert time.monotonic() < deadline, self.output
            time.sleep(0.05)
        self._reader.join(10)
        deadline = time.monotonic() + 30
        while alive(self.children | {self.runner_pid}) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(self.children | {self.runner_pid}), f"orphans left running: {alive(self.children)}"
        return self.output


def console(output: str) -> tuple[str, str]:
    found = re.search(r"Console\s+(\S+)/console#token=(\S+)", output)
    assert found
    return found.group(1), found.group(2)


def register(client: httpx.Client, i: int) -> int:
    body = {"first_name": "Burst", "last_name": f"N{i}", "email": f"burst.{i}@example.org", "locale": "fr",
            "cohort": {"program": "MSc Finance", "graduation_year": 2012}}
    return client.post("/api/v1/members", json=body, headers={"Idempotency-Key": f"e2e-burst-{i}"}).status_code


def test_make_run_serves_the_console_restarts_a_crashed_service_stops_cleanly_and_reuses_its_data(
        tmp_path: Path) -> None:
    run = Run(tmp_path)
    try:
        output = run.output
        assert "5 registered or already present, 0 failed" in output
        assert output.index("Ctrl-C stops everything") < output.index("Seeding"), "said before the seed"
        # The dues demo: an alumnus link to join and pay, and the three other paths, as seeded.
        assert "Cotisations (démo) / Dues (demo):" in output and "dues demo:" not in output, output
        assert re.search(r"Camille Adhérente \(ancienne élève / alumna\): \S+/console#token=\S+", output)
        assert "2/3 réglées / lifetime in 3 instalments, 2 paid — active" in output
        assert "reactivated — active" in output and "(reminded) — in_grace" in output
        api, token = console(output)
        mailbox = re.search(r"Mailbox\s+(\S+)", output)
        assert mailbox
        payments = re.search(r"Payments\s+(\S+)/checkout/", output)
        assert payments and httpx.get(f"{payments.group(1)}/health").status_code == 200, "the local provider's page"
        auth = {"Authorization": f"Bearer {token}"}
        assert "Console alumni" in httpx.get(f"{api}/console").text
        members = httpx.get(f"{api}/api/v1/members", headers=auth, params={"limit": 200})
        assert members.status_code == 200 and len(members.json()["items"]) == 5 + DUES_DEMO
        showcase = httpx.get(f"{api}/api/v1/public/demo/showcase").json()["items"]
        assert len(showcase) == 1 and showcase[0]["quote"], "the demo tenant has a showcase entry"
        groups = httpx.get(f"{api}/api/v1/groups", headers=auth)
        assert {"Alumni de Lyon", "Club Finance"} <= {g["name"] for g in groups.json()["items"]}
        assert len(run.children) >= 8, "nats, mongo, sink, four services and the gateway are separate processes"
        deadline = time.monotonic() + 30
        while httpx.get(mailbox.group(1)).json()["count"] < 5:
            assert time.monotonic() < deadline, "the five welcome emails"
            time.sleep(0.2)

        def lea_alerted() -> bool:  # the job alerts demo: an approved offer matched Léa's alert
            return any(m["subject"] == "Offre d'emploi : Analyste marchés de capitaux — Banque Démo"
                       for m in httpx.get(mailbox.group(1)).json()["messages"]
                       if "lea.alerte.demo@example.org" in m["to"])

        run.wait_for(lea_alerted, 60)

        # SIGKILL notifications during a burst of registrations: the platform stays up, the
        # runner restarts it, every write of the burst is there.
        killed = service_pid(run.runner_pid, "notifications_service")
        with httpx.Client(base_url=api, headers=auth, timeout=30, transport=RetryTransport()) as client, \
                ThreadPoolExecutor(4) as pool:
            statuses = pool.map(lambda i: register(client, i), range(BURST))
            time.sleep(0.3)
            os.kill(killed, signal.SIGKILL)
            assert set(statuses) == {201}
        run.wait_for(lambda: "notifications restarted" in run.output, 15)
        assert "notifications exited (killed by SIGKILL); restarting in 0.5 s" in run.output
        assert run.proc.poll() is None, "the platform kept running"
        restarted = service_pid(run.runner_pid, "notifications_service")
        assert restarted != killed
        health = f"http://127.0.0.1:{env_of(restarted)['NOTIFICATIONS_HTTP_PORT']}/health"

        def healthy() -> bool:
            try:
                return httpx.get(health, timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        run.wait_for(healthy, 20)
        listed = httpx.get(f"{api}/api/v1/members", params={"limit": 100}, headers=auth).json()["items"]
        assert len(listed) == 5 + DUES_DEMO + BURST, "every write of the burst is there"
        # The restarted service consumes again: a member registered now gets a welcome email.
        with httpx.Client(base_url=api, headers=auth, timeout=30, transport=RetryTransport()) as client:
            assert register(client, BURST) == 201

        def welcomed() -> bool:
            return any(f"burst.{BURST}@example.org" in m["to"] for m in httpx.get(mailbox.group(1)).json()["messages"])

        run.wait_for(welcomed, 60)
        runner_log = (tmp_path / "logs" / "runner.log").read_text()
        assert '"event": "process exited"' in runner_log and '"event": "process restarted"' in runner_log
    finally:
        run.stop()
    assert run.proc.returncode == 0 and "Traceback" not in run.output, "Ctrl-C in steady state: a clean stop"

    # Second run, started like `make run` by a parent process that then dies (make killed on
    # its own): the runner notices and stops every process.
    run = Run(tmp_path, via_parent=True)
    try:
        assert "5 registered or already present, 0 failed" in run.output
        api, token = console(run.output)
        members = httpx.get(f"{api}/api/v1/members", params={"limit": 100},
                            headers={"Authorization": f"Bearer {token}"})
        assert len(members.json()["items"]) == 5 + DUES_DEMO + BURST + 1, \
            "the second run reused the data and seeded nothing twice"
        mailbox = re.search(r"Mailbox\s+(\S+)", run.output)
        assert mailbox
        time.sleep(2)
        # (A dues demo member also gets their reminder: one email per recipient and subject.)
        sent = [(tuple(m["to"]), m["subject"]) for m in httpx.get(mailbox.group(1)).json()["messages"]]
        assert len(sent) == len(set(sent)), "no email sent twice across runs and restarts"
    finally:
        run.stop(signal.SIGKILL)  # the parent `sh`, not the runner


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_sigint_to_make_alone_stops_every_process(tmp_path: Path) -> None:
    """GNU make forwards SIGINT to nobody and waits for its child: the runner notices its parent
    dying of the signal and stops the platform, and make then exits."""
    run = Run(tmp_path, demo_members=0, via_make=True)
    assert len(run.children) >= 8
    output = run.stop(signal.SIGINT)  # to make only: every process the runner had must be gone
    assert "parent (make) was interrupted: stopping everything" in output and "Stopped: every process ended" in output
    assert "Traceback" not in output, output


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGHUP])
def test_every_process_stops_with_the_runner_even_when_it_is_killed(tmp_path: Path, sig: signal.Signals) -> None:
    run = Run(tmp_path, demo_members=0)
    assert len(run.children) >= 8
    # SIGHUP (terminal closed): the runner stops everything itself. SIGKILL: it has no chance
    # to; every child has PR_SET_PDEATHSIG (nats-server and the MongoDB stand-in included).
    run.stop(sig)
    if sig == signal.SIGHUP:
        assert run.proc.returncode == 0 and "Stopping ..." in run.output and "Stopped: every process ended" in run.output


def started(runner: int, module: str) -> bool:
    try:
        return service_pid(runner, module) > 0
    except AssertionError:
        return False


@pytest.mark.parametrize("phase", ["servers", "services"])
def test_ctrl_c_during_start_up_stops_every_process_without_a_traceback(tmp_path: Path, phase: str) -> None:
    """`servers`: NATS and MongoDB up — the topology being applied or the first services starting;
    `services`: the gateway started too — waiting until every service is healthy."""
    run = Run(tmp_path, demo_members=0, ready="Starting NATS")
    if phase == "servers":
        run.wait_for(lambda: len(children_of(run.runner_pid)) >= 2, 60)
    else:
        run.wait_for(lambda: started(run.runner_pid, "gateway_service"), 60)
    assert "Console" not in run.output, "still starting"
    run.children = children_of(run.runner_pid)
    output = run.stop()
    assert run.proc.returncode == 0, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert "Console" not in output and "Stopped: every process ended" in output


def test_ctrl_c_during_the_seed_even_twice_stops_every_process_without_a_traceback(tmp_path: Path) -> None:
    run = Run(tmp_path, demo_members=2000, ready="  seeding [")  # the seed's first progress line
    assert "registered or already present" not in run.output, "still seeding"
    output = run.stop(again_after="Stopping ...")  # impatient: Ctrl-C again while it stops
    assert run.proc.returncode == 0, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert "Already stopping" in output and "Stopped: every process ended" in output
