"""Events published by the community service, major version 1.

Mutual aid (*entraide*): an alumnus asks the network for help; helpers who opted in are
offered the request; one accepts; the outcome is reported. No free text travels on the bus
(the request's summary stays in community): consumers get ids, the topic and dates.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field

from alumni_contracts.common import Identifier
from alumni_contracts.envelope import EventData
from alumni_contracts.privacy import MemberDataErasedBase

REQUEST_ID = Field(description="Help request id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b20"])


class HelpTopic(StrEnum):
    CAREER_CHANGE = "career_change"
    RELOCATION = "relocation"
    COMPANY = "company"
    INDUSTRY = "industry"
    FIRST_JOB = "first_job"
    OTHER = "other"


class HelpOutcome(StrEnum):
    HELPED = "helped"
    PARTLY = "partly"
    NOT_HELPED = "not_helped"


class HelpRequested(EventData):
    """An alumnus asked the network for help on a topic."""

    service = "community"
    event_name = "help_requested"
    version = 1

    request_id: Identifier = REQUEST_ID
    requester_id: Identifier = Field(description="Member asking for help.", examples=["01938f6e-0000-7000-8000-0000000000a1"])
    topic: HelpTopic = Field(description="What the help is about.", examples=["career_change"])
    target_sector: str | None = Field(None, description="Sector the requester targets, if any.", examples=["finance"],
                                      max_length=120)
    target_city: str | None = Field(None, description="City the requester targets, if any.", examples=["Paris"],
                                    max_length=120)
    requested_at: AwareDatetime = Field(description="When (UTC).")


class HelpOffered(EventData):
    """A request was offered to a helper (routing by capacity and fairness): notify the helper."""

    service = "community"
    event_name = "help_offered"
    version = 1

    request_id: Identifier = REQUEST_ID
    helper_id: Identifier = Field(description="Member the request is offered to.",
                                  examples=["01938f6e-0000-7000-8000-0000000000b1"])
    topic: HelpTopic = Field(description="What the help is about.", examples=["career_change"])
    round: int = Field(description="Routing round: 1 at creation, +1 at each re-routing.", examples=[1], ge=1)
    offered_at: AwareDatetime = Field(description="When (UTC).")


class HelpAccepted(EventData):
    """A helper accepted a request: both now see each other's contact details."""

    service = "community"
    event_name = "help_accepted"
    version = 1

    request_id: Identifier = REQUEST_ID
    requester_id: Identifier = Field(description="Member who asked.", examples=["01938f6e-0000-7000-8000-0000000000a1"])
    helper_id: Identifier = Field(description="Member who accepted.", examples=["01938f6e-0000-7000-8000-0000000000b1"])
    accepted_at: AwareDatetime = Field(description="When (UTC).")


class HelpOutcomeReported(EventData):
    """The requester reported how the help went."""

    service = "community"
    event_name = "help_outcome_reported"
    version = 1

    request_id: Identifier = REQUEST_ID
    requester_id: Identifier = Field(description="Member who asked.", examples=["01938f6e-0000-7000-8000-0000000000a1"])
    helper_id: Identifier = Field(description="Member who helped.", examples=["01938f6e-0000-7000-8000-0000000000b1"])
    outcome: HelpOutcome = Field(description="How it went, in the requester's words.", examples=["helped"])
    reported_at: AwareDatetime = Field(description="When (UTC).")


class MemberDataErased(MemberDataErasedBase):
    """The community service erased its copies of a member's data."""

    service = "community"
    event_name = "member_data_erased"
    version = 1


ALL: tuple[type[EventData], ...] = (HelpRequested, HelpOffered, HelpAccepted, HelpOutcomeReported, MemberDataErased)


# -- job and internship board ------------------------------------------------------------------

class ContractType(StrEnum):
    PERMANENT = "permanent"  # CDI
    FIXED_TERM = "fixed_term"  # CDD
    INTERNSHIP = "internship"  # stage
    APPRENTICESHIP = "apprenticeship"  # alternance
    FREELANCE = "freelance"
    VIE = "vie"  # volontariat international en entreprise


class RemotePolicy(StrEnum):
    ONSITE = "onsite"
    HYBRID = "hybrid"
    REMOTE = "remote"


class JobPosted(EventData):
    """A job or internship offer was approved and published: notifications can alert the alumni
    whose preferences match (sector, city, contract type)."""

    service = "community"
    event_name = "job_posted"
    version = 1

    job_id: Identifier = Field(description="Offer id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b40"])
    title: str = Field(description="Title of the position.", examples=["Analyste M&A"], max_length=160)
    company: str = Field(description="Hiring company.", examples=["Banque Exemple"], max_length=120)
    city: str = Field(description="City of the position.", examples=["Paris"], max_length=120)
    country: str = Field(description="ISO 3166-1 alpha-2 country.", examples=["FR"], max_length=2)
    sector: str = Field(description="Sector, free text of the poster.", examples=["finance"], max_length=120)
    contract: ContractType = Field(description="Contract type.", examples=["permanent"])
    remote: RemotePolicy = Field(description="Remote policy.", examples=["hybrid"])
    posted_by_partner: bool = Field(description="Posted by a partner recruiter (not an alumnus).", examples=[True])
    published_at: AwareDatetime = Field(description="When it was approved (UTC).")
    expires_at: AwareDatetime = Field(description="When it expires unless renewed (UTC).")


class JobExpired(EventData):
    """An offer reached its expiry date without being renewed: it is no longer listed."""

    service = "community"
    event_name = "job_expired"
    version = 1

    job_id: Identifier = Field(description="Offer id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b40"])
    expired_at: AwareDatetime = Field(description="When (UTC).")


ALL = (*ALL, JobPosted, JobExpired)


# -- member benefits ---------------------------------------------------------------------------

class BenefitPublished(EventData):
    """A partner discount or perk was published for the tenant's alumni (code never on the bus)."""

    service = "community"
    event_name = "benefit_published"
    version = 1

    benefit_id: Identifier = Field(description="Benefit id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b50"])
    title: str = Field(description="What it offers.", examples=["-20 % sur les abonnements"], max_length=160)
    partner: str = Field(description="The partner granting it.", examples=["Librairie Exemple"], max_length=120)
    members_only: bool = Field(description="Reserved to dues-paying members.", examples=[True])
    valid_until: AwareDatetime | None = Field(None, description="End of validity (UTC), if any.")


class BenefitRedeemed(EventData):
    """An eligible member revealed a benefit's code (counted once per member)."""

    service = "community"
    event_name = "benefit_redeemed"
    version = 1

    benefit_id: Identifier = Field(description="Benefit id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b50"])
    member_id: Identifier = Field(description="Member who redeemed it.", examples=["01938f6e-0000-7000-8000-0000000000a1"])
    redeemed_at: AwareDatetime = Field(description="When (UTC).")


ALL = (*ALL, BenefitPublished, BenefitRedeemed)


# -- mentoring programs ------------------------------------------------------------------------

class MentoringTopic(StrEnum):
    FIRST_JOB = "first_job"
    CAREER_CHANGE = "career_change"
    INDUSTRY = "industry"
    COMPANY = "company"
    RELOCATION = "relocation"
    ENTREPRENEURSHIP = "entrepreneurship"
    LEADERSHIP = "leadership"
    NETWORKING = "networking"
    OTHER = "other"


class MentorshipOutcome(StrEnum):
    COMPLETED = "completed"
    ABANDONED = "abandoned"


MENTORSHIP_ID = Field(description="Mentorship id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b60"])
PROGRAM_ID = Field(description="Mentoring program id (UUIDv7).", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b61"])


class MentorshipMatched(EventData):
    """A mentor and a mentee of a program were paired (confirmed by a manager, or picked by the
    mentee in a self-selected program): the relationship waits for the mentor's acceptance."""

    service = "community"
    event_name = "mentorship_matched"
    version = 1

    mentorship_id: Identifier = MENTORSHIP_ID
    program_id: Identifier = PROGRAM_ID
    mentor_id: Identifier = Field(description="Member who mentors.", examples=["01938f6e-0000-7000-8000-0000000000c1"])
    mentee_id: Identifier = Field(description="Member who is mentored.",
                                  examples=["01938f6e-0000-7000-8000-0000000000c2"])
    matched_by: str = Field(description="`manager` (manager-confirmed program) or `mentee` (self-selected).",
                            examples=["manager"], pattern="^(manager|mentee)$")
    score: float = Field(description="Compatibility score of the pair when matched.", examples=[9.5], ge=0)
    shared_topics: list[MentoringTopic] = Field(description="Topics both sides listed.", examples=[["first_job"]])
    matched_at: AwareDatetime = Field(description="When (UTC).")


class MentorshipClosed(EventData):
    """A mentorship ended: `completed` (from active) or `abandoned` (declined by the mentor,
    or given up by either side). The closing survey's answers stay in community."""

    service = "community"
    event_name = "mentorship_closed"
    version = 1

    mentorship_id: Identifier = MENTORSHIP_ID
    program_id: Identifier = PROGRAM_ID
    mentor_id: Identifier = Field(description="Member who mentored.", examples=["01938f6e-0000-7000-8000-0000000000c1"])
    mentee_id: Identifier = Field(description="Member who was mentored.",
                                  examples=["01938f6e-0000-7000-8000-0000000000c2"])
    outcome: MentorshipOutcome = Field(description="How it ended.", examples=["completed"])
    check_ins: int = Field(description="Check-ins recorded during the relationship.", examples=[4], ge=0)
    closed_at: AwareDatetime = Field(description="When (UTC).")


ALL = (*ALL, MentorshipMatched, MentorshipClosed)
# -- career outcomes (rankings) ----------------------------------------------------------------

class OutcomeSurveyAnswered(EventData):
    """An alumnus answered an outcomes survey (once). The answer itself — situation, contract,
    sector, country, salary band — stays in community: partners subscribed to the tenant's events
    must not learn a named person's salary or job search; consumers only need to know who answered
    (to stop reminding them) and in which cohort (a live response rate)."""

    service = "community"
    event_name = "outcome_survey_answered"
    version = 1

    survey_id: Identifier = Field(description="Outcomes survey id (UUIDv7).",
                                  examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b60"])
    member_id: Identifier = Field(description="Member who answered.", examples=["01938f6e-0000-7000-8000-0000000000a1"])
    program: str = Field(description="Program of the cohort they answered for.", examples=["MSc Finance"],
                         max_length=120)
    cohort_year: int = Field(description="Graduation year of that cohort.", examples=[2025], ge=1900, le=2100)
    channel: str = Field(description="`link` (signed link, no login) or `api` (logged in).", examples=["link"],
                         pattern="^(link|api)$")
    answered_at: AwareDatetime = Field(description="When (UTC).")


class HelpNudged(EventData):
    """A helper left an offered request unanswered for the nudge delay (7 days by default):
    remind them (email, in-app). Without an answer by `respond_by` the request goes to the next
    helpers (a new `help_offered`)."""

    service = "community"
    event_name = "help_nudged"
    version = 1

    request_id: Identifier = REQUEST_ID
    helper_id: Identifier = Field(description="Member reminded.", examples=["01938f6e-0000-7000-8000-0000000000b1"])
    topic: HelpTopic = Field(description="What the help is about.", examples=["career_change"])
    round: int = Field(description="Routing round of the offer.", examples=[1], ge=1)
    offered_at: AwareDatetime = Field(description="When the request was offered to them (UTC).")
    respond_by: AwareDatetime = Field(description="After this (UTC), the request is re-routed.")
    nudged_at: AwareDatetime = Field(description="When (UTC).")


ALL = (*ALL, OutcomeSurveyAnswered, HelpNudged)
