"""Tickets and the check-in desk: pure rules, no I/O (codes are made in `ticket_code`).

A ticket code is 100 random bits written as 20 Crockford base-32 characters in groups of four
(`7K2M-Q9XD-4HTR-W1NB-C8PA`): unguessable, readable aloud, typed without ambiguity (no I, L, O,
U; the reader maps them), and encoded in QR alphanumeric mode (upper case, digits, `-`) so the
code stays small on a phone screen. The desk normalises whatever a scanner or a person types.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from events_service.domain.registrations import Registration, RegistrationStatus
from events_service.domain.ticket_code import ALPHABET, CODE_LENGTH
from servicekit.domain import Conflict, DomainError, DomainEvent, NotFound

_READS_AS = {"I": "1", "L": "1", "O": "0", "U": "V"}


class InvalidTicketCode(DomainError):
    code = "invalid-ticket-code"
    title = "Invalid ticket code"


def normalise_code(typed: str) -> str:
    """The canonical form of a typed or scanned code, or InvalidTicketCode. A code of this
    module's form is read forgivingly (case, dashes, spaces, I/L/O/U); any other URL-safe code
    (older registrations) is matched exactly as scanned."""
    stripped = typed.strip()
    raw = "".join(ch for ch in stripped.upper() if ch not in " -\t")
    raw = "".join(_READS_AS.get(ch, ch) for ch in raw)
    if len(raw) == CODE_LENGTH and all(ch in ALPHABET for ch in raw):
        return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))
    if 16 <= len(stripped) <= 40 and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in stripped):
        return stripped
    raise InvalidTicketCode(f"a ticket code has {CODE_LENGTH} letters and digits")


def fold(text: str) -> str:
    """Lower case without accents: the key the desk searches names by (prefix ranges)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


def prefix_range(typed: str) -> tuple[str, str] | None:
    """`{"$gte": lo, "$lt": hi}` bounds of a folded prefix (DESIGN §9: never a regex)."""
    lo = fold(typed)
    if not lo:
        return None
    return lo, lo[:-1] + chr(ord(lo[-1]) + 1)


class TicketNotFound(NotFound):
    code = "ticket-not-found"
    title = "Ticket not found"


class NotAdmissible(Conflict):
    code = "not-admissible"
    title = "Not admissible"


@dataclass(frozen=True)
class AttendeeCheckedIn(DomainEvent):
    event_id: str
    registration_id: str
    member_id: str | None
    guests: int
    method: str
    checked_in_at: datetime


def admit(registration: Registration, *, method: str, now: datetime) -> bool:
    """Check a registration in: True when admitted now, False for a second check-in (reported
    by the desk, never counted twice). Only a confirmed seat is admitted: waitlisted, offered,
    unpaid, cancelled or declined registrations are refused with the reason. The registration
    records `AttendeeCheckedIn`; saving it is conditional on its version, so two desks admitting
    the same ticket at once cannot both succeed."""
    if registration.status is RegistrationStatus.ATTENDED or registration.checked_in_at is not None:
        return False
    if registration.status is not RegistrationStatus.REGISTERED:
        raise NotAdmissible(f"this registration is {registration.status.value}, not a confirmed seat")
    registration.status = RegistrationStatus.ATTENDED
    registration.checked_in_at = now
    registration.record(AttendeeCheckedIn(registration.event_id, registration.id, registration.member_id or None,
                                          registration.guests, method, now))
    return True
