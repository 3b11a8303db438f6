"""Event subscribers of members: the erasure confirmations of the other services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.subscriptions import Subscription, subscriptions_of
from members_service.service_layer import privacy
from members_service.service_layer.ports import MembersUnitOfWork
from members_service.service_layer.privacy import ConfirmErasure
from servicekit.messaging import EventHandler


def event_handlers(uow_factory: Callable[[], MembersUnitOfWork]) -> list[tuple[Subscription, EventHandler]]:
    async def on_member_data_erased(event: CloudEvent[Any]) -> None:
        await privacy.confirm_erasure(ConfirmErasure(event.tenant, event.data.erasure_id, type(event.data).service),
                                       uow_factory())

    # One subscription per confirming service (each publishes its own `member_data_erased`).
    return [(s, on_member_data_erased) for s in subscriptions_of("members") if s.event.event_name == "member_data_erased"]
