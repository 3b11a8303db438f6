"""Member records: register, read, list, edit, deaths; the full record as a reply."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, EmailStr, Field, HttpUrl, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Cohort, CohortIn, Identifier, Locale
from alumni_contracts.members.commands.ambassadors import AmbassadorOut
from alumni_contracts.members.commands.common import CountryCode, Phone, SectorCode, Year
from alumni_contracts.members.commands.consents import ConsentStateOut
from alumni_contracts.members.commands.showcase import ShowcaseOut
from alumni_contracts.text import Name, PersonText, ShortText

REGISTER_MEMBER = "register_member"
GET_MEMBER = "get_member"
LIST_MEMBERS = "list_members"
UPDATE_MY_PROFILE = "update_my_profile"
UPDATE_MEMBER = "update_member"
SUGGEST_DECEASED = "suggest_deceased"
CONFIRM_DECEASED = "confirm_deceased"


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


class RegisterMember(Request):
    first_name: Name = Field(examples=["Béatrice"])
    last_name: Name = Field(examples=["Dupont"])
    email: EmailStr = Field(examples=["beatrice.dupont@example.org"])
    locale: Locale = Field(Locale.FR, examples=["fr"])
    cohort: CohortIn


class MemberRegisteredResult(Result):
    member_id: Identifier


class GetMember(Request):
    member_id: Identifier


class MemberOrder(StrEnum):
    """Order of the staff member list: by registration (member ids are UUIDv7, time-ordered)."""

    OLDEST = "oldest"
    NEWEST = "newest"


class ListMembers(Request):
    limit: int = Field(50, ge=1, le=200)
    after: Identifier | None = Field(None, description="Cursor: the last member id of the previous page.")
    q: Annotated[str, PersonText(max_length=100, min_length=0)] | None = Field(
        None, description="Name prefix, accents and case ignored (`bea` finds Béatrice); from 3 characters on "
                          "it also matches first, usage names and email addresses, shorter ones last names only.",
        examples=["dup"])
    order: MemberOrder = Field(MemberOrder.OLDEST, description="Registration order of the list.")


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
    sector: SectorCode | None = Field(None, description="A code from the tenant's sector list.",
                                      examples=["aerospace"])
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


class MemberView(Result):
    """The full record, for the member themself and for staff."""

    member_id: Identifier
    version: int
    first_name: str
    last_name: str
    usage_name: str | None = None
    birth_name: str | None = None
    birth_date: date | None = Field(None, description="Birth date, when an import gave one.")
    email: str | None = Field(None, description="Primary email; null for a member imported without one.")
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
    hygiene: list[Literal["missing-email", "email-bounced", "mail-returned"]] = Field(
        default_factory=list, description="Data-hygiene flags for the office: `missing-email` (cannot be "
                                          "contacted by email), `email-bounced`, `mail-returned` (*NPAI*).")
    deceased: DeceasedStatus
    listed_in_directory: bool
    visibility: dict[Section, Visibility]
    consents: list[ConsentStateOut]
    registered_at: AwareDatetime
    showcase: ShowcaseOut | None = Field(None, description="The showcase text, published or not.")
    showcase_published: bool = Field(False, description="Whether the showcase entry is public now.")
    ambassador: AmbassadorOut | None = None


class MemberPage(Result):
    items: list[MemberView]
    next_cursor: Identifier | None = None
