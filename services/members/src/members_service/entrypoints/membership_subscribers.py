"""Event subscribers of dues membership: fundraising's `dues_*` events, inputs to the rules.

Each runs in one transaction with its inbox record (a redelivery is a no-op) and the events
of the transitions it causes (in the outbox). An unknown membership is a permanent error
(dead-lettered, visible); a lost race with another writer is retried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.fundraising.v1 import DuesPaid, DuesPaymentFailed, DuesRefunded
from alumni_contracts.subscriptions import Subscription, subscription
from members_service.domain.membership import Payment
from members_service.service_layer import membership
from members_service.service_layer.ports import MembersUnitOfWork
from servicekit.messaging import EventHandler


def membership_event_handlers(uow_factory: Callable[[], MembersUnitOfWork]) -> list[tuple[Subscription, EventHandler]]:
    async def on_paid(event: CloudEvent[Any]) -> None:
        d: DuesPaid = event.data
        await membership.on_dues_paid(event.tenant, d.membership_id, d.member_id, Payment(
            payment_id=d.payment_id, plan_id=d.plan_id, amount_minor=d.amount_minor, currency=d.currency,
            paid_at=d.paid_at, method=d.method.value, provider=d.provider.value, instalment=d.instalment,
            instalments=d.instalments, reference=d.reference), uow_factory())

    async def on_failed(event: CloudEvent[Any]) -> None:
        d: DuesPaymentFailed = event.data
        await membership.on_dues_payment_failed(event.tenant, d.membership_id, d.member_id, d.payment_id, d.reason,
                                                d.failed_at, d.instalment, uow_factory())

    async def on_refunded(event: CloudEvent[Any]) -> None:
        d: DuesRefunded = event.data
        await membership.on_dues_refunded(event.tenant, d.membership_id, d.member_id, d.payment_id, d.amount_minor,
                                          d.refunded_at, uow_factory())

    return [(subscription("members", DuesPaid), on_paid),
            (subscription("members", DuesPaymentFailed), on_failed),
            (subscription("members", DuesRefunded), on_refunded)]
