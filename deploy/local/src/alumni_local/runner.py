"""Starts the whole platform on one machine, every service as its own process.

Used by `make run` (fixed ports, data under `.data/`) and by the end-to-end tests (free
ports, a temporary directory) so that the tests exercise exactly what developers run.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.aio.client import Client as NatsClient

from alumni_local.seed import SEED_SUBJECT
from servicekit.devservers import (
    ServerProcess,
    die_with_parent,
    ensure_port_free,
    free_ports,
    start_nats,
    start_secantus,
    wait_for_port,
)
from servicekit.nats_auth import (
    OPS,
    all_users,
    inbox_prefix,
    load_or_create_passwords,
    partner_admin_user,
    partner_connect_help,
    partner_user,
    render_accounts,
    server_environment,
    write_partner_env,
)
from servicekit.topology import TopologySettings, apply, apply_partner_stream

SERVICES = ("members", "events", "fundraising", "notifications", "community")


@dataclass
class Ports:
    nats: int = 4222
    mongo: int = 27017
    gateway: int = 8000
    smtp: int = 1025
    mailbox: int = 8025
    checkout: int = 8030  # the local payment provider's hosted-checkout page
    services: dict[str, int] = field(default_factory=lambda: {s: 8101 + i for i, s in enumerate(SERVICES)})

    @classmethod
    def free(cls) -> Ports:
        nats, mongo, gateway, smtp, mailbox, checkout, *services = free_ports(6 + len(SERVICES))
        return cls(nats=nats, mongo=mongo, gateway=gateway, smtp=smtp, mailbox=mailbox, checkout=checkout,
                   services=dict(zip(SERVICES, services, strict=True)))


@dataclass
class Platform:
    data_dir: Path
    ports: Ports
    tenants: list[str] = field(default_factory=lambda: ["demo"])
    topology: TopologySettings = field(default_factory=TopologySettings)
    nats_url: str | None = None
    mongo_uri: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    servers: list[ServerProcess] = field(default_factory=list)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # NATS passwords per user (authorization on); empty with an external `nats_url`.
    nats_passwords: dict[str, str] = field(default_factory=dict)

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    @property
    def mailbox_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.mailbox}/messages"

    @property
    def checkout_url(self) -> str:
        """The local payment provider's hosted-checkout page."""
        return f"http://127.0.0.1:{self.ports.checkout}"

    @property
    def webhook_secret_file(self) -> Path:
        """The secret the local provider signs its webhooks with (shared by the page and fundraising)."""
        return self.data_dir / "payments" / "local-webhook-secret"

    def webhook_secret(self) -> str:
        """Generated on first use under the data directory (0600), never committed, reused after."""
        return self._local_secret(self.webhook_secret_file, "whsec_local_")

    def email_secret(self, name: str) -> str:
        """notifications' `unsubscribe` (link tokens) and `bounces` (the email provider's webhook) keys."""
        return self._local_secret(self.data_dir / "notifications" / f"{name}-secret", f"{name}_local_")

    def webhook_secret_keys(self) -> str:
        """notifications' key encrypting partner webhook signing secrets at rest: JSON {key id: base64 key},
        generated on first use under the data directory (0600), never committed, reused after."""
        path = self.data_dir / "notifications" / "webhook-secret-keys.json"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(json.dumps({"local-1": base64.b64encode(secrets.token_bytes(32)).decode()}) + "\n")
        return path.read_text().strip()

    @staticmethod
    def _local_secret(path: Path, prefix: str) -> str:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(f"{prefix}{secrets.token_hex(24)}\n")
        return path.read_text().strip()

    @property
    def dev_key(self) -> Path:
        return self.data_dir / "dev-issuer" / "key.pem"

    @property
    def nats_credentials_file(self) -> Path:
        return self.data_dir / "nats" / "credentials.json"

    def start_servers(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        if self.nats_url is None:
            # Authorization on, locally too (DESIGN §6): users and permissions generated from the
            # topology, random passwords kept in a 0600 file and reused on the next run.
            self.nats_passwords = load_or_create_passwords(
                self.nats_credentials_file, [u.name for u in all_users(self.tenants)])
            nats_server = start_nats(self.data_dir / "nats", self.ports.nats, self.logs,
                                     accounts=render_accounts(self.tenants),
                                     env=server_environment(self.nats_passwords))
            self.servers.append(nats_server)
            self.nats_url = nats_server.url
        if self.mongo_uri is None:
            mongo = start_secantus(self.data_dir / "mongo", self.ports.mongo, self.logs)
            self.servers.append(mongo)
            self.mongo_uri = mongo.url
        asyncio.run(self._apply_topology())

    async def _apply_topology(self) -> None:
        nc = await self.connect_nats(OPS)
        try:
            await apply(nc.jetstream(), self.topology)
        finally:
            await nc.drain()
        if not self.nats_passwords:
            return
        for tenant in self.tenants:  # each partner account's own stream, with that account's admin
            admin = await self.connect_nats(partner_admin_user(tenant))
            try:
                await apply_partner_stream(admin.jetstream(), tenant, self.topology)
            finally:
                await admin.drain()

    def nats_options(self, user: str) -> dict[str, Any]:
        """Connection options of one NATS user (none when the server is external and open)."""
        if not self.nats_passwords:
            return {}
        return {"user": user, "password": self.nats_passwords[user], "inbox_prefix": inbox_prefix(user)}

    async def connect_nats(self, user: str = OPS) -> NatsClient:
        assert self.nats_url is not None
        return await nats.connect(self.nats_url, **self.nats_options(user))

    def partner_access(self, tenant: str) -> str:
        """Writes the partner credentials of `tenant` (0600) and returns how a partner connects."""
        assert self.nats_url is not None
        path = write_partner_env(self.data_dir / "partners" / f"{tenant}.env", self.nats_url, tenant,
                                 self.nats_passwords[partner_user(tenant)])
        return partner_connect_help(tenant, path)

    def env_for(self, name: str) -> dict[str, str]:
        assert self.nats_url is not None and self.mongo_uri is not None
        prefix = name.upper() + "_"
        env = {**os.environ, "PYTHONUNBUFFERED": "1", f"{prefix}NATS_URL": self.nats_url,
               f"{prefix}LOG_FORMAT": "json"}
        if self.nats_passwords:  # each process gets its own NATS user, nobody else's
            env.update({f"{prefix}NATS_USER": name, f"{prefix}NATS_PASSWORD": self.nats_passwords[name]})
        if name == "gateway":
            env.update({"GATEWAY_HTTP_PORT": str(self.ports.gateway), "GATEWAY_TENANTS": json.dumps(self.tenants),
                        "GATEWAY_DEV_ISSUER_KEY_FILE": str(self.dev_key),
                        "GATEWAY_DEV_MAILBOX_URL": self.mailbox_url,
                        "GATEWAY_RATE_LIMIT_EXEMPT_SUBJECTS": json.dumps([SEED_SUBJECT])})
        else:
            env.update({f"{prefix}MONGO_URI": self.mongo_uri, f"{prefix}HTTP_PORT": str(self.ports.services[name])})
        if name == "notifications":
            env.update({"NOTIFICATIONS_SMTP_PORT": str(self.ports.smtp), "NOTIFICATIONS_PUBLIC_URL": self.gateway_url,
                        "NOTIFICATIONS_UNSUBSCRIBE_SECRET": self.email_secret("unsubscribe"),
                        "NOTIFICATIONS_BOUNCE_WEBHOOK_SECRET": self.email_secret("bounces"),
                        "NOTIFICATIONS_WEBHOOK_SECRET_KEYS": self.webhook_secret_keys(),
                        # the demo office, emailed when a partner webhook is disabled after a dead letter
                        "NOTIFICATIONS_TENANT_MANAGERS": json.dumps(
                            {t: [{"email": f"office@{t}.example.org", "locale": "fr"}] for t in self.tenants}),
                        # local only: partner webhooks may target a receiver on loopback
                        "NOTIFICATIONS_PARTNER_WEBHOOKS_ALLOW_LOOPBACK": "true"})
        if name in ("events", "notifications"):  # events seals ticket codes, notifications opens them (QR in email)
            env[f"{prefix}TICKET_SEAL_SECRETS"] = self._local_secret(self.data_dir / "ticket-seal-secret",
                                                                    "ticket_seal_local_")
        if name == "fundraising":  # online payments through the local provider's page
            env.update({"FUNDRAISING_LOCAL_CHECKOUT_URL": self.checkout_url,
                        "FUNDRAISING_LOCAL_WEBHOOK_SECRET": self.webhook_secret(),
                        "FUNDRAISING_PAYMENT_RETURN_URL": f"{self.gateway_url}/console/",
                        # local only: a manager may run the recurring charges of a later day (demo, tests)
                        "FUNDRAISING_TEST_CLOCK": "true"})
        env.update(self.extra_env)
        return env

    def start_process(self, name: str) -> subprocess.Popen[bytes]:
        # PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the process:
        # a child started from a worker thread (e.g. `asyncio.to_thread`) dies with that thread.
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("start processes from the main thread (they die with the thread that started them)")
        module = {"smtp-sink": "alumni_local.smtp_sink", "checkout-page": "alumni_local.checkout_page"}.get(
            name, f"{name}_service")
        args = [sys.executable, "-m", module]
        if name == "smtp-sink":
            args += ["--smtp-port", str(self.ports.smtp), "--http-port", str(self.ports.mailbox),
                     "--store", str(self.data_dir / "mailbox.jsonl")]
        if name == "checkout-page":
            self.webhook_secret()
            args += ["--port", str(self.ports.checkout), "--gateway-url", self.gateway_url,
                     "--secret-file", str(self.webhook_secret_file)]
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=self.env_for(name) if name in (*SERVICES, "gateway") else os.environ.copy(),
                                start_new_session=True, preexec_fn=die_with_parent)
        self.processes[name] = proc
        return proc

    def start(self, timeout: float = 90) -> None:
        for port, what in ((self.ports.gateway, "the gateway"), (self.ports.smtp, "the SMTP sink"),
                           (self.ports.mailbox, "the mailbox"), (self.ports.checkout, "the checkout page"),
                           *((p, s) for s, p in self.ports.services.items())):
            ensure_port_free(port, what)
        self.start_servers()
        self.start_process("smtp-sink")
        self.start_process("checkout-page")
        for name in (*SERVICES, "gateway"):
            self.start_process(name)
        self.wait_healthy(timeout)

    def health_urls(self) -> dict[str, str]:
        urls = {s: f"http://127.0.0.1:{p}/health" for s, p in self.ports.services.items()}
        urls["gateway"] = f"{self.gateway_url}/health"
        return urls

    def wait_healthy(self, timeout: float, names: tuple[str, ...] | None = None) -> None:
        deadline = time.monotonic() + timeout
        wait_for_port(self.ports.mailbox, timeout, self.processes.get("smtp-sink"))
        wait_for_port(self.ports.checkout, timeout, self.processes.get("checkout-page"))
        pending = {n: u for n, u in self.health_urls().items() if names is None or n in names}
        while pending and time.monotonic() < deadline:
            for server in self.servers:
                if server.process.poll() is not None:
                    raise RuntimeError(f"{server.name} exited with {server.process.returncode}; see {server.log_path}")
            for name, url in list(pending.items()):
                proc = self.processes.get(name)
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.logs / (name + '.log')}")
                try:
                    if httpx.get(url, timeout=1).status_code == 200:
                        del pending[name]
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        if pending:
            raise TimeoutError(f"not healthy after {timeout}s: {', '.join(pending)}; logs in {self.logs}")

    def kill(self, name: str) -> None:
        proc = self.processes[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def restart(self, name: str, timeout: float = 60) -> None:
        self.start_process(name)
        self.wait_healthy(timeout, (name,))

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 15
        for proc in self.processes.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for server in reversed(self.servers):
            server.stop()

    def issue_token(self, roles: str = "manager", tenant: str | None = None, subject: str | None = None,
                    member_id: str | None = None) -> str:
        """A development token; the subject defaults to `dev-<role>` (`dev-alumnus-<member_id>`)."""
        from gateway_service.adapters.auth import DevIssuer, dev_subject, load_or_create_key
        from gateway_service.config import GatewaySettings

        defaults = GatewaySettings(_env_file=None)  # type: ignore[call-arg]
        issuer = DevIssuer(load_or_create_key(self.dev_key), defaults.jwt_issuer, defaults.jwt_audience)
        role_list = roles.split(",")
        return issuer.issue(tenant or self.tenants[0], subject or dev_subject(role_list, member_id), role_list,
                            member_id)
