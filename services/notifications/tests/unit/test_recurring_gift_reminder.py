"""A recurring gift's failed charge: the donor's reminder, through the handler with fakes —
once per failed charge (a redelivery queues nothing), email and in-app, in the donor's language,
with the link to update the card; its key is a valid `Identifier` and Message-ID; the last one
says collection stopped."""

from __future__ import annotations

from datetime import date

from pydantic import TypeAdapter

from alumni_contracts.common import Identifier
from notifications_service.service_layer import handlers
from notifications_service.service_layer.commands import SendRecurringGiftReminder

from .test_welcome import FakeNotificationsUnitOfWork, Store, composer

RG = "01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b60"


def reminder(cause: str, failures: int = 1, final: bool = False,
             next_attempt_on: date | None = date(2027, 1, 31)) -> SendRecurringGiftReminder:
    return SendRecurringGiftReminder(
        tenant="demo", cause_event_id=cause, member_id="m1", recurring_gift_id=RG, amount_minor=2500, currency="EUR",
        frequency="monthly", reason="card_declined", failures=failures, period=date(2027, 1, 28),
        next_attempt_on=None if final else next_attempt_on, final=final, automatic=True)


async def test_one_reminder_per_failed_charge_by_email_and_in_app_with_the_card_update_link() -> None:
    store = Store()
    store.contacts["m1"] = {"email": "ada@example.org", "locale": "fr", "first_name": "Ada", "contactable": True}
    key = await handlers.queue_recurring_gift_reminder(reminder("evt-1"), FakeNotificationsUnitOfWork(store), composer())
    assert key == f"rgf-{RG}-20270128-1"
    TypeAdapter(Identifier).validate_python(key)  # the id of `notification_sent`
    again = await handlers.queue_recurring_gift_reminder(reminder("evt-1"), FakeNotificationsUnitOfWork(store),
                                                         composer())
    assert again is None and len(store.notifications) == 1 and len(store.feed.items) == 1, "a redelivery: nothing new"
    email = store.notifications[key].email
    assert email.subject == "Votre don régulier n'a pas pu être prélevé"
    assert "25,00 EUR" in email.body_text and "2027-01-31" in email.body_text
    assert "/console#my-donations-panel" in email.body_text and not email.marketing
    assert email.message_id == f"<{key}@alumni.test>"


async def test_the_last_reminder_says_collection_stopped_in_the_donor_s_language() -> None:
    store = Store()
    store.contacts["m1"] = {"email": "ada@example.org", "locale": "en", "first_name": "Ada", "contactable": True}
    key = await handlers.queue_recurring_gift_reminder(reminder("evt-3", failures=3, final=True),
                                                       FakeNotificationsUnitOfWork(store), composer())
    assert key is not None
    email = store.notifications[key].email
    assert email.subject == "Your recurring gift is on hold: the charge failed"
    assert "no further charge will be attempted" in email.body_text and "EUR 25.00" in email.body_text
