"""A service process started before NATS waits for it, and its log holds only JSON lines."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import nats
import pytest

from alumni_local.runner import Platform, Ports
from servicekit.devservers import ServerProcess, free_port, start_nats, start_secantus
from servicekit.topology import TopologySettings, apply

pytestmark = pytest.mark.e2e


async def declare_topology(url: str) -> None:
    nc = await nats.connect(url)
    try:
        await apply(nc.jetstream(), TopologySettings())
    finally:
        await nc.drain()


def test_a_service_waiting_for_nats_logs_one_json_line_per_attempt_and_nothing_else(tmp_path: Path) -> None:
    platform = Platform(data_dir=tmp_path, ports=Ports.free())
    platform.logs.mkdir(parents=True)
    servers: list[ServerProcess] = [start_secantus(tmp_path / "mongo", log_dir=tmp_path)]
    nats_port = free_port()
    platform.nats_url, platform.mongo_uri = f"nats://127.0.0.1:{nats_port}", servers[0].url  # nothing listens yet
    proc = platform.start_process("notifications")
    log = platform.logs / "notifications.log"
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count('"dependency": "nats"') < 3:  # a few attempts against a closed port
            assert proc.poll() is None, "waiting, not crashed"
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        servers.append(start_nats(tmp_path / "nats", nats_port, tmp_path))
        asyncio.run(declare_topology(platform.nats_url))
        health = f"http://127.0.0.1:{platform.ports.services['notifications']}/health"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(health, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        platform.stop()
        for server in reversed(servers):
            server.stop()

    text = log.read_text()
    assert "\x1b[" not in text, "no ANSI colours in a log file"
    records = []
    for line in text.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}\n--- whole log ---\n{text}")
    assert not any("Traceback" in json.dumps(r) for r in records), text
    waits = [r for r in records if r["event"] == "dependency not ready, retrying"]
    assert len(waits) >= 3 and {r["dependency"] for r in waits} == {"nats"}, text
    assert [r["attempt"] for r in waits] == list(range(1, len(waits) + 1)), "one line per attempt"
    events = [r["event"] for r in records]
    assert "service started" in events and events[-1] == "service stopped", text
