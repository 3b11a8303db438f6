"""What a gathering's emails carry: the ticket's QR code as a PNG (segno) shown inline, and an
iCalendar file (icalendar) with the gathering's VTIMEZONE. The QR carries only the ticket code
(alphanumeric mode, error correction M), like the events service's downloadable ticket; the
calendar entry's UID is the one the events service gives the registration's `.ics`
(`<registration id>@alumni-events`), so importing both, or a later update, replaces one entry."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import segno
from icalendar import Alarm, Calendar, Event

from notifications_service.domain.gatherings import Gathering
from notifications_service.domain.model import Attachment

PRODID = "-//Alumni platform//Events//FR"
QR_CONTENT_ID = "ticket-qr"


def qr_png(code: str, scale: int = 6) -> bytes:
    out = io.BytesIO()
    segno.make_qr(code, error="m", boost_error=False).save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def ticket_qr(code: str) -> Attachment:
    return Attachment("ticket.png", "image/png", qr_png(code), content_id=QR_CONTENT_ID)


def ics(g: Gathering, registration_id: str, locale: str, *, now: datetime, ticket_code: str | None = None,
        cancelled: bool = False, sequence: int | None = None) -> bytes:
    lang = "en" if locale == "en" else "fr"
    tz = ZoneInfo(g.timezone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{registration_id}@alumni-events")
    event.add("dtstamp", now)
    event.add("sequence", g.version if sequence is None else sequence)
    event.add("summary", g.title_in(lang))
    event.add("dtstart", g.starts_at.astimezone(tz))
    event.add("dtend", g.ends_at.astimezone(tz))
    if ticket_code:
        event.add("description", f"{'Ticket' if lang == 'en' else 'Billet'} : {ticket_code}")
    if g.venue:
        event.add("location", g.venue)
    if g.online_url:
        event.add("url", g.online_url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{'Reminder' if lang == 'en' else 'Rappel'} : {g.title_in(lang)}")
        alarm.add("trigger", -timedelta(days=1))
        event.add_component(alarm)
    cal.add_component(event)
    cal.add_missing_timezones(first_date=date(g.starts_at.year - 1, 1, 1), last_date=date(g.ends_at.year + 2, 1, 1))
    return bytes(cal.to_ical())


def ics_attachment(g: Gathering, registration_id: str, locale: str, *, now: datetime,
                   ticket_code: str | None = None, cancelled: bool = False) -> Attachment:
    method = "CANCEL" if cancelled else "PUBLISH"
    return Attachment("event.ics" if locale == "en" else "evenement.ics", f"text/calendar; method={method}",
                      ics(g, registration_id, locale, now=now, ticket_code=ticket_code, cancelled=cancelled))


class TicketFiles:
    """`service_layer.gatherings.TicketFiles` over segno and icalendar."""

    def qr(self, code: str) -> Attachment:
        return ticket_qr(code)

    def ics(self, g: Gathering, registration_id: str, locale: str, *, now: datetime, ticket_code: str | None = None,
            cancelled: bool = False) -> Attachment:
        return ics_attachment(g, registration_id, locale, now=now, ticket_code=ticket_code, cancelled=cancelled)
