"""Attendance figures: pure computations over the attendance projection (no I/O).

The projection keeps one *attendance* record per (event, member or registration), moved by
the events' own domain events: invited → registered / waitlisted → cancelled, and attended
on the first check-in. Transitions are idempotent and order-tolerant: a redelivered or
late event never moves a record backwards (`attended` stays attended, `invited` never
overwrites a registration), so the figures do not depend on delivery order.

Definitions (README, "Figures"):
- conversion: invitees who registered (registered or attended now) ÷ invitees;
- show-up rate: checked in ÷ registered, where registered = registered + attended
  (cancellations and the waitlist excluded);
- attendance by cohort / program: registered and checked in per the member's main cohort;
- cohort reach: per graduation year, distinct alumni with ≥ 1 check-in in the window ÷ alumni
  of that year in the projection of members.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class Attendance(StrEnum):
    INVITED = "invited"
    INTERESTED = "interested"
    DECLINED = "declined"
    WAITLISTED = "waitlisted"
    PENDING_PAYMENT = "pending_payment"
    REGISTERED = "registered"
    CANCELLED = "cancelled"
    ATTENDED = "attended"


@dataclass(frozen=True)
class AttendanceRecord:
    tenant: str
    event_id: str
    key: str  # member id, or the registration id of a registration without a member
    invited: bool = False
    status: Attendance = Attendance.INVITED
    registration_id: str | None = None
    ticket_code: str | None = None
    guests: int = 0
    checked_in_at: datetime | None = None
    changed_at: datetime | None = None


def apply(current: AttendanceRecord | None, fresh: AttendanceRecord, status: Attendance, at: datetime,
          *, invited: bool = False) -> AttendanceRecord | None:
    """The record after `status` happened at `at`, or None when nothing changes.

    Rules: attended is final; `invited` only marks the invitation (never replaces a status
    beyond invited/interested/declined); a change older than the record's last one is ignored
    except attended (a late check-in still counts)."""
    record = current or fresh
    if invited or status is Attendance.INVITED:
        return None if record.invited and current is not None else replace(record, invited=True)
    if record.status is Attendance.ATTENDED:
        return None
    if status is Attendance.ATTENDED:
        return replace(record, status=status, checked_in_at=record.checked_in_at or at, changed_at=at,
                       registration_id=record.registration_id or fresh.registration_id)
    if current is not None and record.changed_at is not None and at < record.changed_at:
        return None
    return replace(record, status=status, changed_at=at,
                   registration_id=fresh.registration_id or record.registration_id,
                   ticket_code=fresh.ticket_code or record.ticket_code,
                   guests=fresh.guests if fresh.registration_id else record.guests)


def rate(numerator: int, denominator: int) -> tuple[int, int, float | None]:
    return numerator, denominator, None if denominator == 0 else round(numerator / denominator, 4)


@dataclass(frozen=True)
class Row:
    key: str
    registered: int
    checked_in: int


@dataclass(frozen=True)
class EventFigures:
    event_id: str
    invited: int
    registered: int
    waitlisted: int
    cancelled: int
    checked_in: int
    conversion: tuple[int, int, float | None]
    show_up: tuple[int, int, float | None]
    by_cohort: list[Row]
    by_program: list[Row]


Cohort = tuple[str, int]  # (program, graduation year): the member's main cohort


def event_figures(event_id: str, records: Iterable[AttendanceRecord],
                  cohorts: dict[str, Cohort]) -> EventFigures:
    invited = registered = waitlisted = cancelled = checked_in = converted = 0
    by_year: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_program: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        standing = r.status in (Attendance.REGISTERED, Attendance.ATTENDED)
        invited += r.invited
        converted += r.invited and standing
        waitlisted += r.status is Attendance.WAITLISTED
        cancelled += r.status is Attendance.CANCELLED
        if not standing:
            continue
        attended = r.status is Attendance.ATTENDED
        registered += 1
        checked_in += attended
        program, year = cohorts.get(r.key, ("", 0))
        for table, key in ((by_year, str(year) if year else ""), (by_program, program)):
            table[key][0] += 1
            table[key][1] += attended
    return EventFigures(event_id, invited, registered, waitlisted, cancelled, checked_in,
                        rate(converted, invited), rate(checked_in, registered),
                        [Row(k, *v) for k, v in sorted(by_year.items())],
                        [Row(k, *v) for k, v in sorted(by_program.items())])


@dataclass(frozen=True)
class ReachRow:
    graduation_year: int
    alumni: int
    reached: int
    share: float | None


def cohort_reach(attended: Iterable[tuple[str, datetime]], cohorts: dict[str, Cohort],
                 alumni_by_year: dict[int, int], since: datetime) -> list[ReachRow]:
    """`attended`: (member id, check-in time) pairs, any event. Distinct members per year."""
    reached: dict[int, set[str]] = defaultdict(set)
    for member_id, at in attended:
        if at < since or member_id not in cohorts:
            continue
        reached[cohorts[member_id][1]].add(member_id)
    years = sorted(set(alumni_by_year) | set(reached))
    return [ReachRow(y, alumni_by_year.get(y, 0), len(reached[y]), rate(len(reached[y]), alumni_by_year.get(y, 0))[2])
            for y in years if y]
