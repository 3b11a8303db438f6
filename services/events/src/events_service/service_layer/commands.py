from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ScheduleEvent:
    tenant: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str
    capacity: int


@dataclass(frozen=True)
class ProjectMember:
    """A member as this service needs them (to target invitations)."""

    tenant: str
    member_id: str
    version: int
    first_name: str
    last_name: str
    email: str | None  # None: a member imported without one
    locale: str
    cohorts: tuple[tuple[str, int], ...]  # (program, graduation year), main cohort first
    deceased: bool = False
