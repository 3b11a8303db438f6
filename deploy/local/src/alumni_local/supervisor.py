"""Keeps the local platform running the way an orchestrator would.

A process that exits (crash, OOM, `kill -9`) is started again after an exponential backoff
(0.5 s doubling to 30 s; back to 0.5 s once it stayed up 30 s); the others keep running. A
process that crashes 5 times within 60 s is crash-looping: restarting it again would only hide
the cause, so the supervisor gives up and the runner stops everything, naming the process and
its log. The servers (nats-server, the MongoDB stand-in) are not restarted: services reconnect
to them, but a server that exits means the platform's data is unavailable — that stops it too.

Each event is one line on the terminal and one JSON line in `<logs>/runner.log`.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = 0.5
    max_delay: float = 30.0
    stable_after: float = 30.0
    """Seconds up after which the next crash starts the backoff again from `first_delay`."""
    max_crashes: int = 5
    crash_window: float = 60.0


class PlatformGaveUp(Exception):
    """The platform cannot go on: a crash loop, or a server that exited."""


class Supervised(Protocol):
    """What the supervisor needs from the runner's `Platform`."""

    processes: dict[str, subprocess.Popen[bytes]]

    @property
    def logs(self) -> Path: ...

    def start_process(self, name: str) -> subprocess.Popen[bytes]: ...


class _Server(Protocol):
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path


@dataclass
class _State:
    started_at: float
    delay: float
    crashes: deque[float] = field(default_factory=deque)
    restart_at: float | None = None


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


class Supervisor:
    def __init__(self, platform: Supervised, servers: list[Any] | None = None, policy: RestartPolicy | None = None,
                 out: TextIO | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._platform = platform
        self._servers: list[_Server] = servers if servers is not None else list(getattr(platform, "servers", []))
        self._policy = policy or RestartPolicy()
        self._out = out or sys.stderr
        self._clock = clock
        self._states: dict[str, _State] = {}
        self.restarts = 0

    @property
    def log_path(self) -> Path:
        return self._platform.logs / "runner.log"

    def process_log(self, name: str) -> Path:
        return self._platform.logs / f"{name}.log"

    def check(self) -> None:
        """One round: notice exited processes, restart those whose backoff is over.
        Raises `PlatformGaveUp` when the platform should stop. Call it from the main thread
        (children die with the thread that started them)."""
        now = self._clock()
        for server in self._servers:
            code = server.process.poll()
            if code is not None:
                self._record("error", "server exited",
                             f"{server.name} exited ({describe_exit(code)}); stopping the platform; see {server.log_path}",
                             process=server.name, returncode=code,
                             log=str(server.log_path))
                raise PlatformGaveUp(f"{server.name} exited ({describe_exit(code)}); see {server.log_path}")
        for name, proc in list(self._platform.processes.items()):
            state = self._states.setdefault(name, _State(started_at=now, delay=self._policy.first_delay))
            if state.restart_at is not None:
                if now >= state.restart_at:
                    new = self._platform.start_process(name)
                    state.started_at, state.restart_at = now, None
                    self.restarts += 1
                    self._record("info", "process restarted", f"{name} restarted (pid {new.pid})", process=name, pid=new.pid)
                continue
            code = proc.poll()
            if code is None:
                continue
            self._crashed(name, code, state, now)

    def _crashed(self, name: str, code: int, state: _State, now: float) -> None:
        policy = self._policy
        if now - state.started_at >= policy.stable_after:
            state.delay = policy.first_delay
        state.crashes.append(now)
        while state.crashes and now - state.crashes[0] > policy.crash_window:
            state.crashes.popleft()
        log = self.process_log(name)
        if len(state.crashes) >= policy.max_crashes:
            message = (f"{name} is crash-looping ({len(state.crashes)} exits within {policy.crash_window:.0f} s, "
                       f"last: {describe_exit(code)}); stopping the platform; see {log}")
            self._record("error", "process crash-looping", message, process=name, returncode=code,
                         crashes=len(state.crashes), log=str(log))
            raise PlatformGaveUp(message)
        delay = state.delay
        state.delay = min(policy.max_delay, delay * 2)
        state.restart_at = now + delay
        self._record("warning", "process exited",
                     f"{name} exited ({describe_exit(code)}); restarting in {delay:.1f} s; see {log}",
                     process=name, returncode=code, restart_in=delay, crashes=len(state.crashes), log=str(log))

    def _record(self, level: str, event: str, message: str, **fields: Any) -> None:
        record(self.log_path, self._out, level, event, message, **fields)


def record(log_path: Path, out: TextIO, level: str, event: str, message: str, **fields: Any) -> None:
    """One line on the terminal and one JSON line in the runner's log."""
    print(message, file=out, flush=True)
    line = {"timestamp": datetime.now(UTC).isoformat(), "level": level, "event": event, "message": message,
            "service": "runner", **fields}
    try:
        with log_path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
    except OSError:
        pass
