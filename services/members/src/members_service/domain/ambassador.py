"""Ambassadors: alumni a manager appoints to represent the school for some cohorts, programs
or cities (welcome newcomers, relay events, answer students)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from members_service.domain.profile import Cohort


@dataclass(frozen=True)
class AmbassadorScope:
    """What the ambassador covers; empty everywhere means the whole network."""

    cohorts: tuple[Cohort, ...] = ()
    programs: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ambassadorship:
    scope: AmbassadorScope
    appointed_at: datetime
    appointed_by: str
