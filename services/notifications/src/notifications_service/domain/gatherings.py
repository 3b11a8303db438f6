"""Gatherings (the events service's *événements*) as notifications sees them: a projection of
each gathering (title, when, where, policy) and of its registrants, and the rules for writing to
them — who is told of a change, what a cancellation says about money. Pure: no I/O."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

# Registrants told of an update or a cancellation: whoever holds or waits for a seat.
ACTIVE = frozenset({"registered", "pending_payment", "waitlisted", "promoted"})
# When and where it happens; the events service says so itself (`material`) since v1.x.
MATERIAL = frozenset({"starts_at", "ends_at", "timezone", "venue", "online_url"})

_DAYS = {"fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
         "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}
_MONTHS = {"fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                  "novembre", "décembre"),
           "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December")}


class GatheringNotKnownYet(Exception):
    """A registration's message needs its gathering, whose events have not reached this
    projection yet (another consumer): transient, the message is retried."""


STATUS_FIELDS = frozenset({"status", "cancel_reason"})


def split_status(fields: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A gathering event's fields by the version each group follows (`status_version`,
    `details_version`), the empty groups left out."""
    status = {k: v for k, v in fields.items() if k in STATUS_FIELDS}
    details = {k: v for k, v in fields.items() if k not in STATUS_FIELDS}
    return [(group, part) for group, part in (("status_version", status), ("details_version", details)) if part]


def change_key(cause_event_id: str, member_id: str) -> str:
    """`gu-<event_updated id>-<24 hex of a hash of the member id>`: one message per (change,
    registrant), within the 64 characters a notification id (and `notification_sent`) allows."""
    return f"gu-{cause_event_id}-{hashlib.blake2b(member_id.encode(), digest_size=12).hexdigest()}"


def is_material(changed: list[str], material: bool | None) -> bool:
    return material if material is not None else bool(MATERIAL.intersection(changed))


def _lang(locale: str) -> str:
    return "en" if locale == "en" else "fr"


def format_when(starts_at: datetime, ends_at: datetime, timezone: str, locale: str) -> str:
    """"samedi 12 juin 2030, 19:00 – 23:00 (Europe/Paris)" in the gathering's own timezone."""
    lang = _lang(locale)
    tz = ZoneInfo(timezone)
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)

    def day(d: datetime) -> str:
        return f"{_DAYS[lang][d.weekday()]} {d.day} {_MONTHS[lang][d.month - 1]} {d.year}"

    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{day(end)}, {end:%H:%M}"
    return f"{day(start)}, {start:%H:%M} – {end_text} ({timezone})"


def format_moment(at: datetime, timezone: str, locale: str) -> str:
    """"mardi 3 juin 2030, 18:00 (Europe/Paris)"."""
    lang = _lang(locale)
    d = at.astimezone(ZoneInfo(timezone))
    return f"{_DAYS[lang][d.weekday()]} {d.day} {_MONTHS[lang][d.month - 1]} {d.year}, {d:%H:%M} ({timezone})"


def format_money(minor: int, currency: str, locale: str) -> str:
    units, cents = divmod(minor, 100)
    if _lang(locale) == "fr":
        return f"{units:,}".replace(",", "\u202f") + f",{cents:02d} {currency}"
    return f"{currency} {units:,}.{cents:02d}"


@dataclass(frozen=True)
class Gathering:
    tenant: str
    event_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str = ""
    online_url: str | None = None
    title_en: str | None = None
    status: str = "published"
    cancellation_policy: str = ""
    cancel_reason: str = ""
    version: int = 0

    def title_in(self, locale: str) -> str:
        return (self.title_en or self.title) if _lang(locale) == "en" else (self.title or self.title_en or "")

    def where(self, locale: str) -> str:
        if self.venue:
            return self.venue
        label, sep = ("En ligne", " : ") if _lang(locale) == "fr" else ("Online", ": ")
        return f"{label}{sep}{self.online_url}" if self.online_url else label

    def values(self, locale: str) -> dict[str, str]:
        """Template values of the gathering, in `locale`."""
        return {"event_title": self.title_in(locale),
                "event_when": format_when(self.starts_at, self.ends_at, self.timezone, locale),
                "event_where": self.where(locale), "online_url": self.online_url or "",
                "cancellation_policy": self.cancellation_policy, "cancel_reason": self.cancel_reason}


@dataclass(frozen=True)
class Registrant:
    tenant: str
    registration_id: str
    event_id: str
    member_id: str
    status: str
    price_minor: int = 0
    currency: str = ""


def money_outcome(paid_minor: int | None, status_before: str | None) -> str:
    """What a cancelled gathering's email says about money: `refund` (a paid ticket: the office
    refunds it — refunds are staff actions on the payment port, not automatic), `void` (a payment
    was pending: nothing will be taken, the checkout no longer works) or `none` (free)."""
    if paid_minor:
        return "refund"
    if status_before == "pending_payment":
        return "void"
    return "none"
