"""Partner webhooks against real NATS JetStream, the MongoDB stand-in and a test partner
endpoint (HTTP on loopback, allowed by `partner_webhooks_allow_loopback`) that verifies every
delivery with the Standard Webhooks reference code (`standardwebhooks.Webhook.verify`)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
import uvicorn
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from alumni_contracts import naming
from alumni_contracts.envelope import CloudEvent, EventData
from alumni_contracts.members.v1 import GroupCreated, MemberErased
from alumni_contracts.notifications import alerts as al
from alumni_contracts.notifications import partner_webhooks as pw
from alumni_contracts.notifications.v1 import PartnerWebhookDisabled
from alumni_contracts.rpc import Principal, Role
from notifications_service.adapters.partner_webhooks_repository import DELIVERIES, STAFF_ALERTS, WEBHOOKS, reseal_all
from notifications_service.adapters.secret_box import SecretBox, generate_key
from notifications_service.bootstrap import build
from notifications_service.config import NotificationsSettings
from notifications_service.domain.partner_webhooks import live_durable
from servicekit.devservers import free_port
from servicekit.retry import retry_transient
from servicekit.runtime import ServiceHost
from servicekit.testing.factories import member_registered_event
from servicekit.testing.recorder import EventRecorder
from servicekit.topology import TopologySettings

pytestmark = pytest.mark.integration
PARTNER = Principal(tenant="demo", subject="crm", roles=frozenset({Role.PARTNER}))
REGISTERED = "org.alumni.members.member_registered.v2"
ERASED = "org.alumni.members.member_erased.v1"
GROUP = "org.alumni.members.group_created.v1"
KEYS = {"k1": generate_key(), "k2": generate_key()}


@dataclass
class Receiver:
    """The test partner: per path, what it answers; every request it received, verified."""

    secrets: dict[str, list[str]] = field(default_factory=dict)  # path → secrets it accepts
    received: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    hits: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failures: dict[str, int] = field(default_factory=dict)  # path → answer 500 this many times first
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    async def handle(self, request: Request) -> Response:
        path = request.path_params["name"]
        self.hits[path] += 1
        if path.startswith("slow"):
            await asyncio.sleep(3)
            return Response(status_code=200)
        if path.startswith("to-private"):
            return RedirectResponse("http://10.20.30.40/hook", status_code=307)
        if self.failures.get(path, 0) > 0:
            self.failures[path] -= 1
            return JSONResponse({"error": "storm"}, status_code=500)
        body = await request.body()
        headers = dict(request.headers)
        verified = [s for s in self.secrets.get(path, []) if _verifies(s, body, headers)]
        if not verified:
            return JSONResponse({"error": "bad signature"}, status_code=401)
        self.received[path].append({"headers": headers, "body": json.loads(body), "verified_with": verified})
        return Response(status_code=204)


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except Exception:  # noqa: BLE001 - WebhookVerificationError, or a malformed header
        return False
    return True


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver(port=free_port())
    app = Starlette(routes=[Route("/{name}", r.handle, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=r.port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield r
    server.should_exit = True
    await task


@pytest_asyncio.fixture
async def host(nats_url: str, mongo_uri: str, db_name: str, mongo_client: Any, topology: TopologySettings
               ) -> AsyncIterator[ServiceHost]:
    settings = NotificationsSettings(
        nats_url=nats_url, mongo_uri=mongo_uri, mongo_db=db_name, http_port=0, relay_poll_seconds=0.2,
        partner_webhooks_allow_loopback=True, partner_webhook_max_attempts=3, partner_webhook_backoff_seconds=0.1,
        partner_webhook_backoff_cap_seconds=0.4, partner_webhook_timeout_seconds=0.5,
        partner_webhook_fetch_wait_seconds=0.3, partner_webhook_sync_seconds=0.5, partner_webhook_ack_wait_seconds=5,
        smtp_port=free_port(),  # nothing listens: the managers' emails stay queued (checked in the database)
        webhook_secret_keys=json.dumps(KEYS), webhook_secret_key_id="k1",
        tenant_managers=json.dumps({"demo": [{"email": "office@example.org", "locale": "fr"}]}))
    service = ServiceHost("notifications", settings, build)
    await service.start()
    yield service
    await service.stop()
    await mongo_client.drop_database(db_name)


async def call(host: ServiceHost, subject_name: str, request: Any, who: Principal = PARTNER) -> Any:
    """The use case as the request server runs it (which also re-runs a transient conflict)."""
    handler = next(h for h in host.parts.requests if h.subject.endswith("." + subject_name))
    return await retry_transient(lambda: handler.handler(request, who))


async def subscribe(host: ServiceHost, receiver: Receiver, path: str, types: list[str],
                    mode: pw.ContentMode = pw.ContentMode.STRUCTURED) -> pw.PartnerWebhookOut:
    out = await call(host, pw.CREATE_PARTNER_WEBHOOK, pw.CreatePartnerWebhook(
        url=receiver.url(path), event_types=types, mode=mode))
    assert out.secret and out.secret.startswith("whsec_")
    receiver.secrets[path] = [out.secret]
    await consumer_ready(host, out.webhook_id)
    return out


async def consumer_ready(host: ServiceHost, webhook_id: str, timeout: float = 5) -> None:
    assert host.infra is not None
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await host.infra.js.consumer_info("EVT_MEMBERS", live_durable(webhook_id, "members"))
            return
        except NotFoundError:
            assert asyncio.get_running_loop().time() < deadline, "the live consumer was not created"
            await asyncio.sleep(0.05)


async def publish(js: JetStreamContext, event: CloudEvent[Any]) -> int:
    ack = await js.publish(event.nats_subject(), event.to_json(), headers={naming.HEADER_MSG_ID: event.id})
    return int(ack.seq)


def group_event(n: int) -> CloudEvent[Any]:
    data = GroupCreated(group_id=f"club-{n}", kind="club", name=f"Club {n}", cohort=None,
                        created_at=datetime(2026, 1, 2, tzinfo=UTC))
    return wrap(data, f"club-{n}")


def wrap(data: EventData, subject: str) -> CloudEvent[Any]:
    return CloudEvent.wrap(data, tenant="demo", subject=subject, aggregate_version=1, correlation_id="corr")


async def until(check: Any, timeout: float = 10, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def log_of(mongo_client: Any, db_name: str, webhook_id: str) -> list[dict[str, Any]]:
    return [d async for d in mongo_client[db_name][DELIVERIES].find({"webhook_id": webhook_id}).sort("_id", 1)]


async def test_signed_cloudevents_in_both_modes_and_personal_data_only_with_consent(
        host: ServiceHost, receiver: Receiver, js: JetStreamContext, mongo_client: Any, db_name: str) -> None:
    contacts = mongo_client[db_name]["contacts"]
    await contacts.insert_many([{"_id": "m-ok", "tenant": "demo", "consents": {"partners": True}},
                                {"_id": "m-no", "tenant": "demo", "consents": {"partners": False}}])
    structured = await subscribe(host, receiver, "structured", [REGISTERED, ERASED])
    binary = await subscribe(host, receiver, "binary", [REGISTERED, ERASED], pw.ContentMode.BINARY)
    ok, no = member_registered_event(member_id="m-ok"), member_registered_event(member_id="m-no")
    erased = wrap(MemberErased(erasure_id="e1", member_id="m-no", erased_at=datetime.now(UTC)), "m-no")
    other_tenant = member_registered_event(tenant="other", member_id="m-ok")
    for event in (ok, no, erased, other_tenant):
        await publish(js, event)
    await until(lambda: len(receiver.received["structured"]) == 2 and len(receiver.received["binary"]) == 2,
                what="2 deliveries to each endpoint")
    await asyncio.sleep(0.5)
    # Consent: m-no's registration is withheld, their erasure always goes; another tenant's never.
    got = receiver.received["structured"]
    assert sorted(r["body"]["id"] for r in got) == sorted([ok.id, erased.id])
    first = next(r for r in got if r["body"]["id"] == ok.id)
    assert first["headers"]["content-type"].startswith("application/cloudevents+json")
    assert first["headers"]["webhook-id"] == ok.id and first["body"]["type"] == REGISTERED
    assert first["body"]["data"]["member_id"] == "m-ok" and first["body"]["tenant"] == "demo"
    bin_first = next(r for r in receiver.received["binary"] if r["headers"]["ce-id"] == ok.id)
    assert bin_first["headers"]["ce-type"] == REGISTERED and bin_first["headers"]["ce-specversion"] == "1.0"
    assert bin_first["headers"]["ce-tenant"] == "demo" and bin_first["body"]["member_id"] == "m-ok"
    assert bin_first["headers"]["content-type"].startswith("application/json")
    entries = await log_of(mongo_client, db_name, structured.webhook_id)
    assert sorted(e["outcome"] for e in entries) == ["delivered", "delivered", "withheld"]
    assert all("m-no" not in json.dumps(e, default=str) for e in entries)  # the log names no member
    page = await call(host, pw.LIST_PARTNER_WEBHOOK_DELIVERIES, pw.ListPartnerWebhookDeliveries(
        webhook_id=binary.webhook_id, limit=2))
    assert len(page.items) == 2 and page.next
    rest = await call(host, pw.LIST_PARTNER_WEBHOOK_DELIVERIES, pw.ListPartnerWebhookDeliveries(
        webhook_id=binary.webhook_id, limit=2, before=page.next))
    assert len(rest.items) == 1 and {i.outcome for i in [*page.items, *rest.items]} == {"delivered", "withheld"}
    # At rest: the stored subscriptions hold no secret (the deliveries above verified with it).
    stored = [d async for d in mongo_client[db_name][WEBHOOKS].find({})]
    assert len(stored) == 2 and all(s["sealed"]["kid"] == "k1" for d in stored for s in d["secrets"])
    raw = json.dumps(stored, default=str)
    assert all(secret.removeprefix("whsec_") not in raw for path in ("structured", "binary")
               for secret in receiver.secrets[path])


async def test_secrets_stored_in_clear_before_still_sign_and_the_rekey_command_seals_them(
        host: ServiceHost, receiver: Receiver, js: JetStreamContext, mongo_client: Any, db_name: str) -> None:
    out = await subscribe(host, receiver, "legacy", [GROUP])
    col = mongo_client[db_name][WEBHOOKS]
    doc = await col.find_one({"_id": out.webhook_id})
    legacy = [{"id": s["id"], "value": receiver.secrets["legacy"][0], "created_at": s["created_at"],
               "expires_at": None} for s in doc["secrets"]]
    await col.update_one({"_id": out.webhook_id}, {"$set": {"secrets": legacy}, "$inc": {"version": 1}})
    # The service reads the clear row (the dispatcher re-reads it at its next sync; same secret either way).
    assert (await call(host, pw.GET_PARTNER_WEBHOOK, pw.PartnerWebhookRef(webhook_id=out.webhook_id))).status == "active"
    await publish(js, group_event(1))
    await until(lambda: len(receiver.received["legacy"]) == 1, what="a delivery signed with the legacy secret")
    rotated = SecretBox({k: base64.b64decode(v) for k, v in KEYS.items()}, "k2")
    assert await reseal_all(mongo_client[db_name], rotated) == 1
    assert await reseal_all(mongo_client[db_name], rotated) == 0  # nothing left to do
    sealed = await col.find_one({"_id": out.webhook_id})
    assert sealed["secrets"][0]["sealed"]["kid"] == "k2" and "value" not in sealed["secrets"][0]
    assert receiver.secrets["legacy"][0] not in json.dumps(sealed, default=str)
    # The service (k1 current, k2 configured) reads the re-keyed row, and still signs with the secret.
    assert (await call(host, pw.GET_PARTNER_WEBHOOK, pw.PartnerWebhookRef(webhook_id=out.webhook_id))).status == "active"
    await publish(js, group_event(2))
    await until(lambda: len(receiver.received["legacy"]) == 2, what="a delivery after the re-key")


async def test_retries_then_dead_letter_and_disable_while_other_partners_keep_receiving(
        host: ServiceHost, receiver: Receiver, js: JetStreamContext, mongo_client: Any, db_name: str,
        event_recorder: EventRecorder) -> None:
    receiver.failures["storm"] = 2  # a 500 storm: the third attempt (of 3) succeeds
    storm = await subscribe(host, receiver, "storm", [GROUP])
    slow = await subscribe(host, receiver, "slow", [GROUP])
    private = await subscribe(host, receiver, "to-private", [GROUP])
    await subscribe(host, receiver, "healthy", [GROUP])
    events = [group_event(i) for i in range(6)]
    started = asyncio.get_running_loop().time()
    for event in events:
        await publish(js, event)
    await until(lambda: len(receiver.received["healthy"]) == 6, what="the healthy partner")
    # Not delayed by the timeouts (3 attempts × 0.5 s + backoff per message) of the others.
    assert asyncio.get_running_loop().time() - started < 1.5
    await until(lambda: len(receiver.received["storm"]) == 6, what="the storm partner")
    disabled = await event_recorder.wait_for(PartnerWebhookDisabled, count=2, timeout=15)
    assert {d.data.webhook_id for d in disabled} == {slow.webhook_id, private.webhook_id}
    assert all(d.data.automatic and d.data.dead_event_id for d in disabled)
    for webhook, error in ((slow, "timed out"), (private, "refused target")):
        entries = await log_of(mongo_client, db_name, webhook.webhook_id)
        dead = [e for e in entries if e["outcome"] == "dead"]
        assert len(dead) == 1 and dead[0]["attempt"] == 3 and error in dead[0]["error"]
        assert [e["attempt"] for e in entries if e["event_id"] == dead[0]["event_id"]] == [1, 2, 3]
        got = await call(host, pw.GET_PARTNER_WEBHOOK, pw.PartnerWebhookRef(webhook_id=webhook.webhook_id))
        assert got.status == "disabled" and error in (got.disabled_reason or "")
    # Every request the endpoint received is an attempt in its log (siblings of the dead letter
    # in flight when it was disabled included: how many depends on the fetch batches), and the
    # private redirect target itself was never contacted (the receiver would have seen it).
    for _ in range(100):
        attempts = len(await log_of(mongo_client, db_name, private.webhook_id))
        if attempts == receiver.hits["to-private"]:
            break
        await asyncio.sleep(0.1)
    assert receiver.hits["to-private"] == attempts >= 3
    for webhook in (slow, private):  # each dead letter's MSG_TERMINATED advisory is in the DLQ stream
        durable = live_durable(webhook.webhook_id, "members")
        advisory = await js.get_last_msg(naming.DLQ_STREAM, f"$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.EVT_MEMBERS.{durable}")
        assert json.loads(advisory.data or b"{}")["consumer"] == durable
    # The managers: one email per disable for the configured manager, one staff alert per disable.
    mails = [d async for d in mongo_client[db_name]["notifications"].find({"template": "webhook_disabled"})]
    assert sorted(m["about"] for m in mails) == sorted([slow.webhook_id, private.webhook_id])
    assert {m["email"]["to"] for m in mails} == {"office@example.org"}
    assert all(m["email"]["subject"].startswith("Webhook partenaire désactivé") for m in mails)
    assert await mongo_client[db_name][STAFF_ALERTS].count_documents({}) == 2
    staff = Principal(tenant="demo", subject="office", roles=frozenset({Role.MANAGER}))
    alerts = await call(host, al.LIST_STAFF_ALERTS, al.ListStaffAlerts(lang="en"), staff)
    assert alerts.unread == 2 and {a.about for a in alerts.items} == {slow.webhook_id, private.webhook_id}
    storm_log = await log_of(mongo_client, db_name, storm.webhook_id)
    assert sorted(e["outcome"] for e in storm_log).count("failed") == 2
    # Enabling resumes after the dead letter: no event is lost for good, the rest arrives.
    receiver.secrets["fixed"] = receiver.secrets["slow"]
    await mongo_client[db_name][WEBHOOKS].update_one({"_id": slow.webhook_id},
                                                     {"$set": {"url": receiver.url("fixed")}})
    await call(host, pw.ENABLE_PARTNER_WEBHOOK, pw.PartnerWebhookRef(webhook_id=slow.webhook_id))
    await until(lambda: len(receiver.received["fixed"]) == 5,
                what=f"the re-enabled partner's backlog ({len(receiver.received['fixed'])})")
    received = {r["body"]["id"] for r in receiver.received["fixed"]}
    dead_id = next(e["event_id"] for e in await log_of(mongo_client, db_name, slow.webhook_id)
                   if e["outcome"] == "dead")
    assert received == {e.id for e in events} - {dead_id}


async def test_replay_from_a_date_and_a_sequence_and_secret_rotation_with_overlap(
        host: ServiceHost, receiver: Receiver, js: JetStreamContext, mongo_client: Any, db_name: str) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    old = [group_event(i) for i in range(3)]
    seqs = [await publish(js, e) for e in old]
    hook = await subscribe(host, receiver, "replayed", [GROUP])
    live = group_event(10)
    await publish(js, live)
    await until(lambda: len(receiver.received["replayed"]) == 1, what="the live event")
    assert receiver.received["replayed"][0]["body"]["id"] == live.id  # a new subscription starts now
    out = await call(host, pw.REPLAY_PARTNER_WEBHOOK, pw.ReplayPartnerWebhook(webhook_id=hook.webhook_id,
                                                                               from_time=before))
    assert out.replay and "EVT_MEMBERS" in out.replay
    await until(lambda: len(receiver.received["replayed"]) == 5, what="the replay from a date")
    ids = [r["body"]["id"] for r in receiver.received["replayed"][1:]]
    # The original ids (partners deduplicate on `webhook-id`); delivered concurrently, so in any order.
    assert sorted(ids) == sorted(e.id for e in [*old, live])
    for _ in range(100):  # the replay consumer is deleted once it reached its end
        doc = await mongo_client[db_name][WEBHOOKS].find_one({"_id": hook.webhook_id})
        if not doc["replays"]:
            break
        await asyncio.sleep(0.05)
    assert doc["replays"] == []
    # By sequence, then rotate: the old secret keeps working during the overlap, the new one too.
    out = await call(host, pw.ROTATE_PARTNER_WEBHOOK_SECRET, pw.RotatePartnerWebhookSecret(
        webhook_id=hook.webhook_id, overlap_hours=1))
    old_secret, new_secret = receiver.secrets["replayed"][0], out.secret
    assert new_secret and new_secret != old_secret and len(out.secrets) == 2
    receiver.secrets["replayed"] = [old_secret, new_secret]
    await call(host, pw.REPLAY_PARTNER_WEBHOOK, pw.ReplayPartnerWebhook(
        webhook_id=hook.webhook_id, stream="EVT_MEMBERS", from_sequence=seqs[2]))
    await until(lambda: len(receiver.received["replayed"]) == 7, what="the replay from a sequence")
    assert sorted(r["body"]["id"] for r in receiver.received["replayed"][5:]) == sorted([old[2].id, live.id])
    assert all(r["verified_with"] == [old_secret, new_secret] for r in receiver.received["replayed"][5:])
    # Revoked at once (overlap 0): only the newest secret signs.
    out = await call(host, pw.ROTATE_PARTNER_WEBHOOK_SECRET, pw.RotatePartnerWebhookSecret(
        webhook_id=hook.webhook_id, overlap_hours=0))
    receiver.secrets["replayed"] = [old_secret, new_secret, str(out.secret)]
    await asyncio.sleep(0.6)  # the running consumer picks up the new secrets
    await publish(js, group_event(11))
    await until(lambda: len(receiver.received["replayed"]) == 8, what="a delivery after the revocation")
    assert receiver.received["replayed"][7]["verified_with"] == [out.secret]
    # Deleting removes its consumers.
    await call(host, pw.DELETE_PARTNER_WEBHOOK, pw.PartnerWebhookRef(webhook_id=hook.webhook_id))
    assert host.infra is not None
    with pytest.raises(NotFoundError):
        await host.infra.js.consumer_info("EVT_MEMBERS", live_durable(hook.webhook_id, "members"))
    assert await log_of(mongo_client, db_name, hook.webhook_id) == []


async def test_registration_refuses_unsafe_targets_unknown_types_and_other_partners(host: ServiceHost) -> None:
    for url in ("https://10.0.0.8/hook", "https://169.254.169.254/latest", "https://[fd00::1]/x",
                "http://example.org/plain-http", "https://user:pw@example.org/x"):
        with pytest.raises(Exception) as refused:
            await call(host, pw.CREATE_PARTNER_WEBHOOK, pw.CreatePartnerWebhook(url=url, event_types=[GROUP]))
        assert getattr(refused.value, "code", "") == "unsafe-webhook-target", url
    with pytest.raises(Exception) as unknown:
        await call(host, pw.CREATE_PARTNER_WEBHOOK, pw.CreatePartnerWebhook(
            url="http://127.0.0.1:9/x", event_types=["org.alumni.members.nothing.v1"]))
    assert getattr(unknown.value, "code", "") == "unknown-event-type"
    mine = await call(host, pw.CREATE_PARTNER_WEBHOOK, pw.CreatePartnerWebhook(url="http://127.0.0.1:9/x",
                                                                                event_types=[GROUP]))
    other_partner = Principal(tenant="demo", subject="another-crm", roles=frozenset({Role.PARTNER}))
    other_tenant = Principal(tenant="other", subject="crm", roles=frozenset({Role.MANAGER}))
    manager = Principal(tenant="demo", subject="office", roles=frozenset({Role.MANAGER}))
    for who in (other_partner, other_tenant):
        with pytest.raises(Exception) as hidden:
            await call(host, pw.GET_PARTNER_WEBHOOK, pw.PartnerWebhookRef(webhook_id=mine.webhook_id), who)
        assert getattr(hidden.value, "status", 0) == 404
        assert (await call(host, pw.LIST_PARTNER_WEBHOOKS, pw.ListPartnerWebhooks(), who)).items == []
    listed = await call(host, pw.LIST_PARTNER_WEBHOOKS, pw.ListPartnerWebhooks(), manager)
    assert [w.webhook_id for w in listed.items] == [mine.webhook_id] and listed.items[0].secret is None
    # The request server refuses other roles before any handler runs (an alumnus: 403).
    webhooks = [h for h in host.parts.requests if "partner" in h.subject]
    assert len(webhooks) == 10 and all(h.roles == {Role.PARTNER, Role.MANAGER, Role.ADMIN} for h in webhooks)


async def test_a_delivery_interrupted_by_a_restart_is_redelivered_and_sent(
        nats_url: str, mongo_uri: str, db_name: str, mongo_client: Any, topology: TopologySettings,
        receiver: Receiver, js: JetStreamContext) -> None:
    """At least once across a crash: the notifications process stops while a delivery waits
    for its retry (unacknowledged); the next process gets the message again after the ack wait
    and delivers it."""
    def settings() -> NotificationsSettings:
        return NotificationsSettings(
            nats_url=nats_url, mongo_uri=mongo_uri, mongo_db=db_name, http_port=0, relay_poll_seconds=0.2,
            partner_webhooks_allow_loopback=True, partner_webhook_max_attempts=5, partner_webhook_backoff_seconds=30,
            partner_webhook_fetch_wait_seconds=0.3, partner_webhook_sync_seconds=0.5,
            partner_webhook_ack_wait_seconds=1)
    first = ServiceHost("notifications", settings(), build)
    await first.start()
    try:
        receiver.failures["restart"] = 1
        hook = await subscribe(first, receiver, "restart", [GROUP])
        event = group_event(42)
        await publish(js, event)
        await until(lambda: receiver.hits["restart"] == 1, what="the first (failed) attempt")
    finally:
        await first.stop()  # mid-backoff: the message stays unacknowledged
    second = ServiceHost("notifications", settings(), build)
    await second.start()
    try:
        await until(lambda: len(receiver.received["restart"]) == 1, what="the redelivery after the restart")
        assert receiver.received["restart"][0]["body"]["id"] == event.id
        entries = await log_of(mongo_client, db_name, hook.webhook_id)
        assert [(e["attempt"], e["outcome"]) for e in entries] == [(1, "failed"), (1, "delivered")]
    finally:
        await second.stop()
        await mongo_client.drop_database(db_name)
