"""Commands and queries of the community service (mutual aid), and their replies."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, EmailStr, Field, HttpUrl, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Identifier
from alumni_contracts.community.v1 import ContractType, HelpOutcome, HelpTopic, RemotePolicy
from alumni_contracts.text import PersonText

SET_HELPER_PROFILE = "set_helper_profile"
GET_HELPER_PROFILE = "get_helper_profile"
REQUEST_HELP = "request_help"
LIST_HELP_REQUESTS = "list_help_requests"
GET_HELP_REQUEST = "get_help_request"
RESPOND_TO_HELP = "respond_to_help"
MARK_HELP_MET = "mark_help_met"
REPORT_HELP_OUTCOME = "report_help_outcome"
HELP_FIGURES = "help_figures"
# A figure about fewer people than this is never returned (suppressed), on every route.
MIN_GROUP_SIZE = 5


class HelpStatus(StrEnum):
    OPEN = "open"  # no helper with capacity yet: routing is retried by the scheduler
    OFFERED = "offered"  # offered to helpers, waiting for an answer
    ACCEPTED = "accepted"
    MET = "met"
    OUTCOME_REPORTED = "outcome_reported"
    DECLINED = "declined"  # every helper it could be routed to declined
    EXPIRED = "expired"  # nobody accepted in time


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"  # no answer within the nudge delay: the request was re-routed
    WITHDRAWN = "withdrawn"  # another helper accepted first


class SetHelperProfile(Request):
    """Opt in (or out) as a helper. Alumni set their own; staff may name a member."""

    member_id: Identifier | None = None
    topics: list[HelpTopic] = Field(min_length=1, max_length=6, examples=[["career_change", "industry"]])
    monthly_capacity: int = Field(ge=1, le=20, description="Requests offered to you per calendar month, at most.",
                                  examples=[2])
    active: bool = Field(True, description="The on/off switch: off, you are offered nothing.")
    sector: Annotated[str, PersonText(max_length=120, min_length=0)] = Field("", examples=["finance"])
    city: Annotated[str, PersonText(max_length=120, min_length=0)] = Field("", examples=["Paris"])
    employer: Annotated[str, PersonText(max_length=120, min_length=0)] = Field("", examples=["BNP Paribas"])


class HelperProfileQuery(Request):
    member_id: Identifier | None = None


class HelperProfileOut(Result):
    member_id: Identifier
    topics: list[HelpTopic]
    monthly_capacity: int
    active: bool
    sector: str
    city: str
    employer: str
    offers_this_month: int = Field(description="Requests offered to this helper in the current month (UTC).")
    opted_in: bool = Field(description="False: never opted in (the default profile, switched off).")
    updated_at: AwareDatetime | None = None


class HelpTarget(Request):
    """Whom the requester would like to hear from; every field optional (ranks helpers)."""

    sector: Annotated[str, PersonText(max_length=120, min_length=0)] = Field("", examples=["finance"])
    city: Annotated[str, PersonText(max_length=120, min_length=0)] = Field("", examples=["Paris"])
    employer: Annotated[str, PersonText(max_length=120, min_length=0)] = Field("", examples=[""])
    cohort_year: int | None = Field(None, ge=1900, le=2100, examples=[2015])


class RequestHelp(Request):
    topic: HelpTopic = Field(examples=["career_change"])
    summary: Annotated[str, PersonText(max_length=1000, multiline=True)] = Field(
        description="What you need, in a few lines (seen by the helpers it is offered to).",
        examples=["Je souhaite passer de l'audit à la finance de marché."])
    target: HelpTarget = Field(default_factory=HelpTarget)


class HelpRequestRef(Request):
    request_id: Identifier


class RespondToHelp(Request):
    request_id: Identifier
    accept: bool


class ReportHelpOutcome(Request):
    request_id: Identifier
    outcome: HelpOutcome


class HelpListScope(StrEnum):
    MINE = "mine"  # requests I made
    OFFERED = "offered"  # requests offered to me as a helper
    ALL = "all"  # staff: every request of the tenant


class ListHelpRequests(Request):
    scope: HelpListScope = HelpListScope.MINE
    status: HelpStatus | None = None
    limit: int = Field(50, ge=1, le=200)


class ContactOut(BaseModel):
    """Revealed to the requester and the helper once the helper accepted, never before."""

    member_id: Identifier
    first_name: str
    last_name: str
    email: str | None


class OfferOut(BaseModel):
    helper_id: Identifier
    status: OfferStatus
    round: int
    offered_at: AwareDatetime
    answered_at: AwareDatetime | None = None


class HelpRequestOut(Result):
    request_id: Identifier
    requester_id: Identifier
    requester_first_name: str = Field(description="First name only until acceptance.")
    requester_cohort_year: int | None = None
    topic: HelpTopic
    summary: str
    target: HelpTarget
    status: HelpStatus
    round: int
    created_at: AwareDatetime
    first_answer_at: AwareDatetime | None = None
    accepted_at: AwareDatetime | None = None
    met_at: AwareDatetime | None = None
    outcome: HelpOutcome | None = None
    helper_id: Identifier | None = None
    offers: list[OfferOut] = Field(description="Staff and the requester see every offer; a helper sees their own.")
    contact: ContactOut | None = Field(None, description="The other party's contact, after acceptance only.")


class HelpRequestList(Result):
    items: list[HelpRequestOut]


class HelpFiguresQuery(Request):
    cohort_year: int | None = Field(None, ge=1900, le=2100, description="Only requests from this class.")


class HelpFigureRow(BaseModel):
    """Figures of one group (all requests, or one requester cohort). Below the minimum group
    size every figure is null and `suppressed` is true."""

    group: str
    suppressed: bool
    requests: int | None = None
    by_status: dict[str, int] | None = None
    acceptance_rate: float | None = Field(None, description="Accepted / routed to at least one helper.")
    median_hours_to_first_answer: float | None = None
    outcomes: dict[str, int] | None = None


class HelpFigures(Result):
    min_group_size: int
    total: HelpFigureRow
    by_cohort: list[HelpFigureRow]
    by_program: list[HelpFigureRow] = Field(default_factory=list, description="By the requester's program.")
    helpers_active: int | None = Field(None, description="Null below the minimum group size.")
    helpers_near_capacity: int | None = Field(
        None, description="Active helpers offered ≥ 80% of their monthly capacity this month (null when suppressed).")




# -- job and internship board ------------------------------------------------------------------

POST_JOB = "post_job"
REVIEW_JOB = "review_job"
RENEW_JOB = "renew_job"
WITHDRAW_JOB = "withdraw_job"
SAVE_JOB = "save_job"
SEARCH_JOBS = "search_jobs"
GET_JOB = "get_job"
MY_JOBS = "my_jobs"
JOB_REVIEW_QUEUE = "job_review_queue"
SAVED_JOBS = "saved_jobs"
JOB_DAYS = 30  # an offer is listed this long after approval or renewal


class JobStatus(StrEnum):
    PENDING = "pending"  # waiting for a manager (approval queue)
    PUBLISHED = "published"
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


Markdown = Annotated[str, PersonText(max_length=8000, multiline=True, min_length=0)]


class PostJob(Request):
    """An offer; the descriptions are Markdown (FR and/or EN), rendered to sanitised HTML."""

    title: Annotated[str, PersonText(max_length=160)] = Field(examples=["Analyste M&A junior"])
    company: Annotated[str, PersonText(max_length=120)] = Field(examples=["Banque Exemple"])
    city: Annotated[str, PersonText(max_length=120)] = Field(examples=["Paris"])
    country: str = Field("FR", pattern=r"^[A-Z]{2}$", examples=["FR"])
    sector: Annotated[str, PersonText(max_length=120, min_length=0)] = Field("", examples=["finance"])
    contract: ContractType = Field(examples=["permanent"])
    remote: RemotePolicy = Field(RemotePolicy.ONSITE, examples=["hybrid"])
    description_fr: Markdown = Field("", examples=["**Missions** : modélisation, due diligence."])
    description_en: Markdown = Field("", examples=["**Role**: modelling, due diligence."])
    apply_url: HttpUrl | None = Field(None, description="https only.", examples=["https://jobs.example.org/123"])
    apply_email: EmailStr | None = Field(None, examples=["recrutement@example.org"])

    @model_validator(mode="after")
    def _how_to_apply(self) -> PostJob:
        if (self.apply_url is None) == (self.apply_email is None):
            raise ValueError("give exactly one of apply_url and apply_email")
        if self.apply_url is not None and self.apply_url.scheme != "https":
            raise ValueError("apply_url must be an https address")
        if not (self.description_fr or self.description_en):
            raise ValueError("a description in French or English is required")
        return self


class JobRef(Request):
    job_id: Identifier


class ReviewJob(Request):
    job_id: Identifier
    approve: bool
    reason: Annotated[str, PersonText(max_length=300, min_length=0)] = ""


class SaveJob(Request):
    job_id: Identifier
    saved: bool = True


class SearchJobs(Request):
    contract: ContractType | None = None
    remote: RemotePolicy | None = None
    city: Annotated[str, PersonText(max_length=120, min_length=0)] = ""
    sector: Annotated[str, PersonText(max_length=120, min_length=0)] = ""
    q: Annotated[str, PersonText(max_length=100, min_length=0)] = Field("", description="Words of the title or company.")
    limit: int = Field(50, ge=1, le=200)


class NoQuery(Request):
    pass


class JobOut(Result):
    job_id: Identifier
    status: JobStatus
    title: str
    company: str
    city: str
    country: str
    sector: str
    contract: ContractType
    remote: RemotePolicy
    description_fr: str = Field(description="Markdown as posted.")
    description_en: str
    html_fr: str = Field(description="The Markdown rendered to HTML and sanitised (nh3): no script, no unsafe link.")
    html_en: str
    apply_url: str | None
    apply_email: str | None
    posted_by_partner: bool
    created_at: AwareDatetime
    published_at: AwareDatetime | None
    expires_at: AwareDatetime | None
    saved: bool = Field(False, description="Saved by the caller.")
    saves: int | None = Field(None, description="How many alumni saved it: the poster and staff only.")
    mine: bool = False
    review_reason: str | None = Field(None, description="The manager's reason (rejections): the poster and staff.")


class JobList(Result):
    items: list[JobOut]


# -- member benefits ---------------------------------------------------------------------------

PUBLISH_BENEFIT = "publish_benefit"
LIST_BENEFITS = "list_benefits"
REDEEM_BENEFIT = "redeem_benefit"


class PublishBenefit(Request):
    title: Annotated[str, PersonText(max_length=160)] = Field(examples=["-20 % sur les abonnements"])
    partner: Annotated[str, PersonText(max_length=120)] = Field(examples=["Librairie Exemple"])
    description: Annotated[str, PersonText(max_length=2000, multiline=True, min_length=0)] = ""
    conditions: Annotated[str, PersonText(max_length=1000, multiline=True, min_length=0)] = Field(
        "", examples=["Sur présentation du code, hors promotions."])
    members_only: bool = Field(False, description="Reserved to dues-paying members (active, in grace, lifetime).")
    code: Annotated[str, PersonText(max_length=80)] = Field(description="Redemption code, revealed to eligible "
                                                            "members only.", examples=["ALUMNI20"])
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class BenefitRef(Request):
    benefit_id: Identifier


class BenefitOut(Result):
    benefit_id: Identifier
    title: str
    partner: str
    description: str
    conditions: str
    members_only: bool
    valid_from: AwareDatetime | None
    valid_until: AwareDatetime | None
    eligible: bool = Field(description="The caller may reveal the code.")
    code: str | None = Field(None, description="Only once redeemed by an eligible member (and for staff).")
    redemptions: int | None = Field(None, description="Members who revealed the code: staff only.")


class BenefitList(Result):
    items: list[BenefitOut]
