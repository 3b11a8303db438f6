from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from alumni_contracts.notifications.v1 import NotificationSent
from notifications_service.adapters.templates import JinjaRenderer
from notifications_service.bootstrap import composer_for
from notifications_service.config import NotificationsSettings
from notifications_service.domain.bounces import AddressHealth
from notifications_service.domain.feed import FeedItem
from notifications_service.domain.job_alerts import JobAlert, PostedJob
from notifications_service.domain.model import Notification, OutgoingEmail, Status
from notifications_service.domain.preferences import MemberPreferences
from notifications_service.service_layer import handlers
from notifications_service.service_layer.commands import SendWelcome
from notifications_service.service_layer.contract_mapping import to_contract
from notifications_service.service_layer.mailer import Composer
from notifications_service.service_layer.ports import PermanentDeliveryError
from servicekit.testing.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class Store:
    def __init__(self) -> None:
        self.notifications: dict[str, Notification] = {}
        self.contacts: dict[str, dict[str, object]] = {}
        self.retries: list[tuple[str, int, float]] = []
        self.released: list[str] = []
        self.token = "lease-1"
        self.erased: set[str] = set()
        self.feed = FakeFeed()
        self.preferences: dict[str, MemberPreferences] = {}
        self.addresses: dict[str, AddressHealth] = {}
        self.job_alerts: dict[str, JobAlert] = {}
        self.bulk_settles: list[int] = []  # sizes of the chunks settled in one write
        self.unsubscribed_after: set[str] = set()

    # DeliveryQueue
    async def claim(self, limit: int) -> tuple[str, list[Notification]]:
        return self.token, [n for n in self.notifications.values() if n.status is Status.PENDING][:limit]

    async def release(self, notification_ids: list[str], token: str) -> None:
        self.released += notification_ids

    async def retry_later(self, notification_id: str, token: str, attempts: int, delay: float, error: str) -> None:
        self.retries.append((notification_id, attempts, delay))
        self.notifications[notification_id].attempts = attempts


class NoMemberships:
    async def erase(self, tenant: str, member_id: str) -> int:
        return 0


def composer(domain: str = "alumni.test") -> Composer:
    return composer_for(JinjaRenderer(), NotificationsSettings(message_id_domain=domain))


class FakeFeed:
    def __init__(self) -> None:
        self.items: dict[str, FeedItem] = {}

    async def add_if_absent(self, item: FeedItem) -> bool:
        if item.id in self.items:
            return False
        self.items[item.id] = item
        return True

    async def add_many_if_absent(self, items: list[FeedItem]) -> set[str]:
        return {i.id for i in items if await self.add_if_absent(i)}

    async def page(self, tenant: str, member_id: str, before: tuple[datetime, str] | None,
                   limit: int) -> list[FeedItem]:
        mine = sorted((i for i in self.items.values() if (i.tenant, i.member_id) == (tenant, member_id)),
                      key=lambda i: (i.created_at, i.id), reverse=True)
        if before is not None:
            mine = [i for i in mine if (i.created_at, i.id) < before]
        return mine[:limit]

    async def unread(self, tenant: str, member_id: str) -> int:
        return sum(1 for i in self.items.values() if (i.tenant, i.member_id) == (tenant, member_id) and not i.read_at)

    async def mark_read(self, tenant: str, member_id: str, ids: list[str] | None, at: datetime) -> int:
        n = 0
        for key, i in list(self.items.items()):
            if (i.tenant, i.member_id) == (tenant, member_id) and i.read_at is None and (ids is None or key in ids):
                self.items[key] = replace(i, read_at=at)
                n += 1
        return n

    async def erase(self, tenant: str, member_id: str) -> int:
        mine = [k for k, i in self.items.items() if i.member_id == member_id]
        for k in mine:
            del self.items[k]
        return len(mine)


class FakePreferences:
    def __init__(self, uow: FakeUnitOfWork, saved: dict[str, MemberPreferences]) -> None:
        self._uow, self.saved = uow, saved

    async def get(self, tenant: str, member_id: str) -> MemberPreferences | None:
        return self.saved.get(f"{tenant}/{member_id}")

    async def get_many(self, tenant: str, member_ids: list[str]) -> dict[str, MemberPreferences]:
        return {m: p for m in member_ids if (p := self.saved.get(f"{tenant}/{m}")) is not None}

    async def save(self, prefs: MemberPreferences) -> None:
        self.saved[f"{prefs.tenant}/{prefs.id}"] = prefs
        self._uow.track(prefs)

    async def erase(self, tenant: str, member_id: str) -> int:
        return 1 if self.saved.pop(f"{tenant}/{member_id}", None) else 0


class FakeJobAlerts:
    def __init__(self, uow: FakeUnitOfWork, saved: dict[str, JobAlert]) -> None:
        self._uow, self.saved = uow, saved

    async def get(self, tenant: str, member_id: str) -> JobAlert | None:
        return self.saved.get(f"{tenant}/{member_id}")

    async def save(self, alert: JobAlert) -> None:
        self.saved[f"{alert.tenant}/{alert.id}"] = alert
        self._uow.track(alert)

    async def candidates(self, tenant: str, job: PostedJob, after: str | None, limit: int) -> list[JobAlert]:
        found = sorted((a for a in self.saved.values() if a.tenant == tenant and a.enabled
                        and (after is None or a.member_id > after)), key=lambda a: a.member_id)
        return found[:limit]  # the store pre-selects loosely; `matches` decides

    async def erase(self, tenant: str, member_id: str) -> int:
        return 1 if self.saved.pop(f"{tenant}/{member_id}", None) else 0


class FakeAddresses:
    def __init__(self, uow: FakeUnitOfWork, saved: dict[str, AddressHealth]) -> None:
        self._uow, self.saved = uow, saved

    async def get(self, tenant: str, member_id: str, email: str) -> AddressHealth | None:
        return self.saved.get(f"{tenant}/{member_id}:{email.casefold()}")

    async def save(self, h: AddressHealth) -> None:
        self.saved[f"{h.tenant}/{h.id}"] = h
        self._uow.track(h)

    async def erase(self, tenant: str, member_id: str) -> int:
        mine = [k for k, h in self.saved.items() if h.member_id == member_id]
        for k in mine:
            del self.saved[k]
        return len(mine)


class FakeNotificationsUnitOfWork(FakeUnitOfWork):
    def __init__(self, store: Store) -> None:
        super().__init__(to_contract)
        self.store = store
        self.notifications = self
        self.contacts = self
        self.memberships: object = NoMemberships()
        self.feed = store.feed
        self.preferences = FakePreferences(self, store.preferences)
        self.addresses = FakeAddresses(self, store.addresses)
        self.job_alerts = FakeJobAlerts(self, store.job_alerts)

    async def add_if_absent(self, notification: Notification) -> bool:
        if notification.id in self.store.notifications:
            return False
        self.store.notifications[notification.id] = notification
        return True

    async def add_many_if_absent(self, notifications: list[Notification]) -> set[str]:
        return {n.id for n in notifications if await self.add_if_absent(n)}

    async def finish(self, notification: Notification, lease_token: str) -> None:
        assert lease_token == self.store.token
        self.track(notification)

    async def finish_many(self, notifications: list[Notification], lease_token: str) -> list[str]:
        self.store.bulk_settles.append(len(notifications))
        for n in notifications:
            await self.finish(n, lease_token)
        return [n.id for n in notifications]

    async def count_unsubscribe(self, tenant: str, member_id: str) -> str | None:
        sent = [n for n in self.store.notifications.values() if n.member_id == member_id
                and n.template == "newsletter" and n.status is Status.SENT and n.about and n.sent_at]
        last = max(sent, key=lambda n: n.sent_at or NOW, default=None)
        if last is None or last.id in self.store.unsubscribed_after:
            return None
        self.store.unsubscribed_after.add(last.id)
        return last.about

    async def get(self, tenant: str, member_id: str) -> dict[str, object] | None:
        return self.store.contacts.get(member_id)

    async def get_many(self, tenant: str, member_ids: list[str]) -> dict[str, dict[str, object]]:
        return {m: c for m in member_ids if (c := self.store.contacts.get(m)) is not None}

    async def erased(self, tenant: str, member_id: str) -> bool:
        return member_id in self.store.erased

    async def erase(self, tenant: str, member_id: str) -> int:
        return 1 if self.store.contacts.pop(member_id, None) is not None else 0

    async def mark_bouncing(self, tenant: str, member_id: str, email: str) -> None:
        contact = self.store.contacts.get(member_id)
        if contact is not None and contact.get("email") == email:
            contact.update(email_bounced=True, contactable=False)

    async def contactability(self, tenant: str) -> list[dict[str, object]]:
        return []

    async def by_message_id(self, tenant: str, message_id: str) -> Notification | None:
        return next((n for n in self.store.notifications.values()
                     if n.tenant == tenant and n.email is not None and n.email.message_id == message_id), None)

    async def erase_for(self, tenant: str, member_id: str) -> int:
        mine = [k for k, n in self.store.notifications.items() if n.member_id == member_id]
        for k in mine:
            del self.store.notifications[k]
        return len(mine)

    async def scrub_member(self, tenant: str, member_id: str, keep_types: frozenset[str] = frozenset()) -> dict[str, int]:
        self.store.erased.add(member_id)  # the Mongo unit of work leaves a tombstone
        return await super().scrub_member(tenant, member_id, keep_types)

    async def apply(self, tenant: str, member_id: str, version: int, fields: dict[str, object],
                    version_field: str) -> bool:
        contact = self.store.contacts.setdefault(member_id, {})
        if contact.get(version_field, 0) >= version:  # type: ignore[operator]
            return False
        contact.update(fields)
        contact[version_field] = version
        return True


class RecordingMailer:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.sent: list[OutgoingEmail] = []
        self.fail_with = fail_with

    async def send(self, email: OutgoingEmail, tenant: str = "") -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(email)


def welcome(locale: str = "fr", event_id: str = "evt-1") -> SendWelcome:
    return SendWelcome(tenant="demo", cause_event_id=event_id, member_id="m1", member_version=1, first_name="Zoé",
                       last_name="Martin", email="zoe@example.org", locale=locale, program="MSc Finance",
                       graduation_year=2012)


@pytest.mark.parametrize(("locale", "subject", "phrase"), [
    ("fr", "Bienvenue dans le réseau des alumni, Zoé !", "promotion 2012 (MSc Finance)"),
    ("en", "Welcome to the alumni network, Zoé!", "class of 2012 (MSc Finance)"),
    ("de", "Bienvenue dans le réseau des alumni, Zoé !", "promotion 2012"),  # unsupported → French
])
async def test_welcome_is_rendered_in_the_member_language(locale: str, subject: str, phrase: str) -> None:
    store = Store()
    key = await handlers.queue_welcome(welcome(locale), FakeNotificationsUnitOfWork(store), composer("a.test"))
    email = store.notifications[key].email
    assert email is not None and email.subject == subject and phrase in email.body_text
    assert email.message_id == "<welcome-evt-1@a.test>"


async def test_same_cause_queues_one_notification() -> None:
    store = Store()
    for _ in range(2):
        await handlers.queue_welcome(welcome(), FakeNotificationsUnitOfWork(store), composer("a.test"))
    assert len(store.notifications) == 1


async def test_delivery_sends_once_and_publishes_notification_sent() -> None:
    store = Store()
    await handlers.queue_welcome(welcome(), FakeNotificationsUnitOfWork(store), composer("a.test"))
    mailer = RecordingMailer()
    uows: list[FakeNotificationsUnitOfWork] = []

    def uow() -> FakeNotificationsUnitOfWork:
        uows.append(FakeNotificationsUnitOfWork(store))
        return uows[-1]

    assert await handlers.deliver_due(store, mailer, uow, batch_size=10, max_attempts=3, clock=lambda: NOW) == 1
    assert await handlers.deliver_due(store, mailer, uow, batch_size=10, max_attempts=3) == 0
    assert len(mailer.sent) == 1
    [event] = [e for u in uows for e in u.published]
    assert isinstance(event.data, NotificationSent)
    assert event.data.notification_id == "welcome-evt-1" and event.data.sent_at == NOW


async def test_transient_failure_is_retried_later_then_given_up() -> None:
    store = Store()
    await handlers.queue_welcome(welcome(), FakeNotificationsUnitOfWork(store), composer("a.test"))
    mailer = RecordingMailer(fail_with=ConnectionRefusedError("smtp down"))
    uow = lambda: FakeNotificationsUnitOfWork(store)  # noqa: E731
    assert await handlers.deliver_due(store, mailer, uow, batch_size=10, max_attempts=2) == 0
    assert store.retries[0][:2] == ("welcome-evt-1", 1)
    assert await handlers.deliver_due(store, mailer, uow, batch_size=10, max_attempts=2) == 1
    notification = store.notifications["welcome-evt-1"]
    assert notification.status is Status.FAILED and "gave up after 2 attempts" in (notification.failure or "")


async def test_permanent_refusal_is_not_retried_and_not_announced_as_sent() -> None:
    store = Store()
    await handlers.queue_welcome(welcome(), FakeNotificationsUnitOfWork(store), composer("a.test"))
    uows: list[FakeNotificationsUnitOfWork] = []

    def uow() -> FakeNotificationsUnitOfWork:
        uows.append(FakeNotificationsUnitOfWork(store))
        return uows[-1]

    mailer = RecordingMailer(fail_with=PermanentDeliveryError("550 no such user"))
    await handlers.deliver_due(store, mailer, uow, batch_size=10, max_attempts=5)
    assert store.notifications["welcome-evt-1"].status is Status.FAILED
    assert store.retries == [] and [e for u in uows for e in u.published] == []


async def test_one_notification_that_cannot_be_settled_does_not_hold_back_the_others() -> None:
    """A notification whose settling fails (e.g. its event does not validate) is left for its
    lease to expire; the round goes on with the others instead of failing as a whole."""
    store = Store()
    for i in range(3):
        await handlers.queue_welcome(welcome(event_id=f"evt-{i}"), FakeNotificationsUnitOfWork(store),
                                     composer("a.test"))

    class Refusing(FakeNotificationsUnitOfWork):
        async def finish(self, notification: Notification, lease_token: str) -> None:
            if notification.id == "welcome-evt-1":
                raise ValueError("notification_sent does not validate")
            await super().finish(notification, lease_token)

    mailer = RecordingMailer()
    settled = await handlers.deliver_due(store, mailer, lambda: Refusing(store), batch_size=10, max_attempts=3)
    assert settled == 2 and len(mailer.sent) == 3


async def test_a_stopping_worker_sends_the_email_in_progress_and_gives_the_rest_back() -> None:
    store = Store()
    for i in range(3):
        await handlers.queue_welcome(welcome(event_id=f"evt-{i}"), FakeNotificationsUnitOfWork(store),
                                     composer("a.test"))
    mailer = RecordingMailer()
    settled = await handlers.deliver_due(store, mailer, lambda: FakeNotificationsUnitOfWork(store), batch_size=10,
                                         max_attempts=3, stopping=lambda: len(mailer.sent) >= 1)
    assert settled == 1 and len(mailer.sent) == 1
    assert store.released == ["welcome-evt-1", "welcome-evt-2"]


async def test_bootstrapped_service_queues_on_member_registered_and_wakes_the_mailer() -> None:
    from alumni_contracts.common import Locale
    from notifications_service.bootstrap import bootstrap
    from notifications_service.config import NotificationsSettings
    from servicekit.testing.factories import member_registered_event

    store = Store()
    mailer = RecordingMailer()
    parts, worker = bootstrap(lambda: FakeNotificationsUnitOfWork(store), store, mailer, JinjaRenderer(),
                              NotificationsSettings(message_id_domain="a.test"))
    subscribers = {sub.durable: handler for sub, handler in parts.events}
    on_member_registered = subscribers["notifications-registered-v2"]
    event = member_registered_event(member_id="m3", locale=Locale.EN)
    await on_member_registered(event)
    assert list(store.notifications) == [f"welcome-{event.id}"]
    assert store.contacts["m3"]["locale"] == "en"
    assert worker.wake_pending, "the mailer is woken at once instead of waiting for its poll"


async def test_notification_sent_is_caused_by_the_registration_and_shares_its_correlation() -> None:
    """register → member_registered → (queued, later delivered by the worker) → notification_sent:
    the worker runs outside any message, yet its event names the registration as its cause."""
    from notifications_service.bootstrap import bootstrap
    from notifications_service.config import NotificationsSettings
    from servicekit.testing.factories import member_registered_event
    from servicekit.testing.fakes import handle_as_consumer

    store = Store()
    uows: list[FakeNotificationsUnitOfWork] = []

    def uow() -> FakeNotificationsUnitOfWork:
        uows.append(FakeNotificationsUnitOfWork(store))
        return uows[-1]

    parts, _ = bootstrap(uow, store, RecordingMailer(), JinjaRenderer(), NotificationsSettings(message_id_domain="a.test"))
    on_member_registered = {sub.durable: handler for sub, handler in parts.events}["notifications-registered-v2"]
    registered = member_registered_event(member_id="m5")
    await handle_as_consumer(on_member_registered, registered, "notifications")
    assert await handlers.deliver_due(store, RecordingMailer(), uow, batch_size=10, max_attempts=3) == 1
    [sent] = [e for u in uows for e in u.published if isinstance(e.data, NotificationSent)]
    assert sent.causationid == registered.id
    assert sent.correlationid == registered.correlationid == "corr-1"


async def test_a_notification_queued_before_causes_were_stored_still_names_its_cause() -> None:
    store = Store()
    await handlers.queue_welcome(welcome(event_id="evt-7"), FakeNotificationsUnitOfWork(store), composer("a"))
    queued = store.notifications["welcome-evt-7"]
    queued.cause_event_id = queued.correlation_id = None  # a row written by an earlier version
    uows: list[FakeNotificationsUnitOfWork] = []

    def uow() -> FakeNotificationsUnitOfWork:
        uows.append(FakeNotificationsUnitOfWork(store))
        return uows[-1]

    await handlers.deliver_due(store, RecordingMailer(), uow, batch_size=10, max_attempts=3)
    [sent] = [e for u in uows for e in u.published]
    assert sent.causationid == "evt-7" and sent.correlationid


async def test_contact_projection_follows_profile_and_consents_in_any_order() -> None:
    from notifications_service.service_layer.commands import RecordConsentState, UpdateContact

    store = Store()
    uow = lambda: FakeNotificationsUnitOfWork(store)  # noqa: E731
    await handlers.queue_welcome(welcome(), uow(), composer("a.test"))  # member version 1
    # Version 3 (a consent) arrives before version 2 (a profile change): both must apply.
    await handlers.record_consent_state(RecordConsentState("demo", "m1", 3, "newsletter", True), uow())
    await handlers.update_contact(UpdateContact("demo", "m1", 2, "Zoé", "Martin", "new@example.org", "en",
                                                email_bounced=True, mail_returned=False, deceased=False), uow())
    # A stale repeat of version 1's data is ignored.
    await handlers.update_contact(UpdateContact("demo", "m1", 1, "Old", "Name", "old@example.org", "fr",
                                                email_bounced=False, mail_returned=False, deceased=False), uow())
    contact = store.contacts["m1"]
    assert contact["consents.newsletter"] is True and contact["email"] == "new@example.org"
    assert contact["contactable"] is False, "a bouncing address is not written to"


async def test_erasure_deletes_contact_and_messages_confirms_and_ignores_late_events() -> None:
    from alumni_contracts.notifications.v1 import MemberDataErased
    from servicekit.erasure import EraseMemberData, erase_member_data

    store = Store()
    renderer = composer()
    await handlers.queue_welcome(welcome(), FakeNotificationsUnitOfWork(store), renderer)
    assert store.contacts and store.notifications
    uow = FakeNotificationsUnitOfWork(store)
    await erase_member_data(EraseMemberData("demo", "erasure-1", "m1"), uow, handlers.erase_recipient)
    assert store.contacts == {} and store.notifications == {}
    [confirmation] = [e.data for e in uow.published]
    assert isinstance(confirmation, MemberDataErased) and confirmation.erasure_id == "erasure-1"
    assert confirmation.erased == {"contacts": 1, "notifications": 1, "dues_memberships": 0, "feed": 1,
                                  "preferences": 0, "addresses": 0, "job_alerts": 0}
    assert "m1" not in confirmation.model_dump_json(), "the confirmation names nobody"
    # A redelivered registration event after the erasure must not bring the member back.
    await handlers.queue_welcome(welcome(), FakeNotificationsUnitOfWork(store), renderer)
    assert store.contacts == {} and store.notifications == {}


async def test_group_invitation_is_written_to_known_contactable_members_in_their_language() -> None:
    from notifications_service.service_layer.commands import SendGroupInvitation, UpdateContact

    store = Store()
    renderer = composer()
    await handlers.queue_welcome(welcome("en"), FakeNotificationsUnitOfWork(store), renderer)
    invite = SendGroupInvitation("demo", "evt-9", "m1", "Alumni de Lyon")
    queued = await handlers.queue_group_invitation(invite, FakeNotificationsUnitOfWork(store), renderer)
    assert queued == "group_invitation-evt-9"
    email = store.notifications[queued].email
    assert email is not None and email.subject == 'Invitation to join "Alumni de Lyon"' and email.to == "zoe@example.org"
    assert await handlers.queue_group_invitation(SendGroupInvitation("demo", "evt-10", "nobody", "X"),
                                                 FakeNotificationsUnitOfWork(store), renderer) is None
    await handlers.update_contact(UpdateContact(tenant="demo", member_id="m1", member_version=5, first_name="Zoé",
                                                last_name="Martin", email="zoe@example.org", locale="en",
                                                email_bounced=True, mail_returned=False, deceased=False),
                                  FakeNotificationsUnitOfWork(store))
    assert await handlers.queue_group_invitation(SendGroupInvitation("demo", "evt-11", "m1", "X"),
                                                 FakeNotificationsUnitOfWork(store), renderer) is None, \
        "no email to a bouncing address"


async def test_a_member_without_an_email_gets_no_welcome_and_is_not_contactable() -> None:
    from dataclasses import replace

    from notifications_service.service_layer.commands import UpdateContact

    store = Store()
    key = await handlers.queue_welcome(replace(welcome(), email=None), FakeNotificationsUnitOfWork(store),
                                       composer("a.test"))
    assert key is None and store.notifications == {}, "nowhere to send it: skipped, not failed"
    assert store.contacts["m1"]["contactable"] is False and store.contacts["m1"]["email"] is None
    await handlers.update_contact(UpdateContact(
        tenant="demo", member_id="m1", member_version=2, first_name="Zoé", last_name="Martin", email=None,
        locale="fr", email_bounced=False, mail_returned=False, deceased=False), FakeNotificationsUnitOfWork(store))
    assert store.contacts["m1"]["contactable"] is False
    imported = await handlers.queue_welcome(replace(welcome(event_id="evt-2"), imported=True),
                                            FakeNotificationsUnitOfWork(Store()), composer("a.test"))
    assert imported is None, "imported members get no welcome email either"


async def test_a_silent_helper_is_nudged_once_in_their_language() -> None:
    from notifications_service.service_layer.commands import SendHelpNudge

    store = Store()
    renderer = composer()
    await handlers.queue_welcome(welcome("en"), FakeNotificationsUnitOfWork(store), renderer)
    nudge = SendHelpNudge("demo", "evt-nudge-1", "m1", "career_change", datetime(2027, 3, 15, 9, tzinfo=UTC))
    queued = await handlers.queue_help_nudge(nudge, FakeNotificationsUnitOfWork(store), renderer)
    assert queued == "help_nudge-evt-nudge-1"
    email = store.notifications[queued].email
    assert email is not None and email.to == "zoe@example.org"
    assert email.subject == "Reminder: a help request is waiting for you"
    assert "a career change" in email.body_text and "15 March 2027" in email.body_text
    assert [f.title for f in store.feed.items.values() if f.kind == "help_nudge"] == [email.subject], "in-app too"
    again = await handlers.queue_help_nudge(nudge, FakeNotificationsUnitOfWork(store), renderer)
    assert again is None and len([n for n in store.notifications if n.startswith("help_nudge")]) == 1, \
        "a redelivered help_nudged queues nothing more"
    with pytest.raises(handlers.ContactNotKnownYet):  # retried until members' registration arrives
        await handlers.queue_help_nudge(SendHelpNudge("demo", "evt-nudge-2", "nobody", "other",
                                                      datetime(2027, 3, 15, tzinfo=UTC)),
                                        FakeNotificationsUnitOfWork(store), renderer)
