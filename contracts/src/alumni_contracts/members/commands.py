"""Commands and queries of the members service."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, EmailStr, Field, HttpUrl, StringConstraints, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Cohort, ConsentChannel, Identifier, Locale, Purpose

REGISTER_MEMBER = "register_member"
GET_MEMBER = "get_member"
LIST_MEMBERS = "list_members"
UPDATE_MY_PROFILE = "update_my_profile"
UPDATE_MEMBER = "update_member"
SUGGEST_DECEASED = "suggest_deceased"
CONFIRM_DECEASED = "confirm_deceased"
SET_CONSENT = "set_consent"
GET_CONSENTS = "get_consents"
SEARCH_DIRECTORY = "search_directory"

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ().-]{6,20}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]  # ISO 3166-1 alpha-2
Year = Annotated[int, Field(ge=1900, le=2100)]


class Section(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    PHOTO = "photo"
    LINKEDIN = "linkedin"
    LOCATION = "location"
    CAREER = "career"
    EDUCATION = "education"


class Visibility(StrEnum):
    ALUMNI = "alumni"
    MANAGERS = "managers"
    HIDDEN = "hidden"


class DeceasedStatus(StrEnum):
    NO = "no"
    SUGGESTED = "suggested"
    CONFIRMED = "confirmed"


# -- registration and lookups ------------------------------------------------------------

class RegisterMember(Request):
    first_name: Name = Field(examples=["Béatrice"])
    last_name: Name = Field(examples=["Dupont"])
    email: EmailStr = Field(examples=["beatrice.dupont@example.org"])
    locale: Locale = Field(Locale.FR, examples=["fr"])
    cohort: Cohort


class MemberRegisteredResult(Result):
    member_id: Identifier


class GetMember(Request):
    member_id: Identifier


class ListMembers(Request):
    limit: int = Field(50, ge=1, le=200)
    after: Identifier | None = Field(None, description="Cursor: the last member id of the previous page.")


# -- profiles ----------------------------------------------------------------------------

class EmailIn(Request):
    address: EmailStr
    primary: bool = False


class EducationIn(Request):
    program: ShortText = Field(examples=["MSc Finance"])
    graduation_year: Year = Field(examples=[2012])
    degree: ShortText | None = Field(None, examples=["Master"])
    campus: ShortText | None = Field(None, examples=["Cergy"])


class PositionIn(Request):
    employer: ShortText = Field(examples=["Airbus"])
    job_title: ShortText = Field(examples=["Head of Treasury"])
    sector: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{2,40}$")] | None = Field(
        None, description="A code from the tenant's sector list.", examples=["aerospace"])
    city: ShortText | None = Field(None, examples=["Toulouse"])
    country: CountryCode | None = Field(None, examples=["FR"])
    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> PositionIn:
        if self.start and self.end and self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class ProfilePatch(Request):
    """Partial update: absent fields stay as they are; lists replace the whole list."""

    version: int = Field(ge=1, description="The version you read; a stale version gets 409.")
    first_name: Name | None = None
    last_name: Name | None = None
    usage_name: Name | None = Field(None, description="Name in use (*nom d'usage*).")
    birth_name: Name | None = Field(None, description="Birth name (*nom de naissance*).")
    emails: list[EmailIn] | None = Field(None, min_length=1, max_length=5)
    phone: Phone | None = None
    locale: Locale | None = None
    photo_url: HttpUrl | None = None
    linkedin_url: HttpUrl | None = None
    city: ShortText | None = None
    country: CountryCode | None = None
    education: list[EducationIn] | None = Field(None, min_length=1, max_length=10)
    career: list[PositionIn] | None = Field(None, max_length=30)
    visibility: dict[Section, Visibility] | None = Field(None, description="Who sees each section in the directory.")


class UpdateMyProfile(ProfilePatch):
    pass


class StaffProfilePatch(ProfilePatch):
    email_bounced: bool | None = Field(None, description="Email to the primary address bounces.")
    mail_returned: bool | None = Field(None, description="Postal mail came back (*NPAI*).")


class UpdateMember(StaffProfilePatch):
    member_id: Identifier


class SuggestDeceased(Request):
    member_id: Identifier


class ConfirmDeceased(Request):
    member_id: Identifier


class EmailOut(Result):
    address: str
    primary: bool


class EducationOut(Result):
    program: str
    graduation_year: int
    degree: str | None = None
    campus: str | None = None


class PositionOut(Result):
    employer: str
    job_title: str
    sector: str | None = None
    city: str | None = None
    country: str | None = None
    start: date | None = None
    end: date | None = None


class ConsentStateOut(Result):
    purpose: Purpose
    granted: bool
    text_version: str
    language: Locale
    channel: ConsentChannel
    at: AwareDatetime


class MemberView(Result):
    """The full record, for the member themself and for staff."""

    member_id: Identifier
    version: int
    first_name: str
    last_name: str
    usage_name: str | None = None
    birth_name: str | None = None
    email: str
    emails: list[EmailOut]
    phone: str | None = None
    locale: Locale
    photo_url: str | None = None
    linkedin_url: str | None = None
    city: str | None = None
    country: str | None = None
    cohort: Cohort
    education: list[EducationOut]
    career: list[PositionOut]
    email_bounced: bool
    mail_returned: bool
    deceased: DeceasedStatus
    listed_in_directory: bool
    visibility: dict[Section, Visibility]
    consents: list[ConsentStateOut]
    registered_at: AwareDatetime


class MemberPage(Result):
    items: list[MemberView]
    next_cursor: Identifier | None = None


# -- consents ----------------------------------------------------------------------------

class SetConsent(Request):
    purpose: Purpose
    granted: bool
    text_version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,40}$")] = Field(
        description="Version of the consent text the member saw.", examples=["directory-2026-09"])
    language: Locale = Field(description="Language the text was shown in.")
    channel: ConsentChannel = ConsentChannel.WEB
    member_id: Identifier | None = Field(None, description="Staff only: whose consent is recorded (paper form).")


class GetConsents(Request):
    member_id: Identifier | None = Field(None, description="Staff only; alumni read their own.")


class ConsentRecordOut(Result):
    purpose: Purpose
    granted: bool
    text_version: str
    language: Locale
    channel: ConsentChannel
    actor_role: str
    at: AwareDatetime


class ConsentLedger(Result):
    member_id: Identifier
    current: list[ConsentStateOut]
    history: list[ConsentRecordOut] = Field(description="Every grant and withdrawal, oldest first.")


# -- directory ---------------------------------------------------------------------------

class SearchDirectory(Request):
    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)] | None = Field(
        None, description="Name prefix, accent- and case-insensitive (`bea` finds `Béatrice`). One or two "
                          "letters match the start of last names; three or more any name or part of a compound name.")
    program: ShortText | None = None
    year: Year | None = None
    year_from: Year | None = None
    year_to: Year | None = None
    employer: ShortText | None = Field(None, description="Employer name prefix (current positions).")
    sector: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{2,40}$")] | None = None
    city: ShortText | None = None
    country: CountryCode | None = None
    limit: int = Field(20, ge=1, le=100)
    cursor: Annotated[str, StringConstraints(max_length=400)] | None = None

    @model_validator(mode="after")
    def _years(self) -> SearchDirectory:
        if self.year is not None and (self.year_from is not None or self.year_to is not None):
            raise ValueError("give either year or a year range")
        if self.year_from and self.year_to and self.year_to < self.year_from:
            raise ValueError("year_to must not be before year_from")
        return self


class DirectoryEntry(Result):
    """Only what the viewer may see: absent fields are hidden from them (or empty)."""

    member_id: Identifier
    first_name: str
    last_name: str
    usage_name: str | None = None
    cohorts: list[Cohort]
    education: list[EducationOut] | None = None
    email: str | None = None
    phone: str | None = None
    photo_url: str | None = None
    linkedin_url: str | None = None
    city: str | None = None
    country: str | None = None
    career: list[PositionOut] | None = None


class DirectoryPage(Result):
    items: list[DirectoryEntry]
    next_cursor: str | None = None
