"""Events published by the events service (gatherings), major version 1."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from alumni_contracts.common import Identifier
from alumni_contracts.envelope import EventData
from alumni_contracts.privacy import MemberDataErasedBase


class EventScheduled(EventData):
    """A gathering (reunion, conference, afterwork) was scheduled."""

    service = "events"
    event_name = "event_scheduled"
    version = 1

    event_id: Identifier = Field(description="Event id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b12"])
    title: str = Field(description="Title of the gathering.", examples=["Gala des 10 ans"], min_length=1, max_length=200)
    starts_at: AwareDatetime = Field(description="Start (UTC).")
    ends_at: AwareDatetime = Field(description="End (UTC).")
    timezone: str = Field(description="IANA timezone the event is held in.", examples=["Europe/Paris"])
    venue: str = Field(description="Venue name and address.", examples=["Campus de Cergy"], max_length=300)
    capacity: int = Field(description="Number of seats.", examples=[120], ge=1)


class MemberDataErased(MemberDataErasedBase):
    """The events service erased its copies of a member's data."""

    service = "events"
    event_name = "member_data_erased"
    version = 1
