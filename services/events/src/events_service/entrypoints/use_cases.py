"""What the events service does over request/reply: its use cases, each declared once."""

from __future__ import annotations

from typing import Any

from alumni_contracts import naming
from alumni_contracts.events import commands as c
from alumni_contracts.rpc import STAFF
from events_service.service_layer.commands import ScheduleEvent
from servicekit.bus import UseCase

USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=naming.command_subject("events", c.SCHEDULE_EVENT), request=c.ScheduleEvent, roles=STAFF,
            idempotent=True,
            message=lambda req, who: ScheduleEvent(tenant=who.tenant, title=req.title, starts_at=req.starts_at,
                                                   ends_at=req.ends_at, timezone=req.timezone, venue=req.venue,
                                                   capacity=req.capacity),
            reply=lambda event_id: c.EventScheduledResult(event_id=event_id), description="Schedule a gathering."),
]
