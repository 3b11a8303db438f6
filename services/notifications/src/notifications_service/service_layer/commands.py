from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SendWelcome:
    """Welcome a newly registered member, in their language."""

    tenant: str
    cause_event_id: str
    member_id: str
    member_version: int
    first_name: str
    last_name: str
    email: str
    locale: str
    program: str
    graduation_year: int
