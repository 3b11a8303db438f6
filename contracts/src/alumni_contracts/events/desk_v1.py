"""Events of the check-in desk (events service), major version 1."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from alumni_contracts.common import Identifier
from alumni_contracts.envelope import EventData


class AttendeeCheckedIn(EventData):
    """An attendee was admitted at the desk (first check-in only: a second scan is reported to
    the desk, never published again). Carries no ticket code: the code is a bearer credential."""

    service = "events"
    event_name = "attendee_checked_in"
    version = 1

    event_id: Identifier = Field(description="Event (gathering) id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b12"])
    registration_id: Identifier = Field(description="Registration admitted.",
                                        examples=["01938f6e-8a00-7c3e-9d2b-2a7f1c0e4b13"])
    member_id: Identifier | None = Field(None, description="Member admitted; null for a registration without one.",
                                         examples=["01938f6e-0000-7c3e-9d2b-2a7f1c0e4b14"])
    guests: int = Field(0, description="Guests (+1) admitted with the attendee.", examples=[1], ge=0, le=20)
    method: str = Field(description="How the desk found the ticket: `code` (scanned or typed) or `member`.",
                        examples=["code"], pattern="^(code|member)$")
    checked_in_at: AwareDatetime = Field(description="When (UTC).")


ALL: tuple[type[EventData], ...] = (AttendeeCheckedIn,)
