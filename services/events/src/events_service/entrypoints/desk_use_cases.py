"""Use cases of the desk slice (check-in, desk search, figures, calendar files and feeds, tickets)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from alumni_contracts import naming
from alumni_contracts.events import desk as d
from alumni_contracts.rpc import ALUMNI_AND_STAFF, EVERYONE, STAFF
from events_service.domain import event_figures as ef
from events_service.service_layer import desk
from servicekit.authz import MemberNotLinked
from servicekit.bus import Caller, UseCase


def _command(name: str) -> str:
    return naming.command_subject("events", name)


def _query(name: str) -> str:
    return naming.query_subject("events", name)


def _rate(r: tuple[int, int, float | None]) -> d.Rate:
    return d.Rate(numerator=r[0], denominator=r[1], rate=r[2])


def _figures(f: ef.EventFigures) -> d.EventFiguresOut:
    return d.EventFiguresOut(
        event_id=f.event_id, invited=f.invited, registered=f.registered, waitlisted=f.waitlisted,
        cancelled=f.cancelled, checked_in=f.checked_in, conversion=_rate(f.conversion), show_up=_rate(f.show_up),
        by_cohort=[d.AttendanceRow(key=r.key, registered=r.registered, checked_in=r.checked_in) for r in f.by_cohort],
        by_program=[d.AttendanceRow(key=r.key, registered=r.registered, checked_in=r.checked_in) for r in f.by_program])


def _reach(result: tuple[Any, list[ef.ReachRow]]) -> d.CohortReachOut:
    since, rows = result
    return d.CohortReachOut(since=since, rows=[d.CohortReachRow(graduation_year=r.graduation_year, alumni=r.alumni,
                                                                reached=r.reached, share=r.share) for r in rows])


def _checked_in(o: desk.CheckInOutcome) -> d.CheckInResult:
    return d.CheckInResult(status=d.CheckInStatus.CHECKED_IN if o.first else d.CheckInStatus.ALREADY_CHECKED_IN,
                           registration_id=o.registration_id, member_id=o.member_id, name=o.name, guests=o.guests,
                           checked_in_at=o.checked_in_at)


def _desk_rows(rows: list[desk.DeskRow]) -> d.DeskAttendees:
    return d.DeskAttendees(items=[d.DeskAttendee(
        registration_id=r.registration.id, member_id=r.registration.member_id or None, name=r.name, cohort=r.cohort,
        status=r.registration.status.value, guests=r.registration.guests, checked_in_at=r.registration.checked_in_at)
        for r in rows])


def _calendar(c: desk.CalendarOut) -> d.CalendarFile:
    return d.CalendarFile(filename=c.filename, ics=c.ics.decode())


def _ticket(t: desk.TicketOut) -> d.TicketFile:
    return d.TicketFile(filename=t.filename, code=t.code, svg=t.svg)


def _own(who: Caller) -> str:
    member_id = who.own_member_id
    if member_id is None:
        raise MemberNotLinked("this account is not linked to a member")
    return member_id


def _feed(token: str) -> d.CalendarFeedOut:
    return d.CalendarFeedOut(token=token, path=f"/calendar/{token}.ics")


DESK_USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=_command(d.CHECK_IN_ATTENDEE), request=d.CheckInAttendee, roles=STAFF, idempotent=True,
            message=lambda req, who: desk.CheckInAttendee(who.tenant, req.event_id, req.code, req.member_id),
            reply=_checked_in, description="Check an attendee in at the desk, by ticket code or member; a second "
                                           "check-in is reported (`already_checked_in`), never counted twice."),
    UseCase(subject=_query(d.SEARCH_DESK), request=d.DeskSearch, roles=STAFF,
            message=lambda req, who: desk.SearchDesk(who.tenant, req.event_id, req.q, req.limit), reply=_desk_rows,
            description="Registrations of a gathering by start of first or last name (the desk)."),
    UseCase(subject=_query(d.EVENT_FIGURES), request=d.EventFiguresQuery, roles=STAFF,
            message=lambda req, who: desk.GetEventFigures(who.tenant, req.event_id), reply=_figures,
            description="Conversion, show-up rate, attendance by cohort and program of one gathering."),
    UseCase(subject=_query(d.COHORT_REACH), request=d.CohortReachQuery, roles=STAFF,
            message=lambda req, who: desk.GetCohortReach(who.tenant, req.months), reply=_reach,
            description="Per graduating class: distinct alumni who attended at least one gathering lately."),
    UseCase(subject=_query(d.EVENT_CALENDAR), request=d.EventCalendarQuery, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: desk.EventCalendar(who.tenant, req.event_id, req.language.value,
                                                        who.own_member_id, who.staff),
            reply=_calendar, description="A gathering as an iCalendar file."),
    UseCase(subject=_query(d.REGISTRATION_CALENDAR), request=d.RegistrationRef, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: desk.RegistrationDocument(who.tenant, req.registration_id, req.language.value,
                                                               who.own_member_id, who.staff),
            reply=_calendar, description="One's registration as an iCalendar file (with the ticket code)."),
    UseCase(subject=_query(d.REGISTRATION_TICKET), request=d.RegistrationRef, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: desk.RegistrationTicket(who.tenant, req.registration_id, req.language.value,
                                                             who.own_member_id, who.staff),
            reply=_ticket, description="One's ticket: QR code and details, SVG."),
    UseCase(subject=_command(d.ISSUE_CALENDAR_FEED), request=d.IssueCalendarFeed, roles=ALUMNI_AND_STAFF,
            idempotent=True, message=lambda req, who: desk.IssueCalendarFeed(who.tenant, _own(who)), reply=_feed,
            description="A new secret calendar feed URL for oneself (the previous one stops working)."),
    UseCase(subject=_command(d.REVOKE_CALENDAR_FEED), request=d.RevokeCalendarFeed, roles=ALUMNI_AND_STAFF,
            idempotent=True, message=lambda req, who: desk.RevokeCalendarFeed(who.tenant, _own(who)),
            reply=lambda revoked: d.CalendarFeedRevoked(revoked=revoked), description="Revoke one's calendar feed."),
    UseCase(subject=_query(d.CALENDAR_FEED), request=d.CalendarFeedQuery, roles=EVERYONE,
            message=lambda req, who: desk.CalendarFeed(who.tenant, req.token, req.language.value), reply=_calendar,
            description="A member's calendar feed, by its secret token (calendar applications: no login)."),
]

DESK_HANDLERS: list[Callable[..., Awaitable[Any]]] = [
    desk.check_in_attendee, desk.search_desk, desk.get_event_figures, desk.get_cohort_reach, desk.event_calendar,
    desk.registration_calendar, desk.registration_ticket, desk.issue_calendar_feed, desk.revoke_calendar_feed,
    desk.calendar_feed, desk.project_attendance]
