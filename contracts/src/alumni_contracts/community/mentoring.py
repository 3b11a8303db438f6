"""Commands and queries of community's mentoring programs (issue 14, item 2), and their replies.

Managers run programs; alumni enrol as mentor or mentee with a profile; pairs are suggested
by an explainable compatibility score and confirmed by a manager (or picked by the mentee in
a self-selected program); a relationship goes `pending → active → completed | abandoned`,
with check-ins and a closing survey.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Identifier
from alumni_contracts.community.v1 import MentoringTopic, MentorshipOutcome
from alumni_contracts.text import PersonText

CREATE_PROGRAM = "create_mentoring_program"
PROGRAM_ACTION = "mentoring_program_action"
LIST_PROGRAMS = "list_mentoring_programs"
GET_PROGRAM = "get_mentoring_program"
ENROL = "enrol_in_mentoring"
SUGGEST_MATCHES = "suggest_mentoring_matches"
CONFIRM_MATCH = "confirm_mentoring_match"
RESPOND_TO_MATCH = "respond_to_mentoring_match"
CHECK_IN = "mentoring_check_in"
CLOSE_MENTORSHIP = "close_mentorship"
LIST_MENTORSHIPS = "list_mentorships"
GET_MENTORSHIP = "get_mentorship"
MENTORING_FIGURES = "mentoring_figures"

Line = Annotated[str, PersonText(max_length=120, min_length=0)]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]  # ISO 639-1


class MatchingMode(StrEnum):
    MANAGER = "manager"  # a manager confirms suggested pairs
    MENTEE = "mentee"  # mentees pick a mentor among their suggestions


class ProgramStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"  # enrolment and matching
    CLOSED = "closed"  # no new enrolment nor match; running mentorships go on


class ParticipantRole(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"


class MentorshipStatus(StrEnum):
    PENDING = "pending"  # matched, waiting for the mentor to accept
    ACTIVE = "active"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


class CreateProgram(Request):
    name_fr: Annotated[str, PersonText(max_length=120)] = Field(examples=["Premier emploi 2027"])
    name_en: Annotated[str, PersonText(max_length=120)] = Field(examples=["First job 2027"])
    description: Annotated[str, PersonText(max_length=2000, multiline=True, min_length=0)] = ""
    starts_on: date | None = Field(None, examples=["2027-01-15"])
    ends_on: date | None = Field(None, examples=["2027-06-30"])
    matching: MatchingMode = Field(MatchingMode.MANAGER, description="Who confirms a pair.")
    max_mentees_per_mentor: int = Field(3, ge=1, le=10, description="A mentor's capacity may not exceed this.")

    @model_validator(mode="after")
    def _dates(self) -> CreateProgram:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class ProgramsQuery(Request):
    pass


class ProgramRef(Request):
    program_id: Identifier


class ProgramAction(Request):
    program_id: Identifier
    action: str = Field(pattern="^(open|close)$", examples=["open"])


class Enrol(Request):
    """Enrol (or update one's profile) in a program as mentor or mentee. Alumni enrol
    themselves; staff may name a member."""

    program_id: Identifier
    member_id: Identifier | None = None
    role: ParticipantRole
    topics: list[MentoringTopic] = Field(min_length=1, max_length=9, examples=[["first_job", "industry"]])
    capacity: int = Field(1, ge=1, le=10, description="Mentees a mentor takes at once (1 for a mentee).")
    availability: Annotated[str, PersonText(max_length=200, min_length=0)] = Field(
        "", examples=["1 h par mois, en visio · 1 h a month, video"])
    languages: list[Language] = Field(min_length=1, max_length=5, examples=[["fr", "en"]])
    sector: Line = Field("", examples=["finance"])
    city: Line = Field("", examples=["Paris"])


class SuggestionsQuery(Request):
    program_id: Identifier
    limit: int = Field(5, ge=1, le=20, description="Mentors suggested per mentee.")


class ConfirmMatch(Request):
    """Staff confirm a suggested pair (any program); a mentee picks a mentor in a self-selected
    program (`mentee_id` is then the caller)."""

    program_id: Identifier
    mentor_id: Identifier
    mentee_id: Identifier | None = None


class MentorshipRef(Request):
    mentorship_id: Identifier


class RespondToMatch(Request):
    mentorship_id: Identifier
    accept: bool


class CheckIn(Request):
    mentorship_id: Identifier
    on: date = Field(description="When you met or talked.", examples=["2027-02-03"])
    note: Annotated[str, PersonText(max_length=2000, multiline=True)] = Field(
        examples=["Relecture du CV, deux pistes d'entreprises."])


class CloseMentorship(Request):
    """Close (or, once closed, add one's own survey): completed from active, abandoned from
    pending or active."""

    mentorship_id: Identifier
    outcome: MentorshipOutcome
    satisfaction: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent).", examples=[5])
    goals_met: bool = Field(examples=[True])
    comment: Annotated[str, PersonText(max_length=2000, multiline=True, min_length=0)] = ""


class MentorshipScope(StrEnum):
    MINE = "mine"
    ALL = "all"  # staff


class ListMentorships(Request):
    scope: MentorshipScope = MentorshipScope.MINE
    program_id: Identifier | None = None
    status: MentorshipStatus | None = None
    limit: int = Field(100, ge=1, le=500)


class FiguresQuery(Request):
    program_id: Identifier | None = None
    cohort_year: int | None = Field(None, ge=1900, le=2100, description="Only mentees of this class.")


# -- replies -------------------------------------------------------------------------------------

class ParticipantOut(BaseModel):
    member_id: Identifier
    role: ParticipantRole
    topics: list[MentoringTopic]
    capacity: int
    load: int = Field(description="Pending and active mentorships in this program.")
    availability: str
    languages: list[str]
    sector: str
    city: str
    enrolled_at: AwareDatetime | None = None


class ProgramOut(Result):
    program_id: Identifier
    name_fr: str
    name_en: str
    description: str
    starts_on: date | None
    ends_on: date | None
    matching: MatchingMode
    max_mentees_per_mentor: int
    status: ProgramStatus
    created_at: AwareDatetime
    mentors: int | None = Field(None, description="Enrolled mentors (staff).")
    mentees: int | None = Field(None, description="Enrolled mentees (staff).")
    my_enrolment: ParticipantOut | None = Field(None, description="The caller's own enrolment, if any.")


class ProgramList(Result):
    items: list[ProgramOut]


class ReasonOut(BaseModel):
    """One criterion of the compatibility score: what it found and the points it gave."""

    criterion: str = Field(examples=["topics"], description="topics, sector, city, language or capacity.")
    points: float
    detail: str = Field(examples=["first_job, industry"])


class PersonOut(BaseModel):
    """Who a suggestion is about: first name and the enrolment profile; never the contact."""

    member_id: Identifier
    first_name: str
    cohort_year: int | None = None
    topics: list[MentoringTopic]
    sector: str
    city: str
    languages: list[str]
    availability: str
    room: int | None = Field(None, description="Mentees a mentor may still take.")


class SuggestionOut(BaseModel):
    mentor: PersonOut
    mentee: PersonOut
    score: float
    reasons: list[ReasonOut]


class Suggestions(Result):
    program_id: Identifier
    matching: MatchingMode
    plan: list[SuggestionOut] = Field(description="Staff: one proposed mentor per unmatched mentee, best pairs "
                                                  "first, never over a mentor's capacity.")
    options: list[SuggestionOut] = Field(description="Staff: every mentee's best mentors; a mentee: their own.")


class ContactOut(BaseModel):
    member_id: Identifier
    first_name: str
    last_name: str
    email: str | None


class CheckInOut(BaseModel):
    author_id: Identifier
    on: date
    note: str
    recorded_at: AwareDatetime


class SurveyOut(BaseModel):
    role: ParticipantRole
    satisfaction: int
    goals_met: bool
    comment: str
    at: AwareDatetime


class MentorshipOut(Result):
    mentorship_id: Identifier
    program_id: Identifier
    mentor_id: Identifier
    mentee_id: Identifier
    mentor_first_name: str
    mentee_first_name: str
    my_role: ParticipantRole | None = Field(None, description="The caller's side (null for staff).")
    status: MentorshipStatus
    matched_by: str
    score: float
    reasons: list[ReasonOut]
    matched_at: AwareDatetime
    activated_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    check_ins: list[CheckInOut]
    surveys: list[SurveyOut]
    contact: ContactOut | None = Field(None, description="The other side's contact, once the mentorship is active.")


class MentorshipList(Result):
    items: list[MentorshipOut]


class MentoringFigureRow(BaseModel):
    """Figures of one group (all, a program, a mentee cohort). Below the minimum group size every
    figure is null and `suppressed` is true; inside a group, a rate or mean over fewer than the
    minimum is null too."""

    group: str
    label: str = ""
    suppressed: bool
    relationships: int | None = None
    by_status: dict[str, int] | None = None
    completion_rate: float | None = Field(None, description="Completed / closed (completed + abandoned).")
    mentees_per_mentor: float | None = Field(None, description="Distinct mentees / distinct mentors matched.")
    mean_satisfaction: float | None = None
    goals_met_rate: float | None = None


class MentoringFigures(Result):
    min_group_size: int
    total: MentoringFigureRow
    by_program: list[MentoringFigureRow]
    by_cohort: list[MentoringFigureRow]
