"""Events published by the members service, major version 1."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, EmailStr, Field

from alumni_contracts.common import Cohort, ConsentChannel, Identifier, Locale, Purpose
from alumni_contracts.envelope import EventData


class MemberRegistered(EventData):
    """An alumnus was added to the tenant's register. Not published for a member without an
    email (imported from an old register): `member_registered.v2` carries every member."""

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
    origin: Literal["registration", "import"] = Field(
        "registration", description="`import`: created by a bulk import of the office's register (no welcome "
                                    "email is sent for those).", examples=["registration"])


class MemberProfileUpdated(EventData):
    """What other services keep of a member changed: names, contact, cohorts or contactability.
    Not published for a member without an email: `member_profile_updated.v2` carries every member."""

    service = "members"
    event_name = "member_profile_updated"
    version = 1

    member_id: Identifier = Field(description="Member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    first_name: str = Field(description="First name.", examples=["Béatrice"])
    last_name: str = Field(description="Last name.", examples=["Dupont"])
    usage_name: str | None = Field(None, description="Name in use (*nom d'usage*), if any.", examples=["Martin"])
    email: EmailStr = Field(description="Primary email address.", examples=["beatrice.dupont@example.org"])
    locale: Locale = Field(description="Preferred language.", examples=["fr"])
    cohorts: list[Cohort] = Field(description="Graduating classes, main one first.", min_length=1)
    email_bounced: bool = Field(description="Email to this address bounces: do not send.", examples=[False])
    mail_returned: bool = Field(description="Postal mail came back (*NPAI*).", examples=[False])
    deceased: bool = Field(description="A manager confirmed the member is deceased: stop all contact.",
                           examples=[False])
    updated_at: AwareDatetime = Field(description="When the change was made (UTC).")


class MemberConsentChanged(EventData):
    """A member granted or withdrew a consent; carries the new state of that purpose."""

    service = "members"
    event_name = "member_consent_changed"
    version = 1

    member_id: Identifier = Field(description="Member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    purpose: Purpose = Field(description="What the consent is for.", examples=["newsletter"])
    granted: bool = Field(description="New state: true once granted, false once withdrawn.", examples=[True])
    text_version: str = Field(description="Version of the consent text shown.", examples=["newsletter-2026-09"])
    language: Locale = Field(description="Language the text was shown in.", examples=["fr"])
    channel: ConsentChannel = Field(description="Where it was given.", examples=["web"])
    changed_at: AwareDatetime = Field(description="When (UTC).")


class ShowcasePublished(EventData):
    """A notable-alumni entry was published or updated. Carries only the fields the alumnus
    consented to, for the listed channels, until `expires_at`: show it nowhere else, and take
    it down at `expires_at` even if `showcase_unpublished` has not arrived yet."""

    service = "members"
    event_name = "showcase_published"
    version = 1

    member_id: Identifier = Field(description="Member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    entry_id: str = Field(description="Public id of the entry (as on the public endpoint).",
                          examples=["5f0c2a9e41d7b3c8a6e2"])
    channels: list[str] = Field(description="Where it may be shown: website, brochures, partners.",
                                examples=[["website", "partners"]], min_length=1)
    expires_at: AwareDatetime = Field(description="End of the consent (UTC).")
    first_name: str | None = Field(None, description="Consented: name.", examples=["Béatrice"])
    last_name: str | None = Field(None, description="Consented: name (usage name if any).", examples=["Dupont"])
    cohort: Cohort | None = Field(None, description="Consented: cohort.")
    photo_url: str | None = Field(None, description="Consented: photo.")
    quote: str | None = Field(None, description="Consented: quote.", examples=["L'école m'a ouvert le monde."])
    story: str | None = Field(None, description="Consented: story.")
    employer: str | None = Field(None, description="Consented: employer.", examples=["Airbus"])
    job_title: str | None = Field(None, description="Consented: job title.", examples=["Head of Treasury"])
    published_at: AwareDatetime = Field(description="When (UTC).")


class ShowcaseUnpublished(EventData):
    """An entry must be taken down everywhere: consent withdrawn or expired, text removed,
    member deceased or erased."""

    service = "members"
    event_name = "showcase_unpublished"
    version = 1

    member_id: Identifier = Field(description="Member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    entry_id: str = Field(description="Public id of the entry.", examples=["5f0c2a9e41d7b3c8a6e2"])
    reason: str = Field(description="consent-withdrawn, consent-expired, profile-removed, deceased or erased.",
                        examples=["consent-withdrawn"])
    unpublished_at: AwareDatetime = Field(description="When (UTC).")


class AmbassadorAppointed(EventData):
    """A manager appointed an ambassador, or changed their scope (empty lists: the whole network)."""

    service = "members"
    event_name = "ambassador_appointed"
    version = 1

    member_id: Identifier = Field(description="Member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    cohorts: list[Cohort] = Field(description="Cohorts covered.")
    programs: list[str] = Field(description="Programs covered.", examples=[["MSc Finance"]])
    cities: list[str] = Field(description="Cities covered.", examples=[["Lyon"]])
    appointed_at: AwareDatetime = Field(description="When (UTC).")


class AmbassadorRevoked(EventData):
    """The member is no longer an ambassador."""

    service = "members"
    event_name = "ambassador_revoked"
    version = 1

    member_id: Identifier = Field(description="Member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    revoked_at: AwareDatetime = Field(description="When (UTC).")


class MemberErasureRequested(EventData):
    """Erase this member's data: every service deletes its copies (accounting records are
    pseudonymised) and confirms with its `member_data_erased` event. Partners: erase too."""

    service = "members"
    event_name = "member_erasure_requested"
    version = 1

    erasure_id: Identifier = Field(description="Id of the erasure; confirmations carry it.",
                                   examples=["01938f70-0000-7000-8000-000000000001"])
    member_id: Identifier = Field(description="Member to erase.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    requested_at: AwareDatetime = Field(description="When (UTC).")
    deadline: AwareDatetime = Field(description="When the erasure must be complete (UTC).")


class MemberErased(EventData):
    """Every service confirmed the erasure: the member no longer exists on the platform."""

    service = "members"
    event_name = "member_erased"
    version = 1

    erasure_id: Identifier = Field(description="Id of the erasure.", examples=["01938f70-0000-7000-8000-000000000001"])
    member_id: Identifier = Field(description="The member that was erased.",
                                  examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    erased_at: AwareDatetime = Field(description="When the last service confirmed (UTC).")


class GroupCreated(EventData):
    """A group was created: a cohort group (automatically, with the cohort's first member), a
    regional chapter or a club."""

    service = "members"
    event_name = "group_created"
    version = 1

    group_id: Identifier = Field(description="Group id.", examples=["cohort-3f9a0c1d2e4b5a6978a1b2c3"])
    kind: Literal["cohort", "region", "club"] = Field(description="Kind of group.", examples=["cohort"])
    name: str = Field(description="Name.", examples=["MSc Finance 2012"])
    cohort: Cohort | None = Field(None, description="The cohort, for a cohort group.")
    created_at: AwareDatetime = Field(description="When (UTC).")


class GroupMembershipChanged(EventData):
    """A member joined, left, was invited to a group, or got another role in it."""

    service = "members"
    event_name = "group_membership_changed"
    version = 1

    group_id: Identifier = Field(description="Group id.", examples=["cohort-3f9a0c1d2e4b5a6978a1b2c3"])
    group_name: str = Field(description="Name of the group.", examples=["Alumni de Lyon"])
    member_id: Identifier = Field(description="Member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    change: Literal["joined", "left", "invited", "role-changed"] = Field(description="What happened.",
                                                                        examples=["joined"])
    status: Literal["active", "invited", "left"] = Field(description="Membership status after it.",
                                                         examples=["active"])
    role: Literal["member", "moderator", "manager"] = Field(description="Role after it.", examples=["member"])
    changed_at: AwareDatetime = Field(description="When (UTC).")
