"""Event subscribers: thin. Members' events feed the shared audience projection
(`servicekit.segments.audience_handlers`, wired in `bootstrap.build`); here, only the erasure."""

from __future__ import annotations

from collections.abc import Callable

from alumni_contracts.subscriptions import Subscription
from community_service.service_layer import members
from community_service.service_layer.ports import CommunityUnitOfWork
from servicekit.erasure import erasure_subscriber
from servicekit.messaging import EventHandler


def event_handlers(uow_factory: Callable[[], CommunityUnitOfWork]) -> list[tuple[Subscription, EventHandler]]:
    return [erasure_subscriber("community", uow_factory, members.erase_member)]
