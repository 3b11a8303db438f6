"""The NATS permission matrix, proven against a real nats-server running the generated
configuration (`servicekit.nats_auth`): every forbidden publish, subscription and JetStream
call is refused, every allowed one works, anonymous clients are refused, and a partner sees
and replays its own tenant's events only.

A refusal is asserted on what the server says: it answers a forbidden PUB or SUB with
`-ERR 'Permissions Violation …'`, which nats-py hands to the error callback; a flush (PING/PONG)
after the operation guarantees the answer has arrived. One server for the module.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.errors import Error as NatsError
from nats.errors import NoServersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig, DeliverPolicy, StreamSource
from nats.js.errors import NotFoundError

from alumni_contracts import naming
from alumni_contracts.subscriptions import SUBSCRIPTIONS, subscriptions_of
from servicekit import nats_auth
from servicekit.devservers import ServerProcess, start_nats
from servicekit.messaging import read_retry_policy
from servicekit.topology import TopologySettings, apply, apply_partner_stream

from ..conftest import REPO

pytestmark = pytest.mark.integration

TENANTS = ("demo", "other", "third")
SERVICES = nats_auth.SERVED
TOPOLOGY = TopologySettings(max_deliver=3, backoff_seconds=[0.5, 1.0])


@dataclass
class Nats:
    url: str
    passwords: dict[str, str]
    server: ServerProcess


@dataclass
class Conn:
    nc: NatsClient
    user: str
    errors: list[Exception] = field(default_factory=list)

    def violations(self) -> list[str]:
        return [str(e) for e in self.errors if "permissions violation" in str(e).lower()]

    async def refused(self, subject: str, within: float = 2.0) -> bool:
        """True when the server refused an operation on `subject`. A round trip (flush) nearly
        always brings the answer; under load it was seen to arrive a moment later, so wait."""
        await self.nc.flush(timeout=5)
        deadline = asyncio.get_running_loop().time() + within
        quoted = f'"{subject}"'.lower()  # nats-py lower-cases the server's error text
        while not any(quoted in v.lower() for v in self.violations()):
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nats]:
    tmp: Path = tmp_path_factory.mktemp("nats-auth")
    passwords = nats_auth.load_or_create_passwords(tmp / "credentials.json",
                                                   [u.name for u in nats_auth.all_users(TENANTS)])
    proc = start_nats(tmp / "nats", accounts=nats_auth.render_accounts(TENANTS),
                      env=nats_auth.server_environment(passwords))
    env = Nats(proc.url, passwords, proc)

    async def declare() -> None:
        ops = await nats.connect(env.url, **_options(env, nats_auth.OPS))
        await apply(ops.jetstream(), TOPOLOGY)
        await ops.drain()
        for tenant in TENANTS:
            admin = await nats.connect(env.url, **_options(env, nats_auth.partner_admin_user(tenant)))
            await apply_partner_stream(admin.jetstream(), tenant, TOPOLOGY)
            await admin.drain()

    try:
        asyncio.run(declare())
        yield env
    finally:
        proc.stop()


def _options(env: Nats, user: str) -> dict[str, object]:
    return {"user": user, "password": env.passwords[user], "inbox_prefix": nats_auth.inbox_prefix(user)}


async def connect(env: Nats, user: str) -> Conn:
    conn = Conn(nc=None, user=user)  # type: ignore[arg-type]

    async def on_error(exc: Exception) -> None:
        conn.errors.append(exc)

    conn.nc = await nats.connect(env.url, error_cb=on_error, allow_reconnect=False, **_options(env, user))
    return conn


async def publish_refused(conn: Conn, subject: str) -> bool:
    await conn.nc.publish(subject, b"{}", headers={naming.HEADER_PRINCIPAL: '{"tenant":"demo","roles":["admin"]}'})
    return await conn.refused(subject)


async def subscribe_refused(conn: Conn, subject: str) -> bool:
    sub = await conn.nc.subscribe(subject)
    refused = await conn.refused(subject)
    with suppress(Exception):
        await sub.unsubscribe()
    return refused


def _event(tenant: str, service: str, name: str = "member_registered") -> str:
    return naming.event_subject(tenant, service, name, 1)


# ---- the generated permissions, as data ------------------------------------------------------

def test_only_the_gateway_may_publish_commands_and_queries() -> None:
    for user in nats_auth.all_users(TENANTS):
        command_rights = [s for s in user.permissions.publish if s.split(".")[0] in ("cmd", "qry", ">", "*")]
        assert bool(command_rights) == (user.name == nats_auth.GATEWAY), (user.name, command_rights)


def test_rendered_configuration_holds_no_password(tmp_path: Path) -> None:
    passwords = nats_auth.load_or_create_passwords(tmp_path / "c.json", ["members"])
    text = nats_auth.render_config(TENANTS)
    assert passwords["members"] not in text and "password: $NATS_PASSWORD_MEMBERS" in text
    assert (tmp_path / "c.json").stat().st_mode & 0o777 == 0o600
    assert nats_auth.load_or_create_passwords(tmp_path / "c.json", ["members"]) == passwords  # reused


# ---- authentication --------------------------------------------------------------------------

async def test_anonymous_and_wrong_password_connections_are_refused(server: Nats) -> None:
    for options in ({}, {"user": "members", "password": "wrong"}, {"user": "nobody", "password": "x"}):
        with pytest.raises((NatsError, NoServersError, OSError)):
            nc = await nats.connect(server.url, allow_reconnect=False, max_reconnect_attempts=0,
                                    connect_timeout=2, **options)  # type: ignore[arg-type]
            await nc.close()


# ---- commands and queries: the principal header is trusted because only the gateway sends it ----

async def test_gateway_request_reaches_the_service_and_its_reply_returns(server: Nats) -> None:
    members, gateway = await connect(server, "members"), await connect(server, nats_auth.GATEWAY)
    try:
        async def answer(msg: nats.aio.msg.Msg) -> None:
            await msg.respond(b'{"ok": true}')

        await members.nc.subscribe(naming.query_subject("members", "list_members"), queue="members", cb=answer)
        await members.nc.flush()
        reply = await gateway.nc.request(naming.query_subject("members", "list_members"), b"{}", timeout=5,
                                         headers={naming.HEADER_PRINCIPAL: "{}"})
        assert json.loads(reply.data) == {"ok": True}
        assert not members.violations() and not gateway.violations()
    finally:
        await members.nc.close()
        await gateway.nc.close()


@pytest.mark.parametrize("user", [*SERVICES, nats_auth.OPS, "partner-demo", "partner-demo-admin"])
async def test_a_forged_principal_from_anyone_but_the_gateway_never_reaches_a_service(server: Nats, user: str) -> None:
    members, intruder = await connect(server, "members"), await connect(server, user)
    received: list[bytes] = []
    try:
        async def record(msg: nats.aio.msg.Msg) -> None:
            received.append(msg.data)

        await members.nc.subscribe("qry.members.>", queue="members", cb=record)
        await members.nc.subscribe("cmd.members.>", queue="members", cb=record)
        await members.nc.flush()
        for subject in (naming.query_subject("members", "list_members"),
                        naming.command_subject("members", "register_member")):
            assert await publish_refused(intruder, subject), f"{user} could send {subject}"
        await members.nc.flush()
        await asyncio.sleep(0.1)
        assert received == []
    finally:
        await members.nc.close()
        await intruder.nc.close()


# ---- services ----------------------------------------------------------------------------------

def _forbidden_publishes(service: str) -> list[str]:
    other_durables = [s for s in SUBSCRIPTIONS if s.consumer != service]
    subjects = [_event("demo", other, "anything") for other in naming.SERVICES if other != service]
    subjects += [f"$JS.API.CONSUMER.MSG.NEXT.{s.stream}.{s.durable}" for s in other_durables]
    subjects += [f"$JS.ACK.{s.stream}.{s.durable}.1.1.1.1.1" for s in other_durables]
    subjects += [naming.dead_letter_subject(s.stream, s.durable) for s in other_durables]
    subjects += [f"$JS.API.STREAM.DELETE.{naming.stream_name(service)}", f"$JS.API.STREAM.PURGE.{naming.DLQ_STREAM}",
                 f"$JS.API.STREAM.CREATE.{naming.stream_name(service)}", "$JS.API.STREAM.LIST",
                 f"$JS.API.CONSUMER.CREATE.{naming.stream_name('members')}",
                 f"$JS.API.CONSUMER.DELETE.{naming.stream_name('members')}.x",
                 f"$JS.API.STREAM.MSG.GET.{naming.stream_name('members')}",
                 "dlq.replay", "_INBOX_gateway.x", "_INBOX.x", "anything", "$SYS.REQ.SERVER.PING",
                 # what a partner's stream receives: nobody in the platform may inject into it
                 f"{nats_auth.partner_deliver_prefix('demo')}.x"]
    if service != "members":
        subjects += [f"$O.{naming.IMPORTS_BUCKET}.M.x", f"$JS.API.STREAM.PURGE.{nats_auth.OBJECT_STORE_STREAM}"]
    if service == "notifications":  # partner webhook consumers: any consumer of the event streams
        granted = [g.removesuffix(">") for g in nats_auth.partner_webhook_consumer_api()]
        subjects = [s for s in subjects if not any(s.startswith(g) or s == g.rstrip(".") for g in granted)]
    return subjects


def _forbidden_subscriptions(service: str) -> list[str]:
    others = [s for s in SERVICES if s != service]
    return [">", "evt.>", "evt.demo.>", "cmd.>", "qry.>", "_INBOX.>", "_INBOX_gateway.>", "$JS.EVENT.>", "dlq.>",
            *(f"cmd.{o}.>" for o in others), *(f"qry.{o}.>" for o in others),
            *(nats_auth.inbox_prefix(o) + ".>" for o in others)]


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_is_refused_everything_it_does_not_serve_or_consume(server: Nats, service: str) -> None:
    conn = await connect(server, service)
    try:
        allowed_pubs = [s for s in _forbidden_publishes(service) if not await publish_refused(conn, s)]
        allowed_subs = [s for s in _forbidden_subscriptions(service) if not await subscribe_refused(conn, s)]
        assert allowed_pubs == [] and allowed_subs == []
        # Through the JetStream client, a refused call surfaces as a timeout (no answer comes).
        js = conn.nc.jetstream(timeout=0.5)
        with pytest.raises(NatsTimeout):
            await js.delete_stream(naming.DLQ_STREAM)
        with pytest.raises(NatsTimeout):
            await js.get_msg(naming.stream_name("members"), 1)
        assert await conn.refused(f"$JS.API.STREAM.DELETE.{naming.DLQ_STREAM}")
    finally:
        await conn.nc.close()


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_publishes_its_events_and_consumes_acks_and_dead_letters_its_durables(
        server: Nats, service: str) -> None:
    conn = await connect(server, service)
    js = conn.nc.jetstream()
    try:
        ack = await js.publish(_event("demo", service, f"perm_check_{service}"), b"{}",
                               headers={naming.HEADER_MSG_ID: f"perm-{service}"}, timeout=5)
        assert ack.stream == naming.stream_name(service)
        for sub in subscriptions_of(service):
            await read_retry_policy(js, sub)  # consumer info of its own durables
            pull = await js.pull_subscribe(sub.filter_subject, durable=sub.durable, stream=sub.stream,
                                           inbox_prefix=(nats_auth.inbox_prefix(service) + ".").encode())
            with suppress(NatsTimeout):
                for msg in await pull.fetch(1, timeout=0.3):
                    await msg.ack()
            await pull.unsubscribe()
            dead = await js.publish(naming.dead_letter_subject(sub.stream, sub.durable), b"{}",
                                    headers={naming.HEADER_MSG_ID: f"dead-{sub.durable}"}, timeout=5)
            assert dead.stream == naming.DLQ_STREAM
        await asyncio.sleep(0.2)
        assert conn.violations() == []
    finally:
        await conn.nc.close()


async def test_a_consumer_fetches_and_acks_what_the_producer_published(server: Nats) -> None:
    members, notifications = await connect(server, "members"), await connect(server, "notifications")
    sub = next(s for s in subscriptions_of("notifications") if s.event.event_name == "member_registered")
    try:
        subject = naming.event_subject("demo", "members", sub.event.event_name, sub.event.version)
        await members.nc.jetstream().publish(subject, b'{"n": 1}',
                                             headers={naming.HEADER_MSG_ID: "fetch-ack-1"}, timeout=5)
        js = notifications.nc.jetstream()
        pull = await js.pull_subscribe(sub.filter_subject, durable=sub.durable, stream=sub.stream,
                                       inbox_prefix=b"_INBOX_notifications.")
        msgs = await pull.fetch(10, timeout=3)
        assert any(m.data == b'{"n": 1}' for m in msgs)
        for m in msgs:
            await m.ack_sync(timeout=5)
        info = await js.consumer_info(sub.stream, sub.durable)
        assert info.num_ack_pending == 0
        assert notifications.violations() == []
    finally:
        await members.nc.close()
        await notifications.nc.close()


async def test_notifications_runs_a_partner_webhook_consumer_with_a_start_position(server: Nats) -> None:
    """Partner webhooks: notifications creates a durable with a start position on another
    service's stream, fetches, acks, and deletes it (and still publishes no foreign event)."""
    members, notifications = await connect(server, "members"), await connect(server, "notifications")
    try:
        subject = naming.event_subject("demo", "members", "webhook_perm_check", 1)
        ack = await members.nc.jetstream().publish(subject, b'{"n": 2}', headers={naming.HEADER_MSG_ID: "pwh-perm-1"},
                                                   timeout=5)
        js = notifications.nc.jetstream()
        durable = "pwr-0123456789ab-members"
        await js.add_consumer("EVT_MEMBERS", ConsumerConfig(
            name=durable, durable_name=durable, deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=ack.seq, filter_subject=subject))
        pull = await js.pull_subscribe_bind(durable, "EVT_MEMBERS")
        msgs = await pull.fetch(1, timeout=3)
        assert msgs[0].data == b'{"n": 2}'
        await msgs[0].ack_sync(timeout=5)
        await pull.unsubscribe()
        assert await js.delete_consumer("EVT_MEMBERS", durable)
        assert notifications.violations() == []
        assert await publish_refused(notifications, _event("demo", "members", "forged"))
    finally:
        await members.nc.close()
        await notifications.nc.close()


async def test_the_gateway_puts_import_files_and_members_reads_and_deletes_them(server: Nats) -> None:
    gateway, members = await connect(server, nats_auth.GATEWAY), await connect(server, "members")
    try:
        await (await gateway.nc.jetstream().object_store(naming.IMPORTS_BUCKET)).put("perm-file", b"a;b\n" * 50_000)
        store = await members.nc.jetstream().object_store(naming.IMPORTS_BUCKET)
        assert (await store.get("perm-file")).data == b"a;b\n" * 50_000
        await store.delete("perm-file")
        with pytest.raises(NotFoundError):
            await store.get("perm-file")
        assert gateway.violations() == [] and members.violations() == []
        for subject in ("evt.demo.members.x.v1", "$JS.API.STREAM.DELETE.EVT_MEMBERS",
                        f"$JS.API.CONSUMER.CREATE.{nats_auth.OBJECT_STORE_STREAM}",  # cannot read files back
                        "$JS.API.CONSUMER.MSG.NEXT.EVT_MEMBERS.notifications-member-registered", "dlq.x.y"):
            assert await publish_refused(gateway, subject), subject
        for subject in ("cmd.>", "qry.members.>", "evt.>", "_INBOX_members.>", "_INBOX.>", ">"):
            assert await subscribe_refused(gateway, subject), subject
    finally:
        await gateway.nc.close()
        await members.nc.close()


async def test_ops_manages_the_topology_and_dead_letters_but_sends_no_command(server: Nats) -> None:
    ops = await connect(server, nats_auth.OPS)
    try:
        js = ops.nc.jetstream()
        assert (await js.stream_info(naming.DLQ_STREAM)).config.name == naming.DLQ_STREAM
        changes = await apply(js, TOPOLOGY)
        assert any("EVT_MEMBERS" in c for c in changes)
        for subject in ("cmd.members.register_member", "qry.members.list_members", "_INBOX_gateway.x",
                        f"{nats_auth.partner_deliver_prefix('demo')}.x"):
            assert await publish_refused(ops, subject), subject
        for subject in ("cmd.>", "qry.>", "_INBOX_gateway.>", "_INBOX.>"):
            assert await subscribe_refused(ops, subject), subject
    finally:
        await ops.nc.close()


# ---- partners ------------------------------------------------------------------------------------

async def _publish_events(server: Nats, per_tenant: int, marker: str) -> None:
    members = await connect(server, "members")
    js = members.nc.jetstream()
    for tenant in ("demo", "other"):
        for i in range(per_tenant):
            await js.publish(_event(tenant, "members"), json.dumps({"tenant": tenant, "i": i, "m": marker}).encode(),
                             headers={naming.HEADER_MSG_ID: f"{marker}-{tenant}-{i}"}, timeout=5)
    await members.nc.close()


async def _read_all(conn: Conn, durable: str, config: ConsumerConfig, expected: int) -> list[nats.aio.msg.Msg]:
    js = conn.nc.jetstream()
    pull = await js.pull_subscribe("", durable=durable, stream=nats_auth.PARTNER_STREAM, config=config,
                                   inbox_prefix=(nats_auth.inbox_prefix(conn.user) + ".").encode())
    got: list[nats.aio.msg.Msg] = []
    deadline = asyncio.get_running_loop().time() + 10
    while len(got) < expected and asyncio.get_running_loop().time() < deadline:
        with suppress(NatsTimeout):
            for msg in await pull.fetch(500, timeout=0.5):
                await msg.ack()
                got.append(msg)
    return got


async def test_a_partner_sees_and_replays_only_its_tenant_events(server: Nats) -> None:
    await _publish_events(server, 300, "replay")  # enough to exercise the source's flow control
    demo = await connect(server, "partner-demo")
    other = await connect(server, "partner-other")
    try:
        everything = await _read_all(demo, "crm", ConsumerConfig(deliver_policy=DeliverPolicy.ALL), 300)
        mine = [m for m in everything if json.loads(m.data).get("m") == "replay"]
        assert len(mine) == 300 and {m.subject.split(".")[1] for m in everything} == {"demo"}
        theirs = await _read_all(other, "crm", ConsumerConfig(deliver_policy=DeliverPolicy.ALL), 300)
        assert len(theirs) >= 300 and {m.subject.split(".")[1] for m in theirs} == {"other"}

        # Replay from a stream sequence, then from a date, with new consumers of its own.
        seq = mine[250].metadata.sequence.stream
        tail = await _read_all(demo, "from-seq", ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=seq), 50)
        assert [json.loads(m.data)["i"] for m in tail if json.loads(m.data).get("m") == "replay"] == list(range(250, 300))
        since = datetime.now(UTC)
        await asyncio.sleep(0.05)
        await _publish_events(server, 3, "later")
        recent = await _read_all(demo, "from-date", ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=since.isoformat()), 3)
        assert [json.loads(m.data)["m"] for m in recent] == ["later"] * 3
        assert demo.violations() == []
    finally:
        await demo.nc.close()
        await other.nc.close()


async def test_a_large_backlog_reaches_the_partner_stream(server: Nats) -> None:
    """More than one flow-control window (~2 MB): the source's flow-control replies must
    cross back to the platform account, or the source stalls."""
    partner = await connect(server, "partner-demo")
    members = await connect(server, "members")
    try:
        pjs = partner.nc.jetstream()
        before = (await pjs.stream_info(nats_auth.PARTNER_STREAM)).state.messages
        js, body, n = members.nc.jetstream(), b"x" * 2048, 2500
        for start in range(0, n, 250):
            await asyncio.gather(*(js.publish(_event("demo", "members", "bulk"), body) for _ in range(start, start + 250)))
        deadline = asyncio.get_running_loop().time() + 15
        while (count := (await pjs.stream_info(nats_auth.PARTNER_STREAM)).state.messages) < before + n:
            assert asyncio.get_running_loop().time() < deadline, f"{count - before} of {n} reached the partner"
            await asyncio.sleep(0.2)
    finally:
        await partner.nc.close()
        await members.nc.close()


@pytest.mark.parametrize("user", ["partner-demo", "partner-demo-admin"])
async def test_a_partner_publishes_nothing_and_reaches_no_platform_subject(server: Nats, user: str) -> None:
    conn = await connect(server, user)
    try:
        forbidden_pubs = ["evt.demo.members.member_registered.v1", "evt.other.members.member_registered.v1",
                          "qry.members.list_members", "cmd.members.register_member", "anything",
                          f"{nats_auth.PARTNER_API_PREFIX}.CONSUMER.CREATE.EVT_MEMBERS.x.evt.demo.members.>",
                          f"{nats_auth.PARTNER_API_PREFIX}.CONSUMER.CREATE.EVT_MEMBERS.x.evt.other.members.>",
                          f"$JS.API.STREAM.DELETE.{nats_auth.PARTNER_STREAM}",
                          f"$JS.API.STREAM.PURGE.{nats_auth.PARTNER_STREAM}",
                          f"$JS.API.STREAM.MSG.DELETE.{nats_auth.PARTNER_STREAM}", "$JS.API.STREAM.CREATE.OTHER",
                          "$JS.FC.EVT_MEMBERS.x.y"]
        if user == "partner-demo":
            forbidden_pubs += [f"$JS.API.STREAM.CREATE.{nats_auth.PARTNER_STREAM}",
                               f"$JS.API.STREAM.UPDATE.{nats_auth.PARTNER_STREAM}"]
        for subject in forbidden_pubs:
            assert await publish_refused(conn, subject), subject
        for subject in (">", "evt.>", "partner.demo.deliver.>", "partner.other.deliver.>", "_INBOX.>"):
            assert await subscribe_refused(conn, subject), subject
    finally:
        await conn.nc.close()


async def test_even_the_partner_account_cannot_source_another_tenant(server: Nats) -> None:
    """Account level: the exports pin each partner account's filter, so a stream of `third`
    that asks for `other`'s events gets nothing (and its own events still flow)."""
    admin = await connect(server, "partner-third-admin")
    js = admin.nc.jetstream()
    try:
        config = nats_auth.partner_stream_config("third", 3600)
        assert config.sources is not None
        wrong = config.sources[0]
        config.sources.append(StreamSource(name=wrong.name, filter_subject="evt.other.members.>",
                                           external=wrong.external))
        config.sources.append(StreamSource(name=wrong.name, filter_subject="evt.>", external=wrong.external))
        updated = await js.update_stream(config)
        assert updated.config.sources is not None and len(updated.config.sources) == len(naming.SERVICES) + 2
        await _publish_events(server, 2, "third-check")
        await asyncio.sleep(1)
        info = await js.stream_info(nats_auth.PARTNER_STREAM)
        assert info.state.messages == 0
    finally:
        await admin.nc.close()


def test_the_committed_deploy_configuration_is_the_generated_one() -> None:
    text = (REPO / "deploy/nats/nats.conf").read_text()
    assert nats_auth.render_accounts(["demo"]) in text


def test_nats_server_accepts_the_deploy_configuration(tmp_path: Path) -> None:
    from servicekit.devservers import _bin

    env = nats_auth.server_environment({u.name: "p" + "x" * 20 for u in nats_auth.all_users(["demo"])})
    result = subprocess.run([_bin("nats-server"), "-t", "-c", str(REPO / "deploy/nats/nats.conf")],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    missing = subprocess.run([_bin("nats-server"), "-t", "-c", str(REPO / "deploy/nats/nats.conf")],
                             capture_output=True, text=True, env={}, cwd=tmp_path)
    assert missing.returncode != 0, "a missing password must stop the server"
