"""Partner webhooks without I/O: the address rules, signing and encoding, secrets rotation,
what may be shared, and the use cases through `wire` with fakes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook

from notifications_service.adapters.http_delivery import HttpDelivery, encode, sign
from notifications_service.domain.partner_webhooks import (
    Mode,
    PartnerWebhook,
    Secret,
    UnsafeTarget,
    WebhookDisabled,
    address_allowed,
    backoff_seconds,
    check_resolved,
    live_durable,
    parse_target,
    replay_durable,
    shareable,
)
from notifications_service.entrypoints.partner_webhooks import wire
from notifications_service.service_layer import partner_webhooks as hooks
from servicekit.domain import DomainError

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
GROUP = "org.alumni.members.group_created.v1"


@pytest.mark.parametrize("address", ["10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:10.0.0.1",
                                     "224.0.0.1", "240.0.0.1", "not-an-ip"])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not address_allowed(address)


def test_public_addresses_pass_and_loopback_only_with_the_test_setting() -> None:
    assert address_allowed("93.184.216.34") and address_allowed("2606:2800:220:1:248:1893:25c8:1946")
    assert address_allowed("127.0.0.1", allow_loopback=True) and address_allowed("::1", allow_loopback=True)
    assert not address_allowed("10.0.0.1", allow_loopback=True)  # the setting admits loopback only


@pytest.mark.parametrize("url", ["http://example.org/x", "ftp://example.org/x", "https://u:p@example.org/",
                                 "https://10.0.0.1/x", "https://localhost/x", "https:///nohost",
                                 "https://example.org:99999/x", "https://[::1]/x"])
def test_unsafe_urls_are_refused_before_any_resolution(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        parse_target(url)


def test_a_name_resolving_to_any_private_address_is_refused() -> None:
    check_resolved("ok.example", ["93.184.216.34"])
    with pytest.raises(UnsafeTarget, match="non-public"):
        check_resolved("rebind.example", ["93.184.216.34", "10.0.0.5"])
    with pytest.raises(UnsafeTarget, match="does not resolve"):
        check_resolved("void.example", [])


def test_parse_target_keeps_path_query_and_port() -> None:
    t = parse_target("https://Hooks.Example.org:8443/in?x=1")
    assert (t.scheme, t.host, t.port, t.path) == ("https", "hooks.example.org", 8443, "/in?x=1")


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_seconds(n, 5, 30) for n in range(1, 6)] == [5, 10, 20, 30, 30]


def test_personal_data_needs_the_partners_consent_but_erasure_always_goes() -> None:
    assert shareable(GROUP, {"group_id": "g"}, None)
    assert not shareable("org.alumni.members.member_registered.v2", {"member_id": "m"}, None)
    assert not shareable("org.alumni.members.member_registered.v2", {"member_id": "m"}, {"partners": False})
    assert not shareable("org.alumni.members.member_registered.v2", {"member_id": "m"}, {"newsletter": True})
    assert shareable("org.alumni.members.member_registered.v2", {"member_id": "m"}, {"partners": True})
    assert shareable("org.alumni.members.member_erased.v1", {"member_id": "m"}, None)
    gift = "org.alumni.fundraising.gift_received.v1"
    assert not shareable(gift, {"donor_member_id": "m"}, {"partners": False})
    assert shareable(gift, {"donor_member_id": "m"}, {"partners": True})
    # personal data with no member to ask (an invitee's email): withheld
    assert not shareable("org.alumni.events.invitation_sent.v1", {"email": "x@example.org"}, None)


def test_consumer_names_fit_jetstream() -> None:
    for name in (live_durable("01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11", "notifications"),
                 replay_durable("01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11", "fundraising")):
        assert len(name) <= 32 and "." not in name


EVENT = {"specversion": "1.0", "id": "01938f6e-0000-7000-8000-000000000001", "source": "/alumni/members",
         "type": GROUP, "time": "2026-06-01T12:00:00Z", "subject": "g1", "datacontenttype": "application/json",
         "tenant": "demo", "aggregateversion": 3, "data": {"group_id": "g1", "name": "Club Lyon"}}


def test_structured_and_binary_modes_of_the_cloudevents_http_binding() -> None:
    headers, body = encode(EVENT, Mode.STRUCTURED)
    assert headers["content-type"].startswith("application/cloudevents+json") and json.loads(body) == EVENT
    headers, body = encode(EVENT, Mode.BINARY)
    assert json.loads(body) == EVENT["data"] and headers["content-type"] == "application/json"
    assert headers["ce-id"] == EVENT["id"] and headers["ce-type"] == GROUP and headers["ce-tenant"] == "demo"
    assert headers["ce-aggregateversion"] == "3" and "ce-data" not in headers


def test_signatures_verify_with_the_reference_code_with_each_secret_of_an_overlap() -> None:
    old, new = hooks.new_secret(), hooks.new_secret()
    now = datetime.now(UTC)
    header = sign([new, old], "msg-1", now, '{"a":1}')
    assert len(header.split(" ")) == 2
    headers = {"webhook-id": "msg-1", "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": header}
    for secret in (old, new):
        assert Webhook(secret).verify('{"a":1}', headers) == {"a": 1}
    with pytest.raises(Exception, match="signature"):
        Webhook(hooks.new_secret()).verify('{"a":1}', headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(new).verify('{"a":2}', headers)  # a tampered body


def webhook(**overrides: Any) -> PartnerWebhook:
    values: dict[str, Any] = {"id": "w1", "tenant": "demo", "url": "https://hooks.example.org/in", "event_types": [GROUP],
                              "mode": Mode.STRUCTURED, "description": "", "owner": "crm", "created_at": NOW,
                              "secrets": [Secret("s1", "whsec_a", NOW)], "version": 1}
    values.update(overrides)
    return PartnerWebhook(**values)


def test_rotation_keeps_the_old_secret_for_the_overlap_only() -> None:
    w = webhook()
    w.rotate(Secret("s2", "whsec_b", NOW), timedelta(hours=24), NOW)
    assert [s.id for s in w.signing_secrets(NOW + timedelta(hours=23))] == ["s2", "s1"]
    assert [s.id for s in w.signing_secrets(NOW + timedelta(hours=25))] == ["s2"]
    w.rotate(Secret("s3", "whsec_c", NOW), timedelta(0), NOW)
    assert [s.id for s in w.secrets] == ["s3"]


def test_disable_records_one_event_and_enable_resumes() -> None:
    w = webhook()
    assert w.disable("HTTP 500 after 8 attempts", NOW, automatic=True, dead_event_id="e1")
    assert not w.disable("again", NOW)
    [(event, _)] = w.pending_events()
    assert isinstance(event, WebhookDisabled) and event.automatic and event.host == "hooks.example.org"
    assert w.enable() and not w.enable()


class FakeRepo:
    def __init__(self) -> None:
        self.items: dict[str, PartnerWebhook] = {}

    async def get(self, tenant: str, webhook_id: str) -> PartnerWebhook | None:
        w = self.items.get(webhook_id)
        return w if w is not None and w.tenant == tenant else None

    async def list(self, tenant: str) -> list[PartnerWebhook]:
        return [w for w in self.items.values() if w.tenant == tenant]

    async def save(self, w: PartnerWebhook) -> None:
        self.items[w.id] = w

    async def delete(self, tenant: str, webhook_id: str) -> bool:
        return self.items.pop(webhook_id, None) is not None


class FakeUow:
    def __init__(self, repo: FakeRepo) -> None:
        self.webhooks = repo
        self.committed = 0

    async def __aenter__(self) -> FakeUow:
        return self

    async def __aexit__(self, *args: Any) -> None:
        return None

    async def commit(self) -> None:
        self.committed += 1


class FakeConsumers:
    def __init__(self) -> None:
        self.changes, self.removed, self.last = 0, [], {"members": 42}

    def changed(self) -> None:
        self.changes += 1

    async def last_sequence(self, service: str) -> int:
        return self.last.get(service, 0)

    async def remove(self, consumers: list[tuple[str, str]]) -> None:
        self.removed.extend(consumers)


class FakeLog:
    async def page(self, tenant: str, webhook_id: str, limit: int, before: str | None) -> list[dict[str, Any]]:
        return []

    async def erase_webhook(self, tenant: str, webhook_id: str) -> int:
        return 0


@pytest.fixture
def app() -> tuple[Any, FakeRepo, FakeConsumers]:
    repo, consumers = FakeRepo(), FakeConsumers()
    bus, _ = wire(lambda: FakeUow(repo), HttpDelivery(1.0, resolver=_public), consumers, FakeLog())
    return bus, repo, consumers


async def _public(host: str, port: int) -> list[str]:
    return {"hooks.example.org": ["93.184.216.34"], "inside.example.org": ["10.0.0.7"]}.get(host, [])


PARTNER = hooks.Who("demo", "crm", staff=False)


async def test_create_checks_types_and_the_resolved_address(app: Any) -> None:
    bus, repo, consumers = app
    with pytest.raises(DomainError, match="not published"):
        await bus.handle(hooks.CreateWebhook(PARTNER, "https://hooks.example.org/in", ["org.alumni.x.y.v1"],
                                             "structured", ""))
    with pytest.raises(UnsafeTarget, match="non-public"):
        await bus.handle(hooks.CreateWebhook(PARTNER, "https://inside.example.org/in", [GROUP], "structured", ""))
    shown = await bus.handle(hooks.CreateWebhook(PARTNER, "https://hooks.example.org/in", [GROUP, GROUP],
                                                 "binary", "CRM"))
    assert shown.secret.startswith("whsec_") and shown.webhook.event_types == [GROUP] and consumers.changes == 1
    assert repo.items[shown.webhook.id].mode is Mode.BINARY


async def test_partners_see_their_own_managers_see_all_other_tenants_nothing(app: Any) -> None:
    bus, _, _ = app
    mine = (await bus.handle(hooks.CreateWebhook(PARTNER, "https://hooks.example.org/a", [GROUP], "structured",
                                                 ""))).webhook
    other = hooks.Who("demo", "other-crm", staff=False)
    await bus.handle(hooks.CreateWebhook(other, "https://hooks.example.org/b", [GROUP], "structured", ""))
    assert [w.id for w in await bus.handle(hooks.ListWebhooks(PARTNER))] == [mine.id]
    assert len(await bus.handle(hooks.ListWebhooks(hooks.Who("demo", "office", staff=True)))) == 2
    for who in (other, hooks.Who("elsewhere", "crm", staff=True)):
        with pytest.raises(DomainError) as hidden:
            await bus.handle(hooks.DisableWebhook(who, mine.id))
        assert hidden.value.status == 404


async def test_replay_needs_an_active_subscription_and_a_covered_stream(app: Any) -> None:
    bus, repo, consumers = app
    w = (await bus.handle(hooks.CreateWebhook(PARTNER, "https://hooks.example.org/a", [GROUP], "structured",
                                              ""))).webhook
    with pytest.raises(DomainError, match="no event type from EVT_EVENTS"):
        await bus.handle(hooks.ReplayWebhook(PARTNER, w.id, None, "EVT_EVENTS", 1))
    with pytest.raises(DomainError, match="nothing to replay"):
        await bus.handle(hooks.ReplayWebhook(PARTNER, w.id, None, "EVT_MEMBERS", 43))
    shown = await bus.handle(hooks.ReplayWebhook(PARTNER, w.id, None, "EVT_MEMBERS", 40))
    assert [(r.service, r.from_sequence, r.until_sequence) for r in shown.webhook.replays] == [("members", 40, 42)]
    await bus.handle(hooks.DisableWebhook(PARTNER, w.id))
    with pytest.raises(DomainError) as conflict:
        await bus.handle(hooks.ReplayWebhook(PARTNER, w.id, NOW, None, None))
    assert conflict.value.status == 409
    await bus.handle(hooks.DeleteWebhook(PARTNER, w.id))
    assert ("members", live_durable(w.id, "members")) in consumers.removed and not repo.items


async def test_auto_disable_publishes_once(app: Any) -> None:
    bus, repo, _ = app
    w = (await bus.handle(hooks.CreateWebhook(PARTNER, "https://hooks.example.org/a", [GROUP], "structured",
                                              ""))).webhook
    assert await bus.handle(hooks.AutoDisable("demo", w.id, "HTTP 500 after 8 attempts", "e1"))
    assert not await bus.handle(hooks.AutoDisable("demo", w.id, "again", "e2"))
    assert repo.items[w.id].status.value == "disabled"
    assert isinstance(hooks.to_contract(repo.items[w.id].pending_events()[0][0]).model_dump(), dict)
