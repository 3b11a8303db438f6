from __future__ import annotations

from collections.abc import Callable

from alumni_contracts import naming
from alumni_contracts.events import commands as c
from alumni_contracts.rpc import Principal, Role
from events_service.service_layer import handlers
from events_service.service_layer.commands import ScheduleEvent
from events_service.service_layer.ports import EventsUnitOfWork
from servicekit.rpc import RequestHandler

STAFF = frozenset({Role.MANAGER, Role.ADMIN})


def request_handlers(uow_factory: Callable[[], EventsUnitOfWork]) -> list[RequestHandler]:
    async def schedule(req: c.ScheduleEvent, who: Principal) -> c.EventScheduledResult:
        event_id = await handlers.schedule_event(ScheduleEvent(
            tenant=who.tenant, title=req.title, starts_at=req.starts_at, ends_at=req.ends_at,
            timezone=req.timezone, venue=req.venue, capacity=req.capacity), uow_factory())
        return c.EventScheduledResult(event_id=event_id)

    return [RequestHandler(naming.command_subject("events", c.SCHEDULE_EVENT), c.ScheduleEvent, schedule, STAFF,
                           idempotent=True, description="Schedule a gathering.")]
