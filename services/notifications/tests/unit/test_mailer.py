"""The mailer API, preferences and consent, one-click unsubscribe, bounces and the in-app feed,
through the handlers and `bootstrap(...)` with fakes (no servers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest

from alumni_contracts.notifications import commands as nc
from alumni_contracts.notifications.v1 import EmailAddressInvalidated, UnsubscribeRequested
from alumni_contracts.rpc import Principal, Role
from notifications_service.adapters.smtp import TenantRate, to_mime
from notifications_service.adapters.templates import JinjaRenderer
from notifications_service.bootstrap import bootstrap, composer_for
from notifications_service.config import NotificationsSettings
from notifications_service.domain.bounces import BouncePolicy
from notifications_service.domain.branding import Brand
from notifications_service.domain.model import Status
from notifications_service.domain.preferences import Category, Channel
from notifications_service.domain.unsubscribe import InvalidUnsubscribeToken, UnsubscribeSigner
from notifications_service.service_layer import handlers
from notifications_service.service_layer import member_notifications as mn
from notifications_service.service_layer.mailer import Message, queue_message
from notifications_service.service_layer.ports import RecipientDeferred, RecipientRefused

from .test_welcome import FakeNotificationsUnitOfWork, Store, composer

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SECRET = "bounce-secret-for-tests"
HOSTILE = '<script>alert(1)</script>"&'


def contact(consent: bool = True, **extra: Any) -> dict[str, Any]:
    return {"email": "zoe@example.org", "locale": "en", "first_name": HOSTILE, "last_name": "Martin",
            "contactable": True, "consents": {"newsletter": consent}, **extra}


def newsletter(member: str = "m1", cause: str = "nl-1") -> Message:
    return Message(tenant="demo", member_id=member, kind="welcome", category=Category.NEWSLETTERS, marketing=True,
                   cause=cause, per_member=True, values={"program": "MSc", "graduation_year": 2016})


async def queue(store: Store, message: Message) -> Any:
    uow = FakeNotificationsUnitOfWork(store)
    async with uow:
        outcome = await queue_message(message, uow, composer())
        await uow.commit()
    return outcome


# -- rendering ---------------------------------------------------------------------------

@pytest.mark.parametrize(("locale", "greeting", "lang"), [("fr", "Bonjour", 'lang="fr"'),
                                                        ("en", "Dear", 'lang="en"')])
def test_template_pair_is_escaped_inlined_branded_and_in_the_member_language(locale: str, greeting: str,
                                                                              lang: str) -> None:
    brand = Brand(name="Ecole Test", primary_colour="#aa0000", logo_url="https://example.org/logo.png")
    rendered = JinjaRenderer().render_email("welcome", locale, {
        "first_name": HOSTILE, "last_name": "X", "program": "MSc", "graduation_year": 2016}, brand)
    assert HOSTILE in rendered.text, "plain text is not HTML-escaped"
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert greeting in rendered.html and lang in rendered.html
    assert "<style" not in rendered.html and "style=" in rendered.html, "CSS inlined by css-inline"
    assert "#aa0000" in rendered.html and "Ecole Test" in rendered.html and "https://example.org/logo.png" in rendered.html


def test_every_text_template_has_its_html_pair() -> None:
    from importlib.resources import files
    names = {p.name for p in files("notifications_service").joinpath("templates").iterdir()}
    texts = {n.removesuffix(".txt.j2") for n in names if n.endswith(".txt.j2")}
    assert texts and all(f"{t}.html.j2" in names for t in texts)
    renderer = JinjaRenderer()
    rendered = renderer.render_email("dues_lapsed", "en", {
        "first_name": "Zoé", "lifetime": False, "paid_until": "1 March 2027", "grace_until": "", "next_instalment": None,
        "missed_instalment": None, "plan_name": "Annual", "amount": "€50.00"}, Brand())
    assert "<p style=" in rendered.html and "Zoé" in rendered.html


def test_brand_refuses_bad_colours_and_plain_http_logos() -> None:
    with pytest.raises(ValueError):
        Brand(primary_colour="red")
    with pytest.raises(ValueError):
        Brand(logo_url="http://example.org/logo.png")


# -- who receives what -------------------------------------------------------------------

async def test_marketing_needs_the_consent_and_carries_rfc_8058_headers() -> None:
    store = Store()
    store.contacts["m1"] = contact(consent=False)
    assert not await queue(store, newsletter())
    store.contacts["m1"] = contact(consent=True)
    outcome = await queue(store, newsletter())
    assert outcome.email and outcome.in_app and outcome.key == "welcome-nl-1-m1"
    email = store.notifications["welcome-nl-1-m1"].email
    assert email is not None and email.marketing
    headers = dict(email.headers)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<http") and "/api/v1/public/unsubscribe?tenant=demo&token=" in \
        headers["List-Unsubscribe"]
    mime = message_from_bytes(bytes(to_mime(email, "Alumni <a@example.org>")), policy=policy.default)
    assert mime.get_content_type() == "multipart/alternative"
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and mime["Content-Language"] == "en"
    assert mime.get_body(("html",)) is not None and mime.get_body(("plain",)) is not None
    assert not await queue(store, newsletter()), "the same (kind, member, cause) is queued once"
    assert len(store.notifications) == 1 and len(store.feed.items) == 1


async def test_transactional_mail_ignores_preferences_and_has_no_unsubscribe_header() -> None:
    store = Store()
    store.contacts["m1"] = contact(consent=False)
    await set_prefs(store, {(Category.MEMBERSHIP, Channel.EMAIL): False})
    outcome = await queue(store, Message(tenant="demo", member_id="m1", kind="welcome", category=Category.MEMBERSHIP,
                                         marketing=False, cause="evt-9",
                                         values={"program": "MSc", "graduation_year": 2016}))
    assert outcome.email
    email = store.notifications["welcome-evt-9"].email
    assert email is not None and not email.headers


async def test_preferences_choose_the_channels_of_marketing_messages() -> None:
    store = Store()
    store.contacts["m1"] = contact()
    view = await set_prefs(store, {(Category.NEWSLETTERS, Channel.EMAIL): False})
    assert view.table["newsletters"] == {"email": False, "in_app": True} and view.consents["newsletter"] is True
    outcome = await queue(store, newsletter())
    assert not outcome.email and outcome.in_app
    await set_prefs(store, {(Category.NEWSLETTERS, Channel.IN_APP): False})
    assert not await queue(store, newsletter(cause="nl-2"))


async def test_a_bouncing_or_deceased_member_gets_no_email() -> None:
    store = Store()
    store.contacts["m1"] = contact(contactable=False, email_bounced=True)
    outcome = await queue(store, newsletter())
    assert not outcome.email and outcome.in_app
    store.contacts["m1"] = contact(deceased=True)
    assert not await queue(store, newsletter(cause="nl-2"))


async def set_prefs(store: Store, choices: dict[tuple[Category, Channel], bool]) -> mn.PreferencesView:
    return await mn.set_preferences(mn.SetPreferences("demo", "m1", choices), FakeNotificationsUnitOfWork(store),
                                    clock=lambda: NOW)


# -- one-click unsubscribe ---------------------------------------------------------------

SIGNER = UnsubscribeSigner("unsubscribe-secret-for-tests")


async def test_one_click_unsubscribe_stops_the_next_send_and_asks_members_to_withdraw_the_consent() -> None:
    store = Store()
    store.contacts["m1"] = contact()
    token = SIGNER.issue("demo", "m1", "newsletters", "en", NOW)
    info = await mn.check_unsubscribe(mn.CheckUnsubscribe("demo", token), FakeNotificationsUnitOfWork(store), SIGNER,
                                      clock=lambda: NOW)
    assert (info.category, info.locale, info.already) == ("newsletters", "en", False)
    uow = FakeNotificationsUnitOfWork(store)
    done = await mn.apply_unsubscribe(mn.ApplyUnsubscribe("demo", token), uow, SIGNER, clock=lambda: NOW)
    assert not done.already
    [event] = [e.data for e in uow.published]
    assert isinstance(event, UnsubscribeRequested)
    assert (event.member_id, event.category, event.purpose, event.source) == ("m1", "newsletters", "newsletter",
                                                                              "one-click")
    assert not (await queue(store, newsletter(cause="nl-2"))).email, "the very next send respects it"
    again = FakeNotificationsUnitOfWork(store)
    assert (await mn.apply_unsubscribe(mn.ApplyUnsubscribe("demo", token), again, SIGNER, clock=lambda: NOW)).already
    assert again.published == [], "a second click records nothing new"


async def test_unsubscribe_from_jobs_turns_the_category_off_without_withdrawing_the_newsletter() -> None:
    store = Store()
    uow = FakeNotificationsUnitOfWork(store)
    await mn.apply_unsubscribe(mn.ApplyUnsubscribe("demo", SIGNER.issue("demo", "m1", "jobs", "fr", NOW)), uow,
                               SIGNER, clock=lambda: NOW)
    [event] = [e.data for e in uow.published]
    assert event.purpose is None and event.category == "jobs"


@pytest.mark.parametrize("case", ["tampered", "expired", "other-tenant", "garbage", "unknown-category"])
async def test_bad_unsubscribe_links_are_refused(case: str) -> None:
    token = SIGNER.issue("demo", "m1", "newsletters", "fr", NOW)
    tenant, at = "demo", NOW
    if case == "tampered":
        token = SIGNER.issue("demo", "m2", "newsletters", "fr", NOW).split(".")[0] + "." + token.split(".")[1]
    elif case == "expired":
        at = NOW + timedelta(days=61)
    elif case == "other-tenant":
        tenant = "other"
    elif case == "garbage":
        token = "not-a-token.at-all"
    else:
        token = SIGNER.issue("demo", "m1", "spam", "fr", NOW)
    with pytest.raises(InvalidUnsubscribeToken) as refused:
        await mn.apply_unsubscribe(mn.ApplyUnsubscribe(tenant, token), FakeNotificationsUnitOfWork(Store()), SIGNER,
                                   clock=lambda: at)
    assert refused.value.status == 400


def test_the_signer_wants_a_real_secret() -> None:
    with pytest.raises(ValueError):
        UnsubscribeSigner("short")


# -- bounces -----------------------------------------------------------------------------

async def sent_welcome(store: Store) -> str:
    store.contacts["m1"] = contact()
    await queue(store, Message(tenant="demo", member_id="m1", kind="welcome", category=Category.MEMBERSHIP,
                               marketing=False, cause="evt-1", values={"program": "MSc", "graduation_year": 2016}))
    email = store.notifications["welcome-evt-1"].email
    assert email is not None
    return email.message_id


def report(message_id: str, kind: str = "bounce", bounce_type: str = "hard", report_id: str = "r1") -> str:
    return json.dumps({"id": report_id, "type": kind, "bounce_type": bounce_type, "message_id": message_id})


async def bounce(store: Store, payload: str, signature: str | None = None, at: datetime = NOW
                 ) -> tuple[str, FakeNotificationsUnitOfWork]:
    uow = FakeNotificationsUnitOfWork(store)
    outcome = await mn.receive_bounce(mn.ReceiveBounce("demo", payload, signature or mn.sign(SECRET, payload,
                                                                                             at.timestamp())),
                                      uow, SECRET, BouncePolicy(), clock=lambda: at)
    return outcome, uow


async def test_a_hard_bounce_invalidates_the_address_once() -> None:
    store = Store()
    message_id = await sent_welcome(store)
    outcome, uow = await bounce(store, report(message_id))
    assert outcome == "processed"
    [event] = [e.data for e in uow.published]
    assert isinstance(event, EmailAddressInvalidated) and event.reason == "hard-bounce" and event.member_id == "m1"
    assert store.contacts["m1"]["contactable"] is False
    assert (await bounce(store, report(message_id)))[0] == "duplicate", "the provider's retry changes nothing"
    assert (await bounce(store, report("<unknown@x>", report_id="r2")))[0] == "ignored"


async def test_repeated_soft_bounces_invalidate_the_address_complaints_withdraw_the_newsletter() -> None:
    store = Store()
    message_id = await sent_welcome(store)
    for n in range(2):
        _, uow = await bounce(store, report(message_id, bounce_type="soft", report_id=f"s{n}"),
                              at=NOW + timedelta(days=n))
        assert uow.published == []
    _, uow = await bounce(store, report(message_id, bounce_type="soft", report_id="s2"), at=NOW + timedelta(days=2))
    [event] = [e.data for e in uow.published]
    assert isinstance(event, EmailAddressInvalidated) and event.reason == "repeated-soft-bounces"
    _, uow = await bounce(store, report(message_id, kind="complaint", report_id="c1"))
    [complaint] = [e.data for e in uow.published]
    assert isinstance(complaint, UnsubscribeRequested) and complaint.source == "complaint"


@pytest.mark.parametrize("case", ["bad-signature", "stale", "malformed-header", "not-json", "bad-type"])
async def test_bad_bounce_webhooks_are_refused(case: str) -> None:
    store = Store()
    message_id = await sent_welcome(store)
    payload, signature = report(message_id), None
    if case == "bad-signature":
        signature = mn.sign("another-secret", payload, NOW.timestamp())
    elif case == "stale":
        signature = mn.sign(SECRET, payload, NOW.timestamp() - 301)
    elif case == "malformed-header":
        signature = "v1=abc"
    elif case == "not-json":
        payload = "nope"
    else:
        payload = report(message_id, kind="delivered")
    with pytest.raises(mn.BadWebhook) as refused:
        await bounce(store, payload, signature)
    assert refused.value.status == 400


async def test_smtp_refusals_are_bounces_too() -> None:
    store = Store()
    await sent_welcome(store)

    class Refusing:
        async def send(self, email: Any, tenant: str = "") -> None:
            raise RecipientRefused("550 no such user")

    uows: list[FakeNotificationsUnitOfWork] = []

    def uow() -> FakeNotificationsUnitOfWork:
        uows.append(FakeNotificationsUnitOfWork(store))
        return uows[-1]

    assert await handlers.deliver_due(store, Refusing(), uow, batch_size=10, max_attempts=3, clock=lambda: NOW) == 1
    assert store.notifications["welcome-evt-1"].status is Status.FAILED
    assert any(isinstance(e.data, EmailAddressInvalidated) for u in uows for e in u.published)

    class Deferring:
        async def send(self, email: Any, tenant: str = "") -> None:
            raise RecipientDeferred("451 mailbox full")

    store2 = Store()
    await sent_welcome(store2)
    uows.clear()
    for _ in range(2):
        await handlers.deliver_due(store2, Deferring(), lambda: FakeNotificationsUnitOfWork(store2), batch_size=10,
                                   max_attempts=2, clock=lambda: NOW)
    assert store2.notifications["welcome-evt-1"].status is Status.FAILED
    [health] = store2.addresses.values()
    assert len(health.soft_bounces) == 1 and health.invalidated_at is None


# -- the feed ----------------------------------------------------------------------------

async def test_feed_pages_counts_unread_and_marks_only_ones_own_items_read() -> None:
    store = Store()
    store.contacts["m1"] = contact()
    store.contacts["m2"] = contact()
    for n in range(5):
        await queue(store, newsletter(cause=f"nl-{n}"))
    await queue(store, newsletter(member="m2", cause="nl-0"))
    first = await mn.list_feed(mn.ListFeed("demo", "m1", 2), FakeNotificationsUnitOfWork(store))
    assert len(first.items) == 2 and first.unread == 5 and first.next_cursor
    seen = [i.id for i in first.items]
    while first.next_cursor:
        first = await mn.list_feed(mn.ListFeed("demo", "m1", 2, first.next_cursor), FakeNotificationsUnitOfWork(store))
        seen += [i.id for i in first.items]
    assert sorted(seen) == sorted(f"welcome-nl-{n}-m1" for n in range(5)) and len(set(seen)) == 5
    marked = await mn.mark_read(mn.MarkRead("demo", "m1", ["welcome-nl-0-m1", "welcome-nl-0-m2"]),
                                FakeNotificationsUnitOfWork(store), clock=lambda: NOW)
    assert (marked.marked, marked.unread) == (1, 4), "another member's item is not touched"
    assert (await mn.mark_read(mn.MarkRead("demo", "m1", None), FakeNotificationsUnitOfWork(store))).unread == 0
    assert (await mn.list_feed(mn.ListFeed("demo", "m2", 10), FakeNotificationsUnitOfWork(store))).unread == 1
    with pytest.raises(mn.InvalidCursor):
        await mn.list_feed(mn.ListFeed("demo", "m1", 2, "bm9wZQ"), FakeNotificationsUnitOfWork(store))


# -- pacing and wiring -------------------------------------------------------------------

def test_tenant_rate_paces_each_tenant_separately() -> None:
    now = [0.0]
    rate = TenantRate(2, clock=lambda: now[0])
    assert [rate.delay("a") for _ in range(2)] == [0.0, 0.0]
    assert rate.delay("a") == pytest.approx(0.5)
    assert rate.delay("b") == 0.0, "another tenant has its own bucket"
    now[0] = 10.0
    assert rate.delay("a") == 0.0
    assert TenantRate(0).delay("a") == 0.0


async def test_use_cases_are_served_through_bootstrap_with_their_roles() -> None:
    store = Store()
    store.contacts["m1"] = contact()
    await queue(store, newsletter())
    parts, _ = bootstrap(lambda: FakeNotificationsUnitOfWork(store), store, None, JinjaRenderer(),  # type: ignore[arg-type]
                         NotificationsSettings(message_id_domain="a.test"))
    served = {h.subject: h for h in parts.requests}
    feed = served["qry.notifications.list_my_notifications"]
    assert Role.PUBLIC not in feed.roles
    alumna = Principal(tenant="demo", subject="u1", roles=frozenset({Role.ALUMNUS}), member_id="m1")
    page = await feed.handler(nc.ListMyNotifications(limit=5), alumna)
    assert isinstance(page, nc.NotificationFeedPage) and page.unread == 1 and page.items[0].category == "newsletters"
    assert served["cmd.notifications.unsubscribe"].roles == frozenset({Role.PUBLIC})
    assert served["qry.notifications.get_contactability"].roles == frozenset({Role.MANAGER, Role.ADMIN})
    composer_for(JinjaRenderer(), NotificationsSettings())  # the default settings compose


async def test_a_withdrawal_after_queueing_stops_the_queued_marketing_email() -> None:
    """A long fan-out queues first and sends later: the mailer checks consent and preference
    again when the email's turn comes."""
    store = Store()
    store.contacts["m1"] = contact()
    store.contacts["m2"] = contact()
    await queue(store, newsletter("m1"))
    await queue(store, newsletter("m2"))
    store.contacts["m1"] = contact(consent=False)  # member_consent_changed projected meanwhile

    class Recording:
        def __init__(self) -> None:
            self.sent: list[str] = []

        async def send(self, email: Any, tenant: str = "") -> None:
            self.sent.append(email.to + email.message_id)

    mailer = Recording()
    settled = await handlers.deliver_due(store, mailer, lambda: FakeNotificationsUnitOfWork(store), batch_size=10,
                                         max_attempts=3, clock=lambda: NOW)
    assert settled == 2 and len(mailer.sent) == 1 and "welcome-nl-1-m2" in mailer.sent[0]
    assert store.notifications["welcome-nl-1-m1"].status is Status.WITHDRAWN
