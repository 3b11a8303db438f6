"""Commands and queries of community's career-outcomes surveys (rankings), and their replies."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Identifier
from alumni_contracts.segments import CountryCode
from alumni_contracts.text import PersonText

LAUNCH_OUTCOME_SURVEY = "launch_outcome_survey"
CLOSE_OUTCOME_SURVEY = "close_outcome_survey"
LIST_OUTCOME_SURVEYS = "list_outcome_surveys"
OUTCOME_FIGURES = "outcome_figures"
OUTCOME_FIGURES_CSV = "outcome_figures_csv"
OUTCOME_SURVEY_LINKS = "outcome_survey_links"
MY_OUTCOME_SURVEYS = "my_outcome_surveys"
ANSWER_OUTCOME_SURVEY = "answer_outcome_survey"
CHECK_OUTCOME_LINK = "check_outcome_link"
ANSWER_OUTCOME_LINK = "answer_outcome_link"


class Situation(StrEnum):
    EMPLOYED = "employed"
    SEEKING = "seeking"
    FURTHER_STUDY = "further_study"
    OTHER = "other"


class OutcomeContract(StrEnum):
    PERMANENT = "permanent"  # CDI
    FIXED_TERM = "fixed_term"  # CDD
    FREELANCE = "freelance"
    VIE = "vie"
    APPRENTICESHIP = "apprenticeship"
    OTHER = "other"


class SalaryBand(StrEnum):
    """Gross yearly salary in euros, bonus excluded (ordered)."""

    UNDER_30K = "under_30k"
    K30_35 = "30k_35k"
    K35_40 = "35k_40k"
    K40_45 = "40k_45k"
    K45_50 = "45k_50k"
    K50_60 = "50k_60k"
    K60_80 = "60k_80k"
    K80_PLUS = "80k_plus"


Token = Annotated[str, Field(min_length=10, max_length=1000, pattern=r"^[A-Za-z0-9_.-]+$")]


class LaunchOutcomeSurvey(Request):
    """A graduate-employment survey for some cohorts; their alumni at launch form its panel."""

    title: Annotated[str, PersonText(max_length=160)] = Field(examples=["Enquête insertion promo 2025 (6 mois)"])
    cohort_years: list[Annotated[int, Field(ge=1900, le=2100)]] = Field(min_length=1, max_length=10,
                                                                         examples=[[2025]])
    programs: list[Annotated[str, PersonText(max_length=120)]] = Field(
        default_factory=list, max_length=20, description="Only these programs (empty: all).", examples=[[]])
    months_after: int = Field(6, ge=1, le=120, description="The situation N months after graduation.", examples=[6])
    closes_at: AwareDatetime | None = Field(None, description="No answers after this date (UTC).")


class SurveyRef(Request):
    survey_id: Identifier


class OutcomeSurveyOut(Result):
    survey_id: Identifier
    title: str
    months_after: int
    cohort_years: list[int]
    programs: list[str]
    status: str = Field(description="`open` or `closed`.")
    created_at: AwareDatetime
    closes_at: AwareDatetime | None
    invited: int = Field(description="Alumni of the cohorts at launch (the panel).")
    answers: int | None = Field(None, description="Answers so far (staff only).")


class OutcomeSurveyList(Result):
    items: list[OutcomeSurveyOut]


class OutcomeRowOut(BaseModel):
    """One group (all, a cohort, a program). A figure about fewer than `min_group_size` people is
    null: the response rate when the group has fewer alumni, the outcome figures (`suppressed`)
    when fewer answered."""

    kind: str = Field(description="`total`, `cohort` or `program`.")
    group: str
    invited: int | None
    answers: int | None
    response_rate: float | None
    suppressed: bool
    net_employment_rate: float | None = Field(None, description="Employed / (employed + seeking).")
    further_study_rate: float | None = None
    median_salary_band: SalaryBand | None = None
    share_abroad: float | None = Field(None, description="Employed working outside the home country / employed.")
    top_sectors: list[tuple[str, int]] | None = Field(None, description="Sectors of at least the minimum size.")


class OutcomeFigures(Result):
    survey_id: Identifier
    min_group_size: int
    home_country: str
    total: OutcomeRowOut
    by_cohort: list[OutcomeRowOut]
    by_program: list[OutcomeRowOut]


class CsvFile(Result):
    filename: str
    csv: str


class SurveyLink(BaseModel):
    member_id: Identifier
    first_name: str
    last_name: str
    email: str | None
    cohort: str
    token: str


class SurveyLinks(Result):
    items: list[SurveyLink]


class OutcomeAnswerIn(Request):
    """An answer (once). `employed`: contract, sector and country are required, the salary band
    optional; the other situations carry none of them."""

    situation: Situation = Field(examples=["employed"])
    contract: OutcomeContract | None = Field(None, examples=["permanent"])
    sector: Annotated[str, PersonText(max_length=120, min_length=0)] = Field("", examples=["Banque"])
    country: CountryCode | None = Field(None, description="ISO 3166-1 alpha-2 country of work.", examples=["FR"])
    salary_band: SalaryBand | None = Field(None, examples=["40k_45k"])
    consent: bool = Field(description="I agree to the statistical use of my answer (required).", examples=[True])
    locale: str = Field("fr", pattern="^(fr|en)$", description="Language of the consent text shown.")


class AnswerOutcomeSurvey(OutcomeAnswerIn):
    survey_id: Identifier
    member_id: Identifier | None = None


class AnswerOutcomeLink(OutcomeAnswerIn):
    token: Token


class CheckOutcomeLink(Request):
    token: Token


class MyAnswerOut(BaseModel):
    situation: Situation
    contract: OutcomeContract | None
    sector: str
    country: str | None
    salary_band: SalaryBand | None
    answered_at: AwareDatetime
    consent_version: str


class MyOutcomeSurvey(Result):
    """A survey as its invitee sees it: their own answer only, never anyone else's."""

    survey_id: Identifier
    title: str
    months_after: int
    cohort: str
    open: bool
    answer: MyAnswerOut | None = None
    consent_text: dict[str, str]


class MyOutcomeSurveys(Result):
    items: list[MyOutcomeSurvey]


class NoQuery(Request):
    pass
