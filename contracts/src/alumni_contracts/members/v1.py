"""Events published by the members service, major version 1."""

from __future__ import annotations

from pydantic import AwareDatetime, EmailStr, Field

from alumni_contracts.common import Cohort, Identifier, Locale
from alumni_contracts.envelope import EventData


class MemberRegistered(EventData):
    """An alumnus was added to the tenant's register."""

    service = "members"
    event_name = "member_registered"
    version = 1

    member_id: Identifier = Field(description="Member id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    first_name: str = Field(description="First name.", examples=["Béatrice"], min_length=1, max_length=100)
    last_name: str = Field(description="Last name.", examples=["Dupont"], min_length=1, max_length=100)
    email: EmailStr = Field(description="Primary email address.", examples=["beatrice.dupont@example.org"])
    locale: Locale = Field(description="Preferred language of communications.", examples=["fr"])
    cohort: Cohort = Field(description="Graduating class (*promotion*).")
    registered_at: AwareDatetime = Field(description="When the member was registered (UTC).")
