from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.fundraising.v1 import DonationReceived, DonationRefunded
from alumni_contracts.members.v2 import MemberProfileUpdated, MemberRegistered
from alumni_contracts.subscriptions import Subscription, subscription
from fundraising_service.entrypoints.receipt_subscribers import receipt_handlers
from fundraising_service.service_layer import gift_handlers, handlers
from fundraising_service.service_layer.commands import ProjectMember
from fundraising_service.service_layer.gift_ports import GiftsUnitOfWork
from fundraising_service.service_layer.ports import FundraisingUnitOfWork
from servicekit.erasure import erasure_subscriber
from servicekit.messaging import EventHandler


def event_handlers(uow_factory: Callable[[], FundraisingUnitOfWork]) -> list[tuple[Subscription, EventHandler]]:
    async def on_member_registered(event: CloudEvent[Any]) -> None:
        data: MemberRegistered = event.data
        await handlers.project_member(ProjectMember(
            tenant=event.tenant, member_id=data.member_id, version=event.aggregateversion,
            first_name=data.first_name, last_name=data.last_name,
            cohorts=((data.cohort.program, data.cohort.graduation_year),)), uow_factory())

    async def on_member_profile_updated(event: CloudEvent[Any]) -> None:
        data: MemberProfileUpdated = event.data
        await handlers.project_member(ProjectMember(
            tenant=event.tenant, member_id=data.member_id, version=event.aggregateversion,
            first_name=data.first_name, last_name=data.last_name,
            cohorts=tuple((c.program, c.graduation_year) for c in data.cohorts)), uow_factory())

    async def on_donation_received(event: CloudEvent[Any]) -> None:
        data: DonationReceived = event.data
        if data.campaign_id is not None:
            await gift_handlers.apply_to_progress(event.tenant, data.campaign_id, data.member_id,
                                                  data.amount.minor_units, False, gifts_uow())

    async def on_donation_refunded(event: CloudEvent[Any]) -> None:
        data: DonationRefunded = event.data
        if data.campaign_id is not None:
            await gift_handlers.apply_to_progress(event.tenant, data.campaign_id, data.member_id,
                                                  data.amount.minor_units, True, gifts_uow())

    def gifts_uow() -> GiftsUnitOfWork:
        return cast(GiftsUnitOfWork, uow_factory())

    return [(subscription("fundraising", DonationReceived, lane="progress"), on_donation_received),
            (subscription("fundraising", DonationRefunded, lane="progress"), on_donation_refunded),
            (subscription("fundraising", MemberRegistered), on_member_registered),
            (subscription("fundraising", MemberProfileUpdated), on_member_profile_updated),
            erasure_subscriber("fundraising", uow_factory, handlers.erase_donor),
            *receipt_handlers(uow_factory)]
