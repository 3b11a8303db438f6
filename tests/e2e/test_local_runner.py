"""`make run` itself: starts everything, seeds, stops every process on Ctrl-C, reuses its data."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e


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


def run_until_ready(data_dir: Path) -> tuple[subprocess.Popen[str], str, set[int]]:
    proc = subprocess.Popen([sys.executable, "-m", "alumni_local", "run", "--data-dir", str(data_dir),
                             "--demo-members", "5", "--free-ports"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    output = ""
    deadline = time.monotonic() + 120
    while "Ctrl-C stops everything" not in output:
        line = proc.stdout.readline()
        assert line or proc.poll() is None, output
        output += line
        assert time.monotonic() < deadline, output
    return proc, output, children_of(proc.pid)


def stop(proc: subprocess.Popen[str], children: set[int]) -> str:
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    time.sleep(0.5)
    alive = {pid for pid in children if Path(f"/proc/{pid}").exists() and
             (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z")}
    assert not alive, f"orphans left running: {alive}"
    return rest


def test_make_run_serves_the_console_stops_cleanly_and_reuses_its_data(tmp_path: Path) -> None:
    proc, output, children = run_until_ready(tmp_path)
    try:
        assert "5 registered or already present, 0 failed" in output
        console = re.search(r"Console\s+(\S+)#token=(\S+)", output)
        mailbox = re.search(r"Mailbox\s+(\S+)", output)
        assert console and mailbox
        url, token = console.groups()
        assert "Console alumni" in httpx.get(url).text
        members = httpx.get(url.replace("/console", "/api/v1/members"), headers={"Authorization": f"Bearer {token}"})
        assert members.status_code == 200 and len(members.json()["items"]) == 5
        showcase = httpx.get(url.replace("/console", "/api/v1/public/demo/showcase")).json()["items"]
        assert len(showcase) == 1 and showcase[0]["quote"], "the demo tenant has a showcase entry"
        groups = httpx.get(url.replace("/console", "/api/v1/groups"), headers={"Authorization": f"Bearer {token}"})
        assert {"Alumni de Lyon", "Club Finance"} <= {g["name"] for g in groups.json()["items"]}
        assert len(children) >= 8, "nats, mongo, sink, four services and the gateway are separate processes"
        assert mailbox
        deadline = time.monotonic() + 30
        while httpx.get(mailbox.group(1)).json()["count"] < 5:
            assert time.monotonic() < deadline, "the five welcome emails"
            time.sleep(0.2)
    finally:
        stop(proc, children)

    proc, output, children = run_until_ready(tmp_path)
    try:
        assert "5 registered or already present, 0 failed" in output
        console = re.search(r"Console\s+(\S+)#token=(\S+)", output)
        assert console
        url, token = console.groups()
        members = httpx.get(url.replace("/console", "/api/v1/members"), headers={"Authorization": f"Bearer {token}"})
        assert len(members.json()["items"]) == 5, "the second run reused the data and seeded nothing twice"
        mailbox = re.search(r"Mailbox\s+(\S+)", output)
        assert mailbox
        time.sleep(2)
        assert httpx.get(mailbox.group(1)).json()["count"] == 5, "no welcome email sent twice across runs"
    finally:
        stop(proc, children)
