"""Commands of the events service."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Identifier, Timestamp
from alumni_contracts.text import PersonText

SCHEDULE_EVENT = "schedule_event"


class ScheduleEvent(Request):
    title: Annotated[str, PersonText(max_length=200)] = Field(examples=["Gala des 10 ans"])
    starts_at: Timestamp = Field(description="Start, with its UTC offset.")
    ends_at: Timestamp = Field(description="End, with its UTC offset.")
    timezone: str = Field("Europe/Paris", description="IANA timezone the event is held in.")
    venue: Annotated[str, PersonText(max_length=300)] = Field(examples=["Pavillon Dauphine, Paris"])
    capacity: int = Field(ge=1, le=100_000)

    @model_validator(mode="after")
    def _ends_after_start(self) -> ScheduleEvent:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class EventScheduledResult(Result):
    event_id: Identifier
