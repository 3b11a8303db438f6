"""Event subscribers: thin, they turn a contract event into a command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.members.membership_v1 import ALL as MEMBERSHIP_EVENTS
from alumni_contracts.members.v2 import MemberProfileUpdated, MemberRegistered
from alumni_contracts.subscriptions import Subscription, subscription
from community_service.service_layer import benefits, members
from community_service.service_layer.commands import ProjectMember, ProjectMembership
from community_service.service_layer.ports import CommunityUnitOfWork
from servicekit.erasure import erasure_subscriber
from servicekit.messaging import EventHandler


def event_handlers(uow_factory: Callable[[], CommunityUnitOfWork]) -> list[tuple[Subscription, EventHandler]]:
    async def on_member_registered(event: CloudEvent[Any]) -> None:
        data: MemberRegistered = event.data
        await members.project_member(ProjectMember(
            tenant=event.tenant, member_id=data.member_id, version=event.aggregateversion,
            first_name=data.first_name, last_name=data.last_name, email=str(data.email) if data.email else None,
            locale=data.locale.value, cohorts=((data.cohort.program, data.cohort.graduation_year),)), uow_factory())

    async def on_member_profile_updated(event: CloudEvent[Any]) -> None:
        data: MemberProfileUpdated = event.data
        await members.project_member(ProjectMember(
            tenant=event.tenant, member_id=data.member_id, version=event.aggregateversion,
            first_name=data.first_name, last_name=data.last_name, email=str(data.email) if data.email else None,
            locale=data.locale.value, cohorts=tuple((c.program, c.graduation_year) for c in data.cohorts),
            deceased=data.deceased), uow_factory())

    async def on_membership_changed(event: CloudEvent[Any]) -> None:
        await benefits.project_membership(ProjectMembership(
            tenant=event.tenant, member_id=event.data.member_id, status=event.data.status.value, at=event.data.at),
            uow_factory())

    return [(subscription("community", MemberRegistered), on_member_registered),
            (subscription("community", MemberProfileUpdated), on_member_profile_updated),
            erasure_subscriber("community", uow_factory, members.erase_member),
            *((subscription("community", e), on_membership_changed) for e in MEMBERSHIP_EVENTS)]
