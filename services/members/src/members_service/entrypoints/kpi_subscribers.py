"""Event subscribers of the dues KPIs: every event about a member asks for a recount of that
member (one transaction with the inbox record of the `members.kpi` lane)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.fundraising.v1 import DuesPaid, DuesRefunded
from alumni_contracts.subscriptions import Subscription, subscriptions_of
from members_service.service_layer import kpis
from servicekit.messaging import EventHandler


def kpi_event_handlers(uow_factory: Callable[[], kpis.KpiUnitOfWork]) -> list[tuple[Subscription, EventHandler]]:
    async def recount(event: CloudEvent[Any]) -> None:
        d = event.data
        if isinstance(d, DuesPaid):
            await kpis.recount_member(event.tenant, d.member_id, uow_factory(), payment_id=d.payment_id)
        elif isinstance(d, DuesRefunded):
            await kpis.recount_member(event.tenant, d.member_id, uow_factory(), payment_id=d.payment_id,
                                      refunded_minor=d.amount_minor)
        else:
            await kpis.recount_member(event.tenant, d.member_id, uow_factory())

    return [(s, recount) for s in subscriptions_of("members") if s.lane == "kpi"]
