"""Tickets and the check-in desk: pure rules, no I/O.

A ticket code is 100 random bits written as 20 Crockford base-32 characters in groups of four
(`7K2M-Q9XD-4HTR-W1NB-C8PA`): unguessable, readable aloud, typed without ambiguity (no I, L, O,
U; the reader maps them), and encoded in QR alphanumeric mode (upper case, digits, `-`) so the
code stays small on a phone screen. The desk normalises whatever a scanner or a person types.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from events_service.domain.event_figures import Attendance
from servicekit.domain import AggregateRoot, Conflict, DomainError, DomainEvent, NotFound

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
CODE_LENGTH = 20
_READS_AS = {"I": "1", "L": "1", "O": "0", "U": "V"}


def new_ticket_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


class InvalidTicketCode(DomainError):
    code = "invalid-ticket-code"
    title = "Invalid ticket code"


def normalise_code(typed: str) -> str:
    """The canonical form of a typed or scanned code, or InvalidTicketCode."""
    raw = "".join(ch for ch in typed.upper() if ch not in " -\t")
    raw = "".join(_READS_AS.get(ch, ch) for ch in raw)
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        raise InvalidTicketCode(f"a ticket code has {CODE_LENGTH} letters and digits")
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


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


@dataclass(frozen=True)
class Admission:
    """What the desk knows of a registration (from the attendance projection)."""

    tenant: str
    event_id: str
    registration_id: str
    member_id: str | None
    name: str
    status: Attendance
    guests: int
    checked_in_at: datetime | None = None


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


@dataclass(eq=False)
class CheckIn(AggregateRoot):
    """The first admission of one registration: its id is the registration id, so a second
    check-in — another desk, a rescan, a redelivered request — collides on the key and is
    reported instead of counted (one conditional insert, no read-then-write)."""

    @classmethod
    def admit(cls, admission: Admission, *, method: str, now: datetime) -> CheckIn:
        if admission.status is not Attendance.REGISTERED:
            raise NotAdmissible(f"this registration is {admission.status.value}, not a confirmed seat")
        check_in = cls(id=admission.registration_id, tenant=admission.tenant)
        check_in.record(AttendeeCheckedIn(admission.event_id, admission.registration_id, admission.member_id,
                                          admission.guests, method, now))
        return check_in


