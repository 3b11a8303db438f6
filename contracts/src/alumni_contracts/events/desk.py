"""Requests of the events service's desk slice: check-in, tickets, calendar files and feeds,
attendance figures. Definitions of the figures: services/events/README.md, "Figures"."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Identifier

CHECK_IN_ATTENDEE = "check_in_attendee"
SEARCH_DESK = "search_desk"
EVENT_FIGURES = "event_figures"
COHORT_REACH = "cohort_reach"
EVENT_CALENDAR = "event_calendar"
REGISTRATION_CALENDAR = "registration_calendar"
REGISTRATION_TICKET = "registration_ticket"
ISSUE_CALENDAR_FEED = "issue_calendar_feed"
REVOKE_CALENDAR_FEED = "revoke_calendar_feed"
CALENDAR_FEED = "calendar_feed"

# A ticket code as printed and encoded in the QR code: 20 Crockford base-32 characters (100 bits),
# in groups of 4 separated by dashes; a scanner or a person may type it in lower case, without
# dashes or with spaces — the service normalises.
TicketCode = Annotated[str, StringConstraints(min_length=8, max_length=40, pattern=r"^[A-Za-z0-9 -]+$")]
FeedToken = Annotated[str, StringConstraints(min_length=32, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class Language(StrEnum):
    FR = "fr"
    EN = "en"


class CheckInStatus(StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY_CHECKED_IN = "already_checked_in"


class CheckInAttendee(Request):
    event_id: Identifier = Field(description="The gathering (from the path).")
    code: TicketCode | None = Field(None, description="Ticket code, scanned or typed.", examples=["7K2M-Q9XD-4HTR-W1NB-C8PA"])
    member_id: Identifier | None = Field(None, description="Or the member, found by name at the desk.")

    @model_validator(mode="after")
    def _one_key(self) -> CheckInAttendee:
        if (self.code is None) == (self.member_id is None):
            raise ValueError("give either a ticket code or a member id")
        return self


class CheckInResult(Result):
    status: CheckInStatus = Field(description="`checked_in`: admitted now; `already_checked_in`: a second scan, "
                                              "reported and not counted again.")
    registration_id: Identifier
    member_id: Identifier | None
    name: str = Field(description="Attendee's name as the desk shows it.", examples=["Camille Martin"])
    guests: int = Field(description="Guests (+1) admitted with the attendee.", examples=[1])
    checked_in_at: AwareDatetime = Field(description="First check-in (UTC).")


class DeskSearch(Request):
    event_id: Identifier
    # A search prefix, never stored: any printable text (no control characters).
    q: Annotated[str, StringConstraints(max_length=80, pattern=r"^[^\x00-\x1f\x7f]*$")] = Field(
        "", description="Start of a first or last name (accents and case ignored); empty: everyone.")
    limit: int = Field(20, ge=1, le=100)


class DeskAttendee(Result):
    registration_id: Identifier
    member_id: Identifier | None
    name: str
    cohort: str = Field(description="Main cohort, `program year`, or empty.", examples=["MBA 2016"])
    status: str = Field(description="Registration status: registered, attended, waitlisted, promoted, "
                                    "pending_payment or cancelled.")
    guests: int
    checked_in_at: AwareDatetime | None


class DeskAttendees(Result):
    items: list[DeskAttendee]


class EventFiguresQuery(Request):
    event_id: Identifier


class Rate(Result):
    numerator: int
    denominator: int
    rate: float | None = Field(description="numerator ÷ denominator (0–1), 4 places; null when the denominator is 0.")


class AttendanceRow(Result):
    key: str = Field(description="Graduation year or program; empty: no cohort on record.", examples=["2016"])
    registered: int = Field(description="Registered (not cancelled, not waitlisted), attended included.")
    checked_in: int


class EventFiguresOut(Result):
    event_id: Identifier
    invited: int
    registered: int = Field(description="Registrations that stand (cancellations and the waitlist excluded).")
    waitlisted: int
    cancelled: int
    checked_in: int
    conversion: Rate = Field(description="Invited → registered: invitees who registered ÷ invitees.")
    show_up: Rate = Field(description="Checked in ÷ registered, cancellations excluded.")
    by_cohort: list[AttendanceRow]
    by_program: list[AttendanceRow]


class CohortReachQuery(Request):
    months: int = Field(12, ge=1, le=60, description="Window: attended at least one event in the last N months.")


class CohortReachRow(Result):
    graduation_year: int
    alumni: int = Field(description="Alumni of that class in the events service's projection of members.")
    reached: int = Field(description="Distinct alumni of that class who attended ≥ 1 event in the window.")
    share: float | None = Field(description="reached ÷ alumni, 4 places.")


class CohortReachOut(Result):
    since: AwareDatetime
    rows: list[CohortReachRow]


class EventCalendarQuery(Request):
    event_id: Identifier
    language: Language = Language.FR


class RegistrationRef(Request):
    registration_id: Identifier
    language: Language = Language.FR


class CalendarFile(Result):
    filename: str
    ics: str = Field(description="text/calendar (RFC 5545) with its VTIMEZONE.")


class TicketFile(Result):
    filename: str
    code: str
    svg: str = Field(description="The ticket, SVG (QR code, title, name, date).")


class IssueCalendarFeed(Request):
    pass


class CalendarFeedOut(Result):
    token: str = Field(description="Secret part of the feed URL; a new issue revokes the previous token.")
    path: str = Field(description="Feed path relative to the API root.", examples=["/api/v1/public/demo/calendar/Zq3….ics"])


class RevokeCalendarFeed(Request):
    pass


class CalendarFeedRevoked(Result):
    revoked: bool


class CalendarFeedQuery(Request):
    token: FeedToken
    language: Language = Language.FR
