"""Dues reminders: one per (member, period, stage) — keyed by the transition event — in the
member's language, only to a contactable member, none after a refund."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.members import membership_v1 as mv
from notifications_service.adapters.templates import JinjaRenderer
from notifications_service.bootstrap import bootstrap
from notifications_service.config import NotificationsSettings

from .test_welcome import FakeNotificationsUnitOfWork, RecordingMailer, Store

UNTIL = datetime(2027, 3, 31, 10, tzinfo=UTC)
COMMON: dict[str, Any] = {"membership_id": "ms1", "member_id": "m1", "plan_id": "p1", "plan_kind": "annual",
                          "paid_until": datetime(2027, 3, 1, 10, tzinfo=UTC), "at": datetime(2027, 3, 1, 10, tzinfo=UTC)}


def grace(missed: int | None = None) -> CloudEvent[Any]:
    data = mv.MembershipEnteredGrace(**COMMON, status="in_grace", reason="period-ended", grace_until=UNTIL,
                                     missed_instalment=missed)
    return CloudEvent.wrap(data, tenant="demo", subject="ms1", aggregate_version=3, correlation_id="c1")


def lapsed(reason: str = "grace-ended") -> CloudEvent[Any]:
    data = mv.MembershipLapsed(**COMMON, status="lapsed", reason=reason)
    return CloudEvent.wrap(data, tenant="demo", subject="ms1", aggregate_version=4, correlation_id="c1")


def handlers_of(store: Store) -> dict[str, Any]:
    parts, _worker = bootstrap(lambda: FakeNotificationsUnitOfWork(store), store, RecordingMailer(), JinjaRenderer(),
                               NotificationsSettings(message_id_domain="a.test"))
    return {sub.event.event_name: handler for sub, handler in parts.events}


@pytest.mark.parametrize(("locale", "subject", "phrase"), [
    ("fr", "Votre cotisation est à renouveler", "jusqu'au 31/03/2027"),
    ("en", "Your dues are up for renewal", "until 2027-03-31"),
])
async def test_grace_reminder_once_per_event_in_the_member_language(locale: str, subject: str, phrase: str) -> None:
    store = Store()
    store.contacts["m1"] = {"email": "zoe@example.org", "locale": locale, "first_name": "Zoé", "contactable": True}
    on = handlers_of(store)
    event = grace()
    await on["membership_entered_grace"](event)
    await on["membership_entered_grace"](event)  # redelivered
    [notification] = store.notifications.values()
    assert notification.id == f"dues_reminder-{event.id}"
    assert notification.email.subject == subject and phrase in notification.email.body_text
    assert notification.email.to == "zoe@example.org"


async def test_missed_instalment_and_lapse_and_no_reminder_after_refund_or_to_the_uncontactable() -> None:
    store = Store()
    store.contacts["m1"] = {"email": "zoe@example.org", "locale": "fr", "first_name": "Zoé", "contactable": True}
    on = handlers_of(store)
    await on["membership_entered_grace"](grace(missed=2))
    await on["membership_lapsed"](lapsed())
    await on["membership_lapsed"](lapsed("payment-refunded"))
    subjects = sorted(n.email.subject for n in store.notifications.values())
    assert subjects == ["Votre adhésion a pris fin", "Échéance 2 de votre cotisation à vie"]
    store.contacts["m1"]["contactable"] = False
    await on["membership_entered_grace"](grace())
    assert len(store.notifications) == 2, "a member who cannot be contacted gets nothing"
