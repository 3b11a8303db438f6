from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.members.v2 import MemberProfileUpdated, MemberRegistered
from alumni_contracts.subscriptions import Subscription, subscription
from fundraising_service.entrypoints.receipt_subscribers import receipt_handlers
from fundraising_service.service_layer import handlers
from fundraising_service.service_layer.commands import ProjectMember
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

    return [(subscription("fundraising", MemberRegistered), on_member_registered),
            (subscription("fundraising", MemberProfileUpdated), on_member_profile_updated),
            erasure_subscriber("fundraising", uow_factory, handlers.erase_donor),
            *receipt_handlers(uow_factory)]
