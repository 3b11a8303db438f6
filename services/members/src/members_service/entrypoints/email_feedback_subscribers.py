"""Subscribers to notifications' `unsubscribe_requested` and `email_address_invalidated`
(each in one transaction with its inbox record: a redelivery is a no-op)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.notifications.v1 import EmailAddressInvalidated, UnsubscribeRequested
from alumni_contracts.subscriptions import Subscription, subscription
from members_service.service_layer import email_feedback
from members_service.service_layer.ports import MembersUnitOfWork
from servicekit.messaging import EventHandler


def email_feedback_handlers(uow_factory: Callable[[], MembersUnitOfWork]) -> list[tuple[Subscription, EventHandler]]:
    async def on_unsubscribe(event: CloudEvent[Any]) -> None:
        d: UnsubscribeRequested = event.data
        if d.purpose:
            await email_feedback.withdraw_from_email(event.tenant, d.member_id, d.purpose, d.language, d.source,
                                                     d.requested_at, uow_factory())

    async def on_invalidated(event: CloudEvent[Any]) -> None:
        d: EmailAddressInvalidated = event.data
        await email_feedback.flag_bounced(event.tenant, d.member_id, d.email, uow_factory())

    return [(subscription("members", UnsubscribeRequested), on_unsubscribe),
            (subscription("members", EmailAddressInvalidated), on_invalidated)]
