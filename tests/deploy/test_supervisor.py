"""The local runner's supervisor: restart with backoff, give up on a crash loop (fake processes)."""

from __future__ import annotations

import io
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from alumni_local.supervisor import PlatformGaveUp, RestartPolicy, Supervisor, describe_exit


class FakeProcess:
    pids = iter(range(1000, 2000))

    def __init__(self) -> None:
        self.pid = next(self.pids)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode


@dataclass
class FakePlatform:
    logs: Path
    processes: dict[str, Any] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)

    def start_process(self, name: str) -> subprocess.Popen[bytes]:
        self.started.append(name)
        self.processes[name] = FakeProcess()
        return cast("subprocess.Popen[bytes]", self.processes[name])


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def setup(tmp_path: Path) -> tuple[FakePlatform, Supervisor, Clock, io.StringIO]:
    platform = FakePlatform(logs=tmp_path)
    for name in ("members", "notifications"):
        platform.processes[name] = FakeProcess()
    clock, out = Clock(), io.StringIO()
    return platform, Supervisor(platform, servers=[], policy=RestartPolicy(), out=out, clock=clock), clock, out


def crash(platform: FakePlatform, name: str, code: int = -9) -> None:
    platform.processes[name].returncode = code


def test_a_killed_process_is_restarted_after_a_backoff_and_the_others_keep_running(tmp_path: Path) -> None:
    platform, supervisor, clock, out = setup(tmp_path)
    supervisor.check()
    crash(platform, "notifications")
    supervisor.check()
    assert platform.started == [], "not at once: after the first delay"
    assert "notifications exited (killed by SIGKILL); restarting in 0.5 s" in out.getvalue()
    clock.now = 0.6
    supervisor.check()
    assert platform.started == ["notifications"]
    assert platform.processes["members"].poll() is None
    lines = [json.loads(line) for line in (tmp_path / "runner.log").read_text().splitlines()]
    assert [line["event"] for line in lines] == ["process exited", "process restarted"]
    assert lines[0]["process"] == "notifications" and lines[0]["returncode"] == -9
    assert lines[0]["log"] == str(tmp_path / "notifications.log")


def test_the_backoff_doubles_up_to_its_cap_and_resets_once_the_process_stayed_up(tmp_path: Path) -> None:
    platform, supervisor, clock, out = setup(tmp_path)
    policy = RestartPolicy(first_delay=0.5, max_delay=2.0, stable_after=30, max_crashes=100)
    supervisor = Supervisor(platform, servers=[], policy=policy, out=out, clock=clock)
    delays = []
    for _ in range(5):
        crash(platform, "members")
        supervisor.check()
        delays.append(float(out.getvalue().rsplit("restarting in ", 1)[1].split(" s")[0]))
        clock.now += delays[-1]
        supervisor.check()
    assert delays == [0.5, 1.0, 2.0, 2.0, 2.0]
    clock.now += 31  # stayed up
    crash(platform, "members")
    supervisor.check()
    assert out.getvalue().rstrip().endswith(f"restarting in 0.5 s; see {tmp_path / 'members.log'}")


def test_a_crash_loop_stops_the_platform_naming_the_process_and_its_log(tmp_path: Path) -> None:
    platform, supervisor, clock, out = setup(tmp_path)
    with pytest.raises(PlatformGaveUp) as gave_up:
        for _ in range(10):
            crash(platform, "members", 1)
            supervisor.check()
            clock.now += 5
            supervisor.check()
    assert len(platform.started) == 4, "five crashes within 60 s: no fifth restart"
    message = str(gave_up.value)
    assert message.startswith("members is crash-looping (5 exits within 60 s, last: exit status 1)")
    assert str(tmp_path / "members.log") in message
    assert message in out.getvalue()


def test_a_server_that_exits_stops_the_platform(tmp_path: Path) -> None:
    platform, _, clock, out = setup(tmp_path)

    @dataclass
    class Server:
        name: str
        process: FakeProcess
        log_path: Path

    nats = Server("nats", FakeProcess(), tmp_path / "nats-server.log")
    supervisor = Supervisor(platform, servers=[nats], out=out, clock=clock)
    supervisor.check()
    nats.process.returncode = 1
    with pytest.raises(PlatformGaveUp, match="nats exited"):
        supervisor.check()


def test_exit_descriptions() -> None:
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(-15) == "killed by SIGTERM"
    assert describe_exit(3) == "exit status 3"
