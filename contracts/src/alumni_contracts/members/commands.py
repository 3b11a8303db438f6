"""Commands and queries of the members service."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, EmailStr, Field, HttpUrl, StringConstraints, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Cohort, CohortIn, ConsentChannel, Identifier, Locale, Purpose, Timestamp
from alumni_contracts.text import Name, PersonText, ShortText

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
SET_SHOWCASE = "set_showcase"
PUBLIC_SHOWCASE = "public_showcase"
APPOINT_AMBASSADOR = "appoint_ambassador"
REVOKE_AMBASSADOR = "revoke_ambassador"
GET_SECTORS = "get_sectors"
SET_SECTORS = "set_sectors"
CREATE_IMPORT = "create_import"
GET_IMPORT = "get_import"
LIST_IMPORTS = "list_imports"
VALIDATE_IMPORT = "validate_import"
IMPORT_ROWS = "import_rows"
DECIDE_IMPORT_ROW = "decide_import_row"
COMMIT_IMPORT = "commit_import"
ABANDON_IMPORT = "abandon_import"
CREATE_GROUP = "create_group"
LIST_GROUPS = "list_groups"
MY_GROUPS = "my_groups"
GROUP_MEMBERS = "group_members"
JOIN_GROUP = "join_group"
LEAVE_GROUP = "leave_group"
INVITE_TO_GROUP = "invite_to_group"
SET_GROUP_ROLE = "set_group_role"
REQUEST_ERASURE = "request_erasure"
GET_ERASURE = "get_erasure"

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


class ShowcaseField(StrEnum):
    NAME = "name"
    COHORT = "cohort"
    PHOTO = "photo"
    QUOTE = "quote"
    STORY = "story"
    EMPLOYER = "employer"


class ShowcaseChannel(StrEnum):
    WEBSITE = "website"
    BROCHURES = "brochures"
    PARTNERS = "partners"


SectorCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{2,40}$")]


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


class ShowcaseScopeIn(Request):
    """What a showcase consent covers. Everything outside it stays unpublished."""

    fields: list[ShowcaseField] = Field(min_length=1, description="Fields that may be shown.",
                                        examples=[["name", "cohort", "quote"]])
    channels: list[ShowcaseChannel] = Field(min_length=1, description="Where they may be shown.",
                                            examples=[["website"]])
    expires_at: Timestamp = Field(description="When the consent ends; the entry is unpublished then.")


class ShowcaseScopeOut(Result):
    fields: list[ShowcaseField]
    channels: list[ShowcaseChannel]
    expires_at: AwareDatetime


class ConsentStateOut(Result):
    purpose: Purpose
    granted: bool
    text_version: str
    language: Locale
    channel: ConsentChannel
    at: AwareDatetime
    scope: ShowcaseScopeOut | None = None


class ShowcaseOut(Result):
    quote: str | None = None
    story: str | None = None
    photo_url: str | None = None
    employer: str | None = None
    job_title: str | None = None


class AmbassadorScopeOut(Result):
    cohorts: list[Cohort] = Field(default_factory=list)
    programs: list[str] = Field(default_factory=list)
    cities: list[str] = Field(default_factory=list)


class AmbassadorOut(AmbassadorScopeOut):
    appointed_at: AwareDatetime


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


# -- consents ----------------------------------------------------------------------------

class ConsentChoice(Request):
    """Body of a consent call (`PUT .../consents/{purpose}`): the choice and the exact text the
    member saw. The one definition: the gateway's body and the command below share it."""

    granted: bool
    text_version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,40}$")] = Field(
        description="Version of the consent text the member saw.", examples=["directory-2026-09"])
    language: Locale = Field(description="Language the text was shown in.")
    channel: ConsentChannel = ConsentChannel.WEB
    scope: ShowcaseScopeIn | None = Field(None, description="Showcase only, required to grant it.")


class SetConsent(ConsentChoice):
    purpose: Purpose
    member_id: Identifier | None = Field(None, description="Staff only: whose consent is recorded (paper form).")

    @model_validator(mode="after")
    def _scope_only_for_showcase(self) -> SetConsent:
        if self.scope is not None and self.purpose is not Purpose.SHOWCASE:
            raise ValueError("only the showcase consent has a scope")
        if self.purpose is Purpose.SHOWCASE and self.granted and self.scope is None:
            raise ValueError("granting the showcase consent requires a scope (fields, channels, expires_at)")
        return self


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
    scope: ShowcaseScopeOut | None = None


class ConsentLedger(Result):
    member_id: Identifier
    current: list[ConsentStateOut]
    history: list[ConsentRecordOut] = Field(description="Every grant and withdrawal, oldest first.")


# -- directory ---------------------------------------------------------------------------

class SearchDirectory(Request):
    q: Annotated[str, PersonText(max_length=60)] | None = Field(
        None, description="Name prefix, insensitive to case, accents and ligatures (`bea` finds `Béatrice`, "
                          "`oeuv` finds `Œuvray`), ignoring apostrophes, hyphens and spaces (`obrien` finds "
                          "`O'Brien`, `jean pierre` finds `Jean-Pierre`). One or two letters match the start of "
                          "last names; three or more any name or part of a compound name.")
    program: ShortText | None = None
    year: Year | None = None
    year_from: Year | None = None
    year_to: Year | None = None
    employer: ShortText | None = Field(None, description="Employer name prefix (current positions).")
    sector: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{2,40}$")] | None = None
    city: ShortText | None = None
    country: CountryCode | None = None
    ambassadors: bool = Field(False, description="Ambassadors only.")
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
    ambassador: AmbassadorScopeOut | None = Field(None, description="Set when the member is an ambassador.")


class DirectoryPage(Result):
    items: list[DirectoryEntry]
    next_cursor: str | None = None


# -- showcase ----------------------------------------------------------------------------

class ShowcaseText(Request):
    """The showcase text an alumnus writes; shown only within their showcase consent."""

    quote: Annotated[str, PersonText(max_length=280, multiline=True)] | None = None
    story: Annotated[str, PersonText(max_length=3000, multiline=True)] | None = None
    photo_url: HttpUrl | None = Field(None, description="Defaults to the profile photo.")
    employer: ShortText | None = Field(None, description="Defaults to the current position.")
    job_title: ShortText | None = None

    @model_validator(mode="after")
    def _something(self) -> ShowcaseText:
        if not (self.quote or self.story):
            raise ValueError("a showcase entry needs a quote or a story")
        if self.job_title and not self.employer:
            raise ValueError("a job title goes with an employer")
        return self


class SetShowcase(ShowcaseText):
    member_id: Identifier | None = Field(None, description="Staff only: whose showcase is written.")


class RemoveShowcase(Request):
    member_id: Identifier | None = Field(None, description="Staff only.")


class PublicShowcaseQuery(Request):
    channel: ShowcaseChannel = ShowcaseChannel.WEBSITE


class ShowcaseEntryOut(Result):
    """A public entry: fields outside the alumnus' consent are absent."""

    entry_id: str
    first_name: str | None = None
    last_name: str | None = None
    cohort: Cohort | None = None
    photo_url: str | None = None
    quote: str | None = None
    story: str | None = None
    employer: str | None = None
    job_title: str | None = None


class ShowcasePage(Result):
    items: list[ShowcaseEntryOut]


# -- ambassadors -------------------------------------------------------------------------

class AmbassadorScopeIn(Request):
    cohorts: list[CohortIn] = Field(default_factory=list, max_length=50)
    programs: list[ShortText] = Field(default_factory=list, max_length=50)
    cities: list[ShortText] = Field(default_factory=list, max_length=50)


class AppointAmbassador(AmbassadorScopeIn):
    member_id: Identifier


class RevokeAmbassador(Request):
    member_id: Identifier


# -- sectors -----------------------------------------------------------------------------

class SectorIn(Request):
    code: SectorCode = Field(examples=["aerospace"])
    label_fr: ShortText = Field(examples=["Aéronautique et spatial"])
    label_en: ShortText = Field(examples=["Aerospace"])


class SectorOut(Result):
    code: str
    label_fr: str
    label_en: str


class GetSectors(Request):
    pass


class SetSectors(Request):
    version: int = Field(ge=0, description="The version you read (0: the default list).")
    sectors: list[SectorIn] = Field(min_length=1, max_length=200)


class SectorListOut(Result):
    version: int = Field(description="0 while the tenant uses the default list.")
    sectors: list[SectorOut]


# -- GDPR erasure ------------------------------------------------------------------------

class RequestErasure(Request):
    member_id: Identifier | None = Field(None, description="Staff only; alumni erase themselves.")


class GetErasure(Request):
    erasure_id: Identifier


class ErasureStatus(Result):
    erasure_id: Identifier
    status: str = Field(description="`in-progress` until every service confirmed, then `completed`.")
    requested_at: AwareDatetime
    deadline: AwareDatetime = Field(description="When it must be complete (one month, GDPR art. 12(3)).")
    overdue: bool = Field(description="Past the deadline and not completed: the office must act.")
    confirmations: dict[str, AwareDatetime | None] = Field(
        description="Service → when it confirmed (null: not yet).")
    completed_at: AwareDatetime | None = None


# -- CSV import --------------------------------------------------------------------------

class ImportField(StrEnum):
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    EMAIL = "email"
    PROGRAM = "program"
    GRADUATION_YEAR = "graduation_year"
    USAGE_NAME = "usage_name"
    BIRTH_NAME = "birth_name"
    PHONE = "phone"
    LOCALE = "locale"
    CITY = "city"
    COUNTRY = "country"
    EMPLOYER = "employer"
    JOB_TITLE = "job_title"
    SECTOR = "sector"
    LINKEDIN_URL = "linkedin_url"
    DEGREE = "degree"
    CAMPUS = "campus"
    BIRTH_DATE = "birth_date"


class ImportRowStatus(StrEnum):
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    REVIEW = "review"
    ERROR = "error"


class ImportDecision(StrEnum):
    CREATE = "create"
    MERGE = "merge"
    SKIP = "skip"


Encoding = Literal["utf-8", "windows-1252", "utf-16"]
Delimiter = Literal[";", ",", "\t"]
ImportId = Identifier


class CreateImport(Request):
    """Sent by the gateway once the uploaded file is in the object store."""

    import_id: ImportId
    object_name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,200}$")]
    filename: Annotated[str, PersonText(max_length=200)]
    size: int = Field(ge=0)
    encoding: Encoding | None = Field(None, description="Detected when absent: a byte order mark (UTF-8, UTF-16), "
                                                        "else UTF-8 if it decodes, else Windows-1252.")
    delimiter: Delimiter | None = Field(None, description="Detected from the header when absent.")


class GetImport(Request):
    import_id: ImportId


class ListImports(Request):
    limit: int = Field(20, ge=1, le=100)


class ColumnMapping(Request):
    mapping: dict[Annotated[str, StringConstraints(min_length=1, max_length=200)], ImportField] | None = Field(
        None, description="Column header → field; absent: the suggested mapping. Unmapped columns are ignored.",
        examples=[{"Prénom": "first_name", "Nom": "last_name", "Courriel": "email", "Programme": "program",
                   "Promotion": "graduation_year"}])


class ValidateImport(ColumnMapping):
    import_id: ImportId


class ImportRowsQuery(Request):
    import_id: ImportId
    status: ImportRowStatus | None = None
    after_line: int = Field(0, ge=0, description="Cursor: the last line of the previous page.")
    limit: int = Field(100, ge=1, le=500)


class DecisionBody(Request):
    decision: ImportDecision = Field(description="create: another person; merge: the matched member; skip.")


class DecideImportRow(DecisionBody):
    import_id: ImportId
    line: int = Field(ge=2)


class CommitBody(Request):
    undecided: Literal["refuse", "skip"] = Field(
        "refuse", description="Rows still to review: refuse to commit (default), or skip them.")


class CommitImport(CommitBody):
    import_id: ImportId


class AbandonImport(Request):
    import_id: ImportId


class SampleRow(Result):
    line: int
    cells: list[str]
    values: dict[str, str | int] = Field(
        default_factory=dict, description="The row read with the suggested mapping: what would be imported "
                                          "(e.g. `graduation_year` 2012 for the cell `Promo 2012`).")
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list, description="E.g. a cell a spreadsheet runs as a formula.")


class ImportView(Result):
    import_id: ImportId
    filename: str
    state: str = Field(description="uploaded → validating → validated → committing → completed (or failed).")
    encoding: str
    delimiter: str
    columns: list[str]
    mapping: dict[str, ImportField] = Field(description="Current (or suggested) column mapping.")
    required_fields: list[ImportField]
    total: int = Field(description="Data rows in the file.")
    done: int = Field(description="Rows validated (validating) or committed (committing) so far.")
    progress_percent: float
    counts: dict[str, int] = Field(description="Rows by status after validation (the dry-run report), "
                                               "decisions taken, and outcomes once committed.")
    created_at: AwareDatetime
    finished_at: AwareDatetime | None = None
    failure: str | None = None
    failures: list[str] = Field(default_factory=list, description="Rows not imported, by line, with the reason "
                                                                  "(the first 200; all of them in `rejected_csv`).")
    rejected: int = Field(0, description="Rows not imported: with errors (preview), or failed at commit.")
    rejected_csv: str | None = Field(None, description="Where to download the rejected rows (the file's columns "
                                                       "plus an error column, UTF-8 with BOM, `;`), to fix and "
                                                       "import again.")
    report_expires_at: AwareDatetime | None = Field(
        None, description="When the import, its report and its rejected rows are deleted (bounded retention).")
    sample: list[SampleRow] | None = Field(None, description="First rows, right after the upload.")


class ImportList(Result):
    items: list[ImportView]


class ImportRowOut(Result):
    line: int = Field(description="Line in the file (the header is line 1).")
    status: ImportRowStatus
    values: dict[str, str | int] = Field(description="What was understood, by field (e.g. `graduation_year`).")
    errors: list[str]
    warnings: list[str] = Field(default_factory=list, description="E.g. a cell a spreadsheet runs as a formula.")
    cells: list[str] = Field(default_factory=list, description="The row as in the file, in its column order.")
    reason: str | None = None
    match_member_id: str | None = None
    decision: ImportDecision | None = None


class ImportRowsPage(Result):
    items: list[ImportRowOut]
    next_after_line: int | None = None


# -- groups ------------------------------------------------------------------------------

class GroupKind(StrEnum):
    COHORT = "cohort"
    REGION = "region"
    CLUB = "club"


class JoinPolicy(StrEnum):
    OPEN = "open"
    INVITATION = "invitation"


class GroupRole(StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"
    MANAGER = "manager"


class NewGroup(Request):
    kind: Literal["region", "club"] = Field(description="Cohort groups are created automatically.")
    name: ShortText = Field(examples=["Alumni de Lyon"])
    description: Annotated[str, PersonText(max_length=2000, min_length=0, multiline=True)] = ""
    policy: JoinPolicy = Field(JoinPolicy.OPEN, description="open: anyone joins; invitation: invited alumni only.")


class CreateGroup(NewGroup):
    pass


class ListGroups(Request):
    kind: GroupKind | None = None


class MyGroups(Request):
    pass


class GroupRef(Request):
    group_id: Identifier


class Invitation(Request):
    member_id: Identifier


class InviteToGroup(Invitation):
    group_id: Identifier


class RoleBody(Request):
    role: GroupRole


class SetGroupRole(RoleBody):
    group_id: Identifier
    member_id: Identifier


class GroupOut(Result):
    group_id: Identifier
    kind: GroupKind
    name: str
    description: str = ""
    policy: JoinPolicy
    cohort: Cohort | None = None
    created_at: AwareDatetime


class GroupList(Result):
    items: list[GroupOut]


class MembershipOut(Result):
    group_id: Identifier
    member_id: Identifier
    status: Literal["active", "invited", "left"]
    role: GroupRole


class MyGroup(Result):
    group: GroupOut
    membership: MembershipOut


class MyGroupList(Result):
    items: list[MyGroup]


class GroupMemberOut(Result):
    member_id: Identifier
    first_name: str
    last_name: str
    role: GroupRole


class GroupMembers(Result):
    group: GroupOut
    members: list[GroupMemberOut] = Field(description="Active members in name order; alumni see those listed "
                                                      "in the directory.")
