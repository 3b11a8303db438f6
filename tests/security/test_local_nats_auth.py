"""The local runner starts nats-server with authorization on: generated credentials (0600,
reused), each process gets only its own, partners get a credentials file and instructions.

Only NATS is started here (an unused MongoDB URI skips the stand-in), so the test is quick.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nats
import pytest
from nats.errors import Error as NatsError
from nats.errors import NoServersError
from nats.js.api import ConsumerConfig, DeliverPolicy

from alumni_local.runner import Platform, Ports
from servicekit import nats_auth
from servicekit.settings import NatsConfig
from servicekit.topology import TopologySettings

pytestmark = pytest.mark.integration


def _platform(data_dir: Path) -> Platform:
    return Platform(data_dir=data_dir, ports=Ports.free(), tenants=["demo", "other"],
                    topology=TopologySettings(), mongo_uri="mongodb://127.0.0.1:1/?replicaSet=unused")


def test_the_local_runner_turns_authorization_on_and_hands_out_per_process_credentials(tmp_path: Path) -> None:
    platform = _platform(tmp_path)
    try:
        platform.start_servers()  # runs its own event loop
        passwords = asyncio.run(_check_running_platform(platform, tmp_path))
    finally:
        platform.stop()

    again = _platform(tmp_path)
    try:
        again.start_servers()
        assert again.nats_passwords == passwords, "credentials are reused on the next run"
    finally:
        again.stop()


async def _check_running_platform(platform: Platform, tmp_path: Path) -> dict[str, str]:
    assert platform.nats_url is not None
    store = platform.nats_credentials_file
    assert store.stat().st_mode & 0o777 == 0o600
    passwords = json.loads(store.read_text())
    assert set(passwords) == {u.name for u in nats_auth.all_users(["demo", "other"])}
    assert not any(pw in (tmp_path / "nats" / "nats.conf").read_text() for pw in passwords.values())

    with pytest.raises((NatsError, NoServersError, OSError)):
        await nats.connect(platform.nats_url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)

    for name in ("members", "gateway"):
        env = platform.env_for(name)
        prefix = name.upper() + "_"
        assert env[prefix + "NATS_USER"] == name and env[prefix + "NATS_PASSWORD"] == passwords[name]
        others = {pw for user, pw in passwords.items() if user != name}
        assert not others & set(env.values()), f"{name} received another user's password"
        settings = NatsConfig(_env_file=None, **{  # type: ignore[call-arg]
            "nats_url": platform.nats_url, "nats_user": env[prefix + "NATS_USER"],
            "nats_password": env[prefix + "NATS_PASSWORD"]})
        assert passwords[name] not in repr(settings) and passwords[name] not in str(settings.model_dump())
        nc = await nats.connect(settings.nats_url, **settings.nats_options())
        await nc.close()

    # The partner: a credentials file (0600), and a printed way in that works as printed.
    help_text = platform.partner_access("demo")
    env_file = tmp_path / "partners" / "demo.env"
    assert env_file.stat().st_mode & 0o777 == 0o600 and str(env_file) in help_text
    assert "nats.connect(" in help_text and "nats --server" in help_text
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    assert values["NATS_USER"] == "partner-demo" and values["NATS_PASSWORD"] == passwords["partner-demo"]
    nc = await nats.connect(values["NATS_URL"], user=values["NATS_USER"], password=values["NATS_PASSWORD"],
                            inbox_prefix=values["NATS_INBOX_PREFIX"])
    js = nc.jetstream()
    await js.pull_subscribe("evt.demo.>", durable="my-crm", stream=values["NATS_STREAM"],
                            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
    assert (await js.stream_info(values["NATS_STREAM"])).config.sources
    await nc.close()
    return passwords


def test_partner_credentials_command_writes_the_file_and_prints_how_to_connect(tmp_path: Path) -> None:
    nats_auth.load_or_create_passwords(tmp_path / "nats" / "credentials.json",
                                       [u.name for u in nats_auth.all_users(["demo"])])
    cmd = [sys.executable, "-m", "alumni_local", "partner-credentials", "--tenant", "demo", "--data-dir", str(tmp_path)]
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ})
    assert out.returncode == 0, out.stderr
    assert re.search(r"credentials in \S+demo\.env", out.stdout) and "inbox_prefix" in out.stdout
    assert (tmp_path / "partners" / "demo.env").stat().st_mode & 0o777 == 0o600
    unknown = subprocess.run([*cmd[:-4], "--tenant", "nobody", "--data-dir", str(tmp_path)],
                             capture_output=True, text=True)
    assert unknown.returncode == 2 and "no partner account" in unknown.stderr


def test_ops_cli_prints_the_generated_configuration() -> None:
    out = subprocess.run([sys.executable, "-m", "servicekit.ops", "nats-config", "--partner-tenants", "demo,other"],
                         capture_output=True, text=True, check=True)
    assert out.stdout == nats_auth.render_config(["demo", "other"])
