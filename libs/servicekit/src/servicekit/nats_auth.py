"""NATS accounts, users and permissions, generated from the declared topology.

Pure functions: `platform_users()` derives one user per service (plus the gateway and the ops
tooling) from `alumni_contracts.naming` and `.subscriptions`, `render_config()` writes the
nats-server `accounts { … }` block. Passwords never appear in the rendered text: each user's
password is a variable reference (`$NATS_PASSWORD_MEMBERS`) that nats-server resolves from its
environment, so a generated configuration holds no secret and can be committed.

Account `ALUMNI` holds the platform. Only the gateway publishes `cmd.>` / `qry.>`; a service
subscribes to its own `cmd.<service>.>` / `qry.<service>.>`, answers through
`allow_responses`, publishes its own `evt.*.<service>.>` and dead letters, and calls only the
JetStream API subjects of its own durable consumers. Every user has its own inbox prefix
(`_INBOX_<user>`), so nobody can read another user's replies or PubAcks.

Partners: one account per tenant (`PARTNER_<TENANT>`). It imports nothing but the JetStream
consumer-creation calls needed to *source* `evt.<tenant>.<service>.>` from each `EVT_*` stream
into its own stream `EVENTS`, and the delivery subject of those source consumers. The partner
user may only read that stream (create/delete its own consumers, fetch, ack): durable replay
from any sequence or time, without any way to reach the platform's subjects.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nats.js.api import ExternalStream, RetentionPolicy, StorageType, StreamConfig, StreamSource

from alumni_contracts import naming
from alumni_contracts.subscriptions import subscriptions_of

PLATFORM_ACCOUNT = "ALUMNI"
GATEWAY = "gateway"
OPS = "ops"
# The stream each partner account reads (in its own account, so the name is the same for all).
PARTNER_STREAM = "EVENTS"
# API prefix under which a partner account reaches the platform's consumer-creation calls.
PARTNER_API_PREFIX = "$JS.alumni.API"
SERVED = ("members", "events", "fundraising", "notifications", "community")  # answer cmd./qry. of their own


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    allow_responses: bool = False


@dataclass(frozen=True)
class NatsUser:
    name: str
    account: str
    permissions: Permissions

    @property
    def inbox_prefix(self) -> str:
        """Replies, PubAcks and pull deliveries of this user arrive under this prefix only."""
        return inbox_prefix(self.name)

    @property
    def password_variable(self) -> str:
        return password_variable(self.name)


@dataclass(frozen=True)
class PartnerAccount:
    tenant: str
    users: tuple[NatsUser, ...] = field(default=())

    @property
    def name(self) -> str:
        return partner_account(self.tenant)


def inbox_prefix(user: str) -> str:
    return f"_INBOX_{user}"


def password_variable(user: str) -> str:
    """nats-server reads each password from this environment variable."""
    return "NATS_PASSWORD_" + user.upper().replace("-", "_")


def partner_account(tenant: str) -> str:
    return "PARTNER_" + naming.validate_tenant(tenant).upper().replace("-", "_")


def partner_user(tenant: str) -> str:
    return f"partner-{naming.validate_tenant(tenant)}"


def partner_admin_user(tenant: str) -> str:
    return f"partner-{naming.validate_tenant(tenant)}-admin"


def partner_deliver_prefix(tenant: str) -> str:
    """Where the platform's source consumers deliver a partner's events (exported to it only)."""
    return f"partner.{naming.validate_tenant(tenant)}.deliver"


def _consumer_api(stream: str, durable: str) -> list[str]:
    return [f"$JS.API.CONSUMER.INFO.{stream}.{durable}", f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
            f"$JS.ACK.{stream}.{durable}.>"]


OBJECT_STORE_STREAM = f"OBJ_{naming.IMPORTS_BUCKET}"


def _object_store(write: bool, read: bool, delete: bool) -> list[str]:
    """JetStream object store calls on the import files bucket (nats-py's ObjectStore)."""
    bucket, stream = naming.IMPORTS_BUCKET, OBJECT_STORE_STREAM
    subjects = [f"$JS.API.STREAM.INFO.{stream}", f"$JS.API.STREAM.MSG.GET.{stream}",
                f"$JS.API.DIRECT.GET.{stream}.>"]
    if write or delete:
        subjects += [f"$O.{bucket}.M.>", f"$JS.API.STREAM.PURGE.{stream}"]
    if write:
        subjects += [f"$O.{bucket}.C.>"]
    if read:  # an ordered (ephemeral push) consumer over the file's chunks; nats-py looks its stream
        # up by subject first (stream names are public: deploy/nats/topology.json)
        subjects += ["$JS.API.STREAM.NAMES", f"$JS.API.CONSUMER.CREATE.{stream}", f"$JS.API.CONSUMER.CREATE.{stream}.>",
                     f"$JS.API.CONSUMER.DELETE.{stream}.>", f"$JS.FC.{stream}.>"]
    return subjects


def partner_webhook_consumer_api() -> list[str]:
    """Partner webhooks (notifications): one durable per subscription and stream (`pwh-…`,
    `pwr-…` for a replay), created, read, fetched, acknowledged and deleted at run time, on
    every event stream. Subject permissions cannot restrict a token by prefix, so this grant
    covers any consumer of those streams (README, partner webhooks design notes)."""
    subjects: list[str] = []
    for producer in naming.SERVICES:
        s = naming.stream_name(producer)
        subjects += [f"$JS.API.STREAM.INFO.{s}", f"$JS.API.CONSUMER.CREATE.{s}.>", f"$JS.API.CONSUMER.INFO.{s}.>",
                     f"$JS.API.CONSUMER.DELETE.{s}.>", f"$JS.API.CONSUMER.MSG.NEXT.{s}.>", f"$JS.ACK.{s}.>"]
    return subjects


def service_user(service: str) -> NatsUser:
    naming.validate_service(service)
    stream = naming.stream_name(service)
    publish = [*naming.stream_subjects(service)]  # its own events (outbox relay)
    for sub in subscriptions_of(service):
        publish += _consumer_api(sub.stream, sub.durable)
        publish.append(naming.dead_letter_subject(sub.stream, sub.durable))
    publish.append(f"$JS.API.STREAM.INFO.{stream}")
    if service == "notifications":
        publish += partner_webhook_consumer_api()
    if service == "members":
        publish += _object_store(write=False, read=True, delete=True)
    subscribe = [f"cmd.{service}.>", f"qry.{service}.>", inbox_prefix(service) + ".>"]
    return NatsUser(service, PLATFORM_ACCOUNT, Permissions(tuple(publish), tuple(subscribe), allow_responses=True))


def gateway_user() -> NatsUser:
    publish = ["cmd.>", "qry.>", *_object_store(write=True, read=False, delete=False)]
    return NatsUser(GATEWAY, PLATFORM_ACCOUNT, Permissions(tuple(publish), (inbox_prefix(GATEWAY) + ".>",)))


def ops_user() -> NatsUser:
    """The topology tooling and the ops CLI: the whole JetStream API and DLQ replays (`evt.>`),
    never commands or queries."""
    publish = ("$JS.API.>", "evt.>", f"$O.{naming.IMPORTS_BUCKET}.>")
    # Reading `evt.>` live is a diagnostic (the API lets ops read every stream anyway).
    return NatsUser(OPS, PLATFORM_ACCOUNT, Permissions(publish, (inbox_prefix(OPS) + ".>", "evt.>")))


def platform_users() -> list[NatsUser]:
    return [gateway_user(), *(service_user(s) for s in SERVED), ops_user()]


def _partner_stream_api(stream: str) -> list[str]:
    """What a read-only partner may call on its own stream: info, its consumers, fetch, ack."""
    return ["$JS.API.INFO", f"$JS.API.STREAM.INFO.{stream}", f"$JS.API.STREAM.MSG.GET.{stream}",
            f"$JS.API.DIRECT.GET.{stream}", f"$JS.API.DIRECT.GET.{stream}.>",
            f"$JS.API.CONSUMER.CREATE.{stream}", f"$JS.API.CONSUMER.CREATE.{stream}.>",
            f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.>", f"$JS.API.CONSUMER.INFO.{stream}.>",
            f"$JS.API.CONSUMER.DELETE.{stream}.>", f"$JS.API.CONSUMER.LIST.{stream}",
            f"$JS.API.CONSUMER.NAMES.{stream}", f"$JS.API.CONSUMER.MSG.NEXT.{stream}.>",
            f"$JS.ACK.{stream}.>", f"$JS.FC.{stream}.>"]


def partner(tenant: str) -> PartnerAccount:
    account = partner_account(tenant)
    reader = NatsUser(partner_user(tenant), account, Permissions(
        tuple(_partner_stream_api(PARTNER_STREAM)), (inbox_prefix(partner_user(tenant)) + ".>",)))
    admin = NatsUser(partner_admin_user(tenant), account, Permissions(
        (f"$JS.API.STREAM.CREATE.{PARTNER_STREAM}", f"$JS.API.STREAM.UPDATE.{PARTNER_STREAM}",
         f"$JS.API.STREAM.INFO.{PARTNER_STREAM}", "$JS.API.INFO"),
        (inbox_prefix(partner_admin_user(tenant)) + ".>",)))
    return PartnerAccount(tenant, (reader, admin))


def partner_source_subjects(tenant: str) -> list[tuple[str, str]]:
    """(stream, filter subject) pairs a partner's stream sources: its tenant's events only."""
    return [(naming.stream_name(s), f"evt.{naming.validate_tenant(tenant)}.{s}.>") for s in naming.SERVICES]


def partner_stream_config(tenant: str, max_age_seconds: float, replicas: int = 1) -> StreamConfig:
    """The partner's own stream: sources its tenant's events from every `EVT_*` stream through
    the imported consumer-creation calls, keeps them as long as the platform does."""
    deliver = partner_deliver_prefix(tenant)
    return StreamConfig(
        name=PARTNER_STREAM, subjects=[], retention=RetentionPolicy.LIMITS, storage=StorageType.FILE,
        max_age=max_age_seconds, num_replicas=replicas,
        description=f"Events of tenant {tenant}, sourced from the alumni platform (read-only)",
        sources=[StreamSource(name=stream, filter_subject=filter_,
                              external=ExternalStream(api=PARTNER_API_PREFIX, deliver=deliver))
                 for stream, filter_ in partner_source_subjects(tenant)])


def _create_subjects(tenant: str, prefix: str = "$JS.API") -> list[str]:
    """Consumer creation with the filter in the subject: the server refuses a request whose
    configured filter differs, so the export itself pins the tenant."""
    return [f"{prefix}.CONSUMER.CREATE.{stream}.*.{filter_}" for stream, filter_ in partner_source_subjects(tenant)]


def _flow_control_subjects() -> list[str]:
    """The source consumers' flow-control replies travel back to the platform account: without
    them a source stalls after its first window (measured: 1,303 of 20,000 events)."""
    return [f"$JS.FC.{naming.stream_name(s)}.>" for s in naming.SERVICES]


def _q(text: str) -> str:
    return json.dumps(text)


def _render_user(user: NatsUser) -> list[str]:
    p = user.permissions
    lines = [f"      {{user: {_q(user.name)}, password: ${user.password_variable}, permissions: {{",
             f"        publish: {{allow: [{', '.join(_q(s) for s in p.publish)}]}}",
             f"        subscribe: {{allow: [{', '.join(_q(s) for s in p.subscribe)}]}}"]
    if p.allow_responses:
        lines.append("        allow_responses: true")
    lines.append("      }}")
    return lines


def render_accounts(tenants: Iterable[str] = ()) -> str:
    """The `accounts { … }` block: the platform account and one partner account per tenant."""
    partners = [partner(t) for t in sorted(set(tenants))]
    out = ["accounts {", f"  {PLATFORM_ACCOUNT}: {{", "    jetstream: enabled", "    users: ["]
    for user in platform_users():
        out += _render_user(user)
    out.append("    ]")
    if partners:
        out.append("    exports: [")
        for p in partners:
            for subject in _create_subjects(p.tenant):
                out.append(f"      {{service: {_q(subject)}, accounts: [{_q(p.name)}]}}")
            out.append(f"      {{stream: {_q(partner_deliver_prefix(p.tenant) + '.>')}, accounts: [{_q(p.name)}]}}")
        names = ", ".join(_q(p.name) for p in partners)
        for subject in _flow_control_subjects():
            out.append(f"      {{service: {_q(subject)}, accounts: [{names}]}}")
        out.append("    ]")
    out.append("  }")
    for p in partners:
        out += [f"  {p.name}: {{", "    jetstream: enabled", "    users: ["]
        for user in p.users:
            out += _render_user(user)
        out += ["    ]", "    imports: ["]
        for subject, local in zip(_create_subjects(p.tenant), _create_subjects(p.tenant, PARTNER_API_PREFIX),
                                  strict=True):
            out.append(f"      {{service: {{account: {PLATFORM_ACCOUNT}, subject: {_q(subject)}}}, to: {_q(local)}}}")
        out.append(f"      {{stream: {{account: {PLATFORM_ACCOUNT}, subject: "
                   f"{_q(partner_deliver_prefix(p.tenant) + '.>')}}}}}")
        for subject in _flow_control_subjects():
            out.append(f"      {{service: {{account: {PLATFORM_ACCOUNT}, subject: {_q(subject)}}}}}")
        out += ["    ]", "  }"]
    out.append("}")
    return "\n".join(out) + "\n"


def all_users(tenants: Iterable[str] = ()) -> list[NatsUser]:
    return [*platform_users(), *(u for t in sorted(set(tenants)) for u in partner(t).users)]


def render_config(tenants: Iterable[str] = (), *, jetstream_dir: str = "/data/jetstream", port: int = 4222,
                  http_port: int | None = 8222, sync_always: bool = True) -> str:
    """A whole nats-server configuration with authorization on (anonymous clients refused:
    every user lives in an account and `no_auth_user` is unset)."""
    head = ["# generated by servicekit.nats_auth from the declared topology; passwords come from the",
            "# environment of nats-server (NATS_PASSWORD_<USER>), never from this file.",
            f"port: {port}"]
    if http_port:
        head.append(f"http_port: {http_port}")
    head += ["max_payload: 1MB", "jetstream {", f"  store_dir: {_q(jetstream_dir)}"]
    if sync_always:
        head.append("  # Money, consent and erasure travel on these streams: fsync every write (DESIGN §9).")
        head.append("  sync_interval: always")
    head.append("}")
    return "\n".join(head) + "\n" + render_accounts(tenants)


# ---- credentials (local runner, tests): random passwords kept in a 0600 file -------------------

def load_or_create_passwords(path: Path, users: Sequence[str]) -> dict[str, str]:
    """Passwords per user, created at random on first use and reused afterwards."""
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    missing = [u for u in users if u not in stored]
    if missing or not path.exists():
        for user in missing:
            # letters and digits only, starting with a letter: nats-server parses a variable's
            # value as a configuration value (a leading digit could make it a number).
            stored[user] = "p" + secrets.token_hex(24)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(stored, f, indent=2, sort_keys=True)
        os.replace(tmp, path)
    os.chmod(path, 0o600)
    return {u: stored[u] for u in users}


def server_environment(passwords: Mapping[str, str]) -> dict[str, str]:
    """Environment variables nats-server resolves the rendered passwords from."""
    return {password_variable(user): pw for user, pw in passwords.items()}


def write_partner_env(path: Path, url: str, tenant: str, password: str) -> Path:
    """A partner's credentials as an env file (mode 0600) to hand over securely."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"NATS_URL={url}\nNATS_USER={partner_user(tenant)}\nNATS_PASSWORD={password}\n"
                f"NATS_INBOX_PREFIX={inbox_prefix(partner_user(tenant))}\nNATS_STREAM={PARTNER_STREAM}\n")
    os.chmod(path, 0o600)
    return path


def partner_connect_help(tenant: str, env_file: Path) -> str:
    """How a partner of `tenant` connects and replays (printed by the local runner and the CLIs)."""
    naming.validate_tenant(tenant)
    return f"""Partner access for tenant {tenant!r}: credentials in {env_file} (mode 0600; hand it over securely).
The partner account sees only evt.{tenant}.> in its own stream {PARTNER_STREAM} (read-only, replayable).

  # nats CLI
  set -a; . {env_file}; set +a
  nats --server "$NATS_URL" --user "$NATS_USER" --password "$NATS_PASSWORD" --inbox-prefix "$NATS_INBOX_PREFIX" \\
       consumer add {PARTNER_STREAM} my-crm --pull --deliver all --ack explicit --defaults  # or 1234, 24h
  nats --server "$NATS_URL" --user "$NATS_USER" --password "$NATS_PASSWORD" --inbox-prefix "$NATS_INBOX_PREFIX" \\
       consumer next {PARTNER_STREAM} my-crm --count 10

  # nats-py
  nc = await nats.connect(os.environ["NATS_URL"], user=os.environ["NATS_USER"],
                          password=os.environ["NATS_PASSWORD"], inbox_prefix=os.environ["NATS_INBOX_PREFIX"])
  sub = await nc.jetstream().pull_subscribe("evt.{tenant}.>", durable="my-crm", stream="{PARTNER_STREAM}",
      config=ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time="2026-01-01T00:00:00Z"))
  for msg in await sub.fetch(100): handle(msg.data); await msg.ack()   # CloudEvents JSON
"""
