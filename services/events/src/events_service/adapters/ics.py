"""iCalendar files (RFC 5545) built with the `icalendar` package from plain inputs: one
gathering, one registration, or a member's feed. Times are written in the event's own
timezone (`DTSTART;TZID=Europe/Paris:…`) with the matching VTIMEZONE generated from the IANA
database (`Calendar.add_missing_timezones`), so calendars show the local time even across a
daylight-saving change; UIDs are stable, so a re-imported file or a refreshed feed updates
the entry instead of duplicating it, and SEQUENCE grows with each published change."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event

PRODID = "-//Alumni platform//Events//FR"
_LABELS = {
    "fr": {"feed": "Mes événements", "ticket": "Billet", "online": "En ligne", "reminder": "Rappel"},
    "en": {"feed": "My events", "ticket": "Ticket", "online": "Online", "reminder": "Reminder"},
}


@dataclass(frozen=True)
class CalendarEntry:
    uid: str  # stable: the event id (per event) or the registration id (per registration)
    titles: Mapping[str, str]  # language → title; the other language is the fallback
    starts_at: datetime  # timezone-aware
    ends_at: datetime
    timezone: str  # IANA
    descriptions: Mapping[str, str] = field(default_factory=dict)
    location: str = ""
    url: str = ""
    cancelled: bool = False
    sequence: int = 0
    ticket_code: str | None = None  # a registration's entry carries its code in the description
    stamp: datetime | None = None


def _pick(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language) or next((t for t in texts.values() if t), "")


def _vevent(entry: CalendarEntry, language: str, stamp: datetime) -> Event:
    labels = _LABELS.get(language, _LABELS["en"])
    tz = ZoneInfo(entry.timezone)
    event = Event()
    event.add("uid", f"{entry.uid}@alumni-events")
    event.add("dtstamp", stamp)
    event.add("sequence", entry.sequence)
    event.add("summary", _pick(entry.titles, language))
    event.add("dtstart", entry.starts_at.astimezone(tz))
    event.add("dtend", entry.ends_at.astimezone(tz))
    description = _pick(entry.descriptions, language)
    if entry.ticket_code:
        description = f"{description}\n\n{labels['ticket']} : {entry.ticket_code}".strip()
    if description:
        event.add("description", description)
    if entry.location:
        event.add("location", entry.location)
    if entry.url:
        event.add("url", entry.url)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if not entry.cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{labels['reminder']} : {_pick(entry.titles, language)}")
        alarm.add("trigger", -timedelta(days=1))
        event.add_component(alarm)
    return event


def calendar(entries: Iterable[CalendarEntry], language: str, *, now: datetime, name: str | None = None) -> bytes:
    """One VCALENDAR with a VEVENT per entry and one VTIMEZONE per timezone used."""
    language = language if language in _LABELS else "fr"
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name is not None:
        cal.add("x-wr-calname", name or _LABELS[language]["feed"])
    listed = list(entries)
    for entry in listed:
        cal.add_component(_vevent(entry, language, entry.stamp or now))
    # Transitions from a year before the first entry to two years after the last: a few lines
    # per zone instead of every change since 1970.
    first = min((e.starts_at for e in listed), default=now)
    last = max((e.ends_at for e in listed), default=now)
    cal.add_missing_timezones(first_date=date(first.year - 1, 1, 1), last_date=date(last.year + 2, 1, 1))
    return bytes(cal.to_ical())
