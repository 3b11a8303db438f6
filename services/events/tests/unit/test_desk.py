"""The desk slice through `bootstrap` with an in-memory unit of work: check-in (first, second,
refused, unknown, other event, other tenant), desk search, figures, calendar files, tickets, feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
from pydantic import ValidationError

from alumni_contracts.envelope import CloudEvent, EventData
from alumni_contracts.events import desk as d
from alumni_contracts.events import v1
from alumni_contracts.events.desk_v1 import AttendeeCheckedIn
from alumni_contracts.rpc import Principal, Role
from events_service.bootstrap import bootstrap
from events_service.domain.checkin import InvalidTicketCode, TicketNotFound, normalise_code
from events_service.domain.event_figures import Attendance
from events_service.domain.registrations import RegistrationStatus
from events_service.domain.ticket_code import new_ticket_code
from events_service.service_layer import desk
from events_service.service_layer.desk_ports import EventInfo
from servicekit.domain import Conflict, NotFound
from servicekit.testing.fakes import handle_as_consumer

from .desk_fakes import FakeDeskUnitOfWork

MANAGER = Principal(tenant="demo", subject="mgr", roles=frozenset({Role.MANAGER}))
START = datetime(2027, 3, 27, 18, tzinfo=UTC)  # 19:00 in Paris (before the DST change of 28 March)
NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)


def alumnus(member_id: str, tenant: str = "demo") -> Principal:
    return Principal(tenant=tenant, subject=f"u-{member_id}", roles=frozenset({Role.ALUMNUS}), member_id=member_id)


class Desk:
    def __init__(self) -> None:
        self.uow = FakeDeskUnitOfWork()
        parts = bootstrap(lambda: self.uow)
        self.requests = {r.subject.rsplit(".", 1)[-1]: r for r in parts.requests}
        self.figures = {sub.durable: handler for sub, handler in parts.events if sub.lane == "figures"}
        self.uow.events_info[("demo", "ev1")] = EventInfo(
            "ev1", {"fr": "Réunion promo 2016", "en": "Class of 2016 reunion"}, START, START + timedelta(hours=4),
            "Europe/Paris", venue="Pavillon Dauphine, Paris", descriptions={"fr": "Dix ans !", "en": "Ten years!"})
        self.uow.events_info[("demo", "ev2")] = EventInfo("ev2", {"fr": "Afterwork"}, START, START + timedelta(hours=2),
                                                          "Europe/Paris")

    async def call(self, name: str, request: Any, who: Principal = MANAGER) -> Any:
        return await self.requests[name].handler(request, who)

    async def register(self, member_id: str, event_id: str = "ev1",
                       status: RegistrationStatus = RegistrationStatus.REGISTERED, tenant: str = "demo",
                       guests: int = 0) -> str:
        code = new_ticket_code()
        self.uow.registration(tenant, event_id, member_id, status, code, guests)
        return code

    async def feed(self, data: EventData, at: datetime = NOW, tenant: str = "demo") -> None:
        """Deliver one of the service's own events to the figures' projection."""
        name = "events-fig-" + data.event_name.removeprefix("registration_").removeprefix("attendee_").replace("_", "-")
        event: CloudEvent[Any] = CloudEvent.wrap(data, tenant=tenant, subject="s", aggregate_version=1,
                                                 correlation_id="c", time=at)
        await handle_as_consumer(self.figures[name], event)

    async def feed_published(self) -> None:
        for event in list(self.uow.published):
            await handle_as_consumer(self.figures["events-fig-checked-in"], event)


def confirmed(member_id: str, event_id: str = "ev1") -> v1.RegistrationConfirmed:
    return v1.RegistrationConfirmed(registration_id=f"r-{event_id}-{member_id}", event_id=event_id, member_id=member_id,
                                    ticket_type_id="general", guests=0, price_minor=0, currency="EUR")


@pytest.fixture
def desk_() -> Desk:
    return Desk()


def test_ticket_codes_are_unguessable_and_forgiving_to_type() -> None:
    codes = {new_ticket_code() for _ in range(1000)}
    assert len(codes) == 1000
    code = next(iter(codes))
    assert len(code) == 24 and code.count("-") == 4
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalise_code(typed) == code
    assert normalise_code(" aZ_9-xYt0kQ2mPn4rS7u ") == "aZ_9-xYt0kQ2mPn4rS7u"  # other URL-safe codes: exact
    for bad in ("ABC", "!" * 20, "é" * 20, "A" * 41, "<script>alert(1)</script>"):
        with pytest.raises(InvalidTicketCode):
            normalise_code(bad)


async def test_check_in_by_code_then_a_second_scan_is_reported_not_counted(desk_: Desk) -> None:
    desk_.uow.person("demo", "m1", "Zoé", "Martin")
    code = await desk_.register("m1", guests=1)
    first = await desk_.call(d.CHECK_IN_ATTENDEE, d.CheckInAttendee(event_id="ev1", code=code.lower()))
    assert first.status is d.CheckInStatus.CHECKED_IN and first.name == "Zoé Martin" and first.guests == 1
    [published] = desk_.uow.published
    assert isinstance(published.data, AttendeeCheckedIn) and published.data.method == "code"
    assert published.subject == "r-ev1-m1"
    assert code not in published.model_dump_json()  # the ticket code is a credential: never on the bus
    second = await desk_.call(d.CHECK_IN_ATTENDEE, d.CheckInAttendee(event_id="ev1", member_id="m1"))
    assert second.status is d.CheckInStatus.ALREADY_CHECKED_IN and second.checked_in_at == first.checked_in_at
    assert len(desk_.uow.published) == 1
    assert desk_.uow.regs["r-ev1-m1"][1].status is RegistrationStatus.ATTENDED
    await desk_.feed(confirmed("m1"))
    await desk_.feed_published()
    await desk_.feed_published()  # redelivered: still one
    figures = await desk_.call(d.EVENT_FIGURES, d.EventFiguresQuery(event_id="ev1"))
    assert figures.checked_in == 1 and figures.registered == 1


async def test_a_desk_that_loses_the_race_reports_the_other_check_in(desk_: Desk) -> None:
    code = await desk_.register("m1")
    winner = desk_.uow.registration("demo", "ev1", "m1", RegistrationStatus.ATTENDED, code)
    winner.checked_in_at, winner.version = NOW, 2
    desk_.uow.regs["r-ev1-m1"] = (1, desk_.uow.regs["r-ev1-m1"][1])
    desk_.uow.regs["r-ev1-m1"][1].status = RegistrationStatus.REGISTERED
    desk_.uow.registrations.race_once = winner
    result = await desk_.call(d.CHECK_IN_ATTENDEE, d.CheckInAttendee(event_id="ev1", code=code))
    assert result.status is d.CheckInStatus.ALREADY_CHECKED_IN and result.checked_in_at == NOW
    assert desk_.uow.published == [] and desk_.uow.commits == 0


@pytest.mark.parametrize("status", [RegistrationStatus.WAITLISTED, RegistrationStatus.CANCELLED,
                                    RegistrationStatus.PENDING_PAYMENT, RegistrationStatus.PROMOTED,
                                    RegistrationStatus.DECLINED])
async def test_no_check_in_without_a_confirmed_seat(desk_: Desk, status: RegistrationStatus) -> None:
    code = await desk_.register("m1", status=status)
    with pytest.raises(Conflict, match=status.value):
        await desk_.call(d.CHECK_IN_ATTENDEE, d.CheckInAttendee(event_id="ev1", code=code))
    assert desk_.uow.published == []


async def test_unknown_foreign_or_cross_tenant_codes_are_not_found(desk_: Desk) -> None:
    other_event = await desk_.register("m1", event_id="ev2")
    other_tenant = await desk_.register("m2", tenant="acme")
    for code in (new_ticket_code(), other_event, other_tenant):
        with pytest.raises(TicketNotFound):
            await desk_.call(d.CHECK_IN_ATTENDEE, d.CheckInAttendee(event_id="ev1", code=code))
    with pytest.raises(NotFound):
        await desk_.call(d.CHECK_IN_ATTENDEE, d.CheckInAttendee(event_id="ev1", member_id="nobody"))
    with pytest.raises(InvalidTicketCode):
        await desk_.call(d.CHECK_IN_ATTENDEE, d.CheckInAttendee(event_id="ev1", code="12345678"))


def test_check_in_needs_exactly_one_key() -> None:
    for bad in ({"event_id": "ev1"}, {"event_id": "ev1", "code": "ABCD-EFGH-JKMN-PQRS-TVWX", "member_id": "m1"},
                {"event_id": "ev1", "code": "<script>alert(1)</script>"}):
        with pytest.raises(ValidationError):
            d.CheckInAttendee.model_validate(bad)


async def test_desk_search_by_folded_name_prefix(desk_: Desk) -> None:
    desk_.uow.person("demo", "m1", "Zoé", "Martin")
    desk_.uow.person("demo", "m2", "Élodie", "Maréchal", year=2015)
    desk_.uow.person("demo", "m3", "Paul", "Durand")
    for m in ("m1", "m2", "m3"):
        await desk_.register(m)
    found = await desk_.call(d.SEARCH_DESK, d.DeskSearch(event_id="ev1", q="MAR"))
    assert [i.name for i in found.items] == ["Élodie Maréchal", "Zoé Martin"]
    assert (await desk_.call(d.SEARCH_DESK, d.DeskSearch(event_id="ev1", q="elo"))).items[0].cohort == "MBA 2015"
    assert len((await desk_.call(d.SEARCH_DESK, d.DeskSearch(event_id="ev1", q=""))).items) == 3


async def test_figures_conversion_show_up_and_by_cohort(desk_: Desk) -> None:
    for m, year in (("m1", 2016), ("m2", 2016), ("m3", 2015), ("m4", 2016), ("m5", 2016)):
        desk_.uow.person("demo", m, m, "X", year=year)
        await desk.project_attendance(desk.ProjectAttendance("demo", "ev1", Attendance.INVITED, NOW, member_id=m,
                                                             invited=True), desk_.uow)
    c1 = await desk_.register("m1")
    for m in ("m1", "m2", "m3", "m5"):
        await desk_.feed(confirmed(m))
    await desk_.feed(v1.RegistrationWaitlisted(registration_id="r-ev1-m4", event_id="ev1", member_id="m4",
                                               ticket_type_id="general", guests=0, waitlisted_at=NOW))
    await desk_.feed(v1.RegistrationCancelled(registration_id="r-ev1-m5", event_id="ev1", member_id="m5",
                                              reason="member", seats_released=1), at=NOW + timedelta(hours=1))
    # redelivered or overtaken events change nothing
    await desk.project_attendance(desk.ProjectAttendance("demo", "ev1", Attendance.INVITED, NOW, member_id="m1",
                                                         invited=True), desk_.uow)
    await desk_.feed(confirmed("m5"))
    await desk_.call(d.CHECK_IN_ATTENDEE, d.CheckInAttendee(event_id="ev1", code=c1))
    await desk_.feed_published()
    await desk_.feed(confirmed("m1"), at=NOW + timedelta(hours=2))  # a late confirmation does not undo attendance
    f = await desk_.call(d.EVENT_FIGURES, d.EventFiguresQuery(event_id="ev1"))
    assert (f.invited, f.registered, f.waitlisted, f.cancelled, f.checked_in) == (5, 3, 1, 1, 1)
    assert (f.conversion.numerator, f.conversion.denominator, f.conversion.rate) == (3, 5, 0.6)
    assert (f.show_up.numerator, f.show_up.denominator, f.show_up.rate) == (1, 3, 0.3333)
    assert [(r.key, r.registered, r.checked_in) for r in f.by_cohort] == [("2015", 1, 0), ("2016", 2, 1)]
    assert [(r.key, r.registered) for r in f.by_program] == [("MBA", 3)]
    with pytest.raises(NotFound):
        await desk_.call(d.EVENT_FIGURES, d.EventFiguresQuery(event_id="nope"))
    empty = await desk_.call(d.EVENT_FIGURES, d.EventFiguresQuery(event_id="ev2"))
    assert empty.show_up.rate is None and empty.conversion.denominator == 0


async def test_cohort_reach_counts_distinct_alumni_in_the_window(desk_: Desk) -> None:
    for m, year in (("m1", 2016), ("m2", 2016), ("m3", 2016), ("m4", 2010)):
        desk_.uow.person("demo", m, m, "X", year=year)
    for m in ("m1", "m2"):
        code = await desk_.register(m)
        await desk_.call(d.CHECK_IN_ATTENDEE, d.CheckInAttendee(event_id="ev1", code=code))
    code = await desk_.register("m1", event_id="ev2")  # twice the same alumnus: counted once
    await desk_.call(d.CHECK_IN_ATTENDEE, d.CheckInAttendee(event_id="ev2", code=code))
    await desk_.feed_published()
    old = AttendeeCheckedIn(event_id="ev0", registration_id="r-old", member_id="m3", guests=0, method="code",
                            checked_in_at=NOW - timedelta(days=400))
    await desk_.feed(old, at=NOW - timedelta(days=400))  # outside the 12 months
    reach = await desk_.call(d.COHORT_REACH, d.CohortReachQuery())
    assert [(r.graduation_year, r.alumni, r.reached, r.share) for r in reach.rows] == [
        (2010, 1, 0, 0.0), (2016, 3, 2, 0.6667)]


async def test_event_and_registration_calendars_are_valid_with_vtimezone(desk_: Desk) -> None:
    desk_.uow.person("demo", "m1", "Zoé", "Martin")
    code = await desk_.register("m1")
    event_file = await desk_.call(d.EVENT_CALENDAR, d.EventCalendarQuery(event_id="ev1", language=d.Language.EN),
                                  alumnus("m1"))
    cal = icalendar.Calendar.from_ical(event_file.ics)
    [tz] = cal.walk("VTIMEZONE")
    [vevent] = cal.walk("VEVENT")
    assert tz["TZID"] == "Europe/Paris" and "TZID=Europe/Paris" in event_file.ics
    assert str(vevent["SUMMARY"]) == "Class of 2016 reunion" and "DTSTART;TZID=Europe/Paris:20270327T190000" in \
        event_file.ics.replace("\r\n", "\n")
    mine = await desk_.call(d.REGISTRATION_CALENDAR, d.RegistrationRef(registration_id="r-ev1-m1"), alumnus("m1"))
    [entry] = icalendar.Calendar.from_ical(mine.ics).walk("VEVENT")
    assert str(entry["SUMMARY"]) == "Réunion promo 2016" and code in str(entry["DESCRIPTION"])
    with pytest.raises(NotFound):  # someone else's registration: not found, not forbidden
        await desk_.call(d.REGISTRATION_CALENDAR, d.RegistrationRef(registration_id="r-ev1-m1"), alumnus("m2"))
    with pytest.raises(NotFound):
        await desk_.call(d.EVENT_CALENDAR, d.EventCalendarQuery(event_id="ev1"), alumnus("m1", tenant="acme"))


async def test_ticket_svg_carries_the_qr_and_escapes_names(desk_: Desk) -> None:
    desk_.uow.person("demo", "m1", "<script>alert(1)</script>", "&Co")
    code = await desk_.register("m1", guests=1)
    t = await desk_.call(d.REGISTRATION_TICKET, d.RegistrationRef(registration_id="r-ev1-m1"), alumnus("m1"))
    assert t.code == code and t.svg.startswith("<svg") and "<script>" not in t.svg
    assert "&lt;script&gt;" in t.svg and "&amp;Co (+1)" in t.svg and "<path" in t.svg
    await desk_.register("m2", status=RegistrationStatus.WAITLISTED)
    with pytest.raises(NotFound, match="no confirmed seat"):
        await desk_.call(d.REGISTRATION_TICKET, d.RegistrationRef(registration_id="r-ev1-m2"), alumnus("m2"))


async def test_calendar_feed_token_is_secret_rotates_and_revokes(desk_: Desk) -> None:
    await desk_.register("m1")
    await desk_.register("m1", event_id="ev2", status=RegistrationStatus.CANCELLED)
    public = Principal(tenant="demo", subject="anonymous", roles=frozenset({Role.PUBLIC}))
    issued = await desk_.call(d.ISSUE_CALENDAR_FEED, d.IssueCalendarFeed(), alumnus("m1"))
    assert len(issued.token) >= 43 and issued.path.endswith(f"/{issued.token}.ics")
    assert issued.token not in repr(desk_.uow.feed_rows)  # stored hashed
    feed = await desk_.call(d.CALENDAR_FEED, d.CalendarFeedQuery(token=issued.token), public)
    assert [str(e["UID"]) for e in icalendar.Calendar.from_ical(feed.ics).walk("VEVENT")] == ["r-ev1-m1@alumni-events"]
    rotated = await desk_.call(d.ISSUE_CALENDAR_FEED, d.IssueCalendarFeed(), alumnus("m1"))
    with pytest.raises(NotFound):
        await desk_.call(d.CALENDAR_FEED, d.CalendarFeedQuery(token=issued.token), public)
    with pytest.raises(NotFound):  # another tenant's URL with the same token
        await desk_.call(d.CALENDAR_FEED, d.CalendarFeedQuery(token=rotated.token),
                         Principal(tenant="acme", subject="anonymous", roles=frozenset({Role.PUBLIC})))
    assert (await desk_.call(d.REVOKE_CALENDAR_FEED, d.RevokeCalendarFeed(), alumnus("m1"))).revoked
    with pytest.raises(NotFound):
        await desk_.call(d.CALENDAR_FEED, d.CalendarFeedQuery(token=rotated.token), public)
    with pytest.raises(NotFound):  # a staff account without a member has no feed of its own
        await desk_.call(d.ISSUE_CALENDAR_FEED, d.IssueCalendarFeed(), MANAGER)


async def test_erasure_removes_attendance_and_feed(desk_: Desk) -> None:
    from events_service.service_layer.handlers import erase_attendee
    from servicekit.erasure import EraseMemberData

    await desk_.feed(confirmed("m1"))
    await desk_.call(d.ISSUE_CALENDAR_FEED, d.IssueCalendarFeed(), alumnus("m1"))
    erased, _ = await erase_attendee(desk_.uow, EraseMemberData(tenant="demo", member_id="m1", erasure_id="e1"))
    assert erased["attendance"] == 1 and erased["calendar_feeds"] == 1 and desk_.uow.records == {}


async def test_event_calendar_follows_the_events_visibility(desk_: Desk) -> None:
    from dataclasses import replace

    desk_.uow.events_info[("demo", "draft")] = replace(desk_.uow.events_info[("demo", "ev1")], event_id="draft",
                                                       draft=True)
    desk_.uow.events_info[("demo", "vip")] = replace(desk_.uow.events_info[("demo", "ev1")], event_id="vip",
                                                     invited_only=True)
    ask = d.EventCalendarQuery
    assert (await desk_.call(d.EVENT_CALENDAR, ask(event_id="draft"))).ics.startswith("BEGIN:VCALENDAR")  # staff
    for event_id in ("draft", "vip"):
        with pytest.raises(NotFound):
            await desk_.call(d.EVENT_CALENDAR, ask(event_id=event_id), alumnus("m1"))
    desk_.uow.registration("demo", "vip", "m1", RegistrationStatus.INVITED, new_ticket_code()).invited_at = NOW
    desk_.uow.regs["r-vip-m1"][1].invited_at = NOW
    assert (await desk_.call(d.EVENT_CALENDAR, ask(event_id="vip"), alumnus("m1"))).filename == "event-vip.ics"
