"""Commands and queries the community bus handles (plain dataclasses, built by the use cases)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from community_service.domain.helping import Target


@dataclass(frozen=True)
class SetHelperProfile:
    tenant: str
    member_id: str
    topics: tuple[str, ...]
    monthly_capacity: int
    active: bool
    sector: str
    city: str
    employer: str


@dataclass(frozen=True)
class GetHelperProfile:
    tenant: str
    member_id: str
    own: bool = False  # the member asks for their own profile (their token vouches for them)


@dataclass(frozen=True)
class RequestHelp:
    tenant: str
    requester_id: str
    topic: str
    summary: str
    target: Target


@dataclass(frozen=True)
class GetHelpRequest:
    tenant: str
    request_id: str
    viewer_id: str | None
    staff: bool


@dataclass(frozen=True)
class ListHelpRequests:
    tenant: str
    viewer_id: str | None
    staff: bool
    scope: str  # mine / offered / all
    status: str | None
    limit: int


@dataclass(frozen=True)
class RespondToHelp:
    tenant: str
    request_id: str
    helper_id: str
    accept: bool


@dataclass(frozen=True)
class MarkHelpMet:
    tenant: str
    request_id: str
    member_id: str | None
    staff: bool


@dataclass(frozen=True)
class ReportHelpOutcome:
    tenant: str
    request_id: str
    requester_id: str
    outcome: str


@dataclass(frozen=True)
class HelpFigures:
    tenant: str
    cohort_year: int | None


# -- job board -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PostJob:
    tenant: str
    poster_kind: str  # alumnus / partner / staff
    poster_id: str
    title: str
    company: str
    city: str
    country: str
    sector: str
    contract: str
    remote: str
    description_fr: str
    description_en: str
    apply_url: str | None
    apply_email: str | None


@dataclass(frozen=True)
class JobAction:
    """Review, renew, withdraw: who acts (`poster_kind`/`poster_id`, or staff)."""

    tenant: str
    job_id: str
    action: str  # approve / reject / renew / withdraw
    poster_kind: str | None
    poster_id: str | None
    staff: bool
    reason: str = ""


@dataclass(frozen=True)
class SaveJob:
    tenant: str
    member_id: str
    job_id: str
    saved: bool


@dataclass(frozen=True)
class SearchJobs:
    tenant: str
    viewer_id: str | None
    contract: str | None
    remote: str | None
    city: str
    sector: str
    q: str
    limit: int


@dataclass(frozen=True)
class GetJob:
    tenant: str
    job_id: str
    poster_kind: str | None
    poster_id: str | None
    viewer_id: str | None
    staff: bool


@dataclass(frozen=True)
class ListJobs:
    """`which`: mine (the poster's own), review (staff: pending), saved (a member's)."""

    tenant: str
    which: str
    poster_kind: str | None
    poster_id: str | None
    viewer_id: str | None
    staff: bool


# -- benefits and the membership projection ---------------------------------------------------

@dataclass(frozen=True)
class PublishBenefit:
    tenant: str
    title: str
    partner: str
    description: str
    conditions: str
    members_only: bool
    code: str
    valid_from: datetime | None
    valid_until: datetime | None


@dataclass(frozen=True)
class ListBenefits:
    tenant: str
    member_id: str | None
    staff: bool


@dataclass(frozen=True)
class RedeemBenefit:
    tenant: str
    benefit_id: str
    member_id: str
