"""Events published by the members service, major version 2.

v2 exists because a member may now have **no email** (older alumni imported from the office's
register): in v1 the email is required, and making it optional would break v1 consumers that
rely on it. v2 is v1 with an optional `email`; members publishes both (v1 only for members who
have an email) until every consumer moved to v2. The platform's own consumers read v2.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, EmailStr, Field

from alumni_contracts.common import Cohort, Identifier, Locale
from alumni_contracts.envelope import EventData

EMAIL_DESCRIPTION = ("Primary email address; absent for a member without one (imported from a register that had "
                     "none): such a member cannot be contacted by email.")


class MemberRegistered(EventData):
    """An alumnus was added to the tenant's register (with or without an email)."""

    service = "members"
    event_name = "member_registered"
    version = 2

    member_id: Identifier = Field(description="Member id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    first_name: str = Field(description="First name.", examples=["Béatrice"], min_length=1, max_length=100)
    last_name: str = Field(description="Last name.", examples=["Dupont"], min_length=1, max_length=100)
    email: EmailStr | None = Field(None, description=EMAIL_DESCRIPTION, examples=["beatrice.dupont@example.org"])
    locale: Locale = Field(description="Preferred language of communications.", examples=["fr"])
    cohort: Cohort = Field(description="Graduating class (*promotion*).")
    registered_at: AwareDatetime = Field(description="When the member was registered (UTC).")
    origin: Literal["registration", "import"] = Field(
        "registration", description="`import`: created by a bulk import of the office's register (no welcome "
                                    "email is sent for those).", examples=["registration"])


class MemberProfileUpdated(EventData):
    """What other services keep of a member changed: names, contact, cohorts or contactability."""

    service = "members"
    event_name = "member_profile_updated"
    version = 2

    member_id: Identifier = Field(description="Member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    first_name: str = Field(description="First name.", examples=["Béatrice"])
    last_name: str = Field(description="Last name.", examples=["Dupont"])
    usage_name: str | None = Field(None, description="Name in use (*nom d'usage*), if any.", examples=["Martin"])
    email: EmailStr | None = Field(None, description=EMAIL_DESCRIPTION, examples=["beatrice.dupont@example.org"])
    locale: Locale = Field(description="Preferred language.", examples=["fr"])
    cohorts: list[Cohort] = Field(description="Graduating classes, main one first.", min_length=1)
    email_bounced: bool = Field(description="Email to this address bounces: do not send.", examples=[False])
    mail_returned: bool = Field(description="Postal mail came back (*NPAI*).", examples=[False])
    deceased: bool = Field(description="A manager confirmed the member is deceased: stop all contact.",
                           examples=[False])
    updated_at: AwareDatetime = Field(description="When the change was made (UTC).")
    # Added within v2 (optional, so compatible): where the member lives, for segments
    # (`alumni_contracts.segments`). Absent from events published before.
    city: str | None = Field(None, max_length=120, description="City of residence, if known (added in v2, "
                             "optional).", examples=["Lyon"])
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="Country of residence, ISO 3166-1 "
                                "alpha-2, if known (added in v2, optional).", examples=["FR"])
