"""Career outcomes for rankings: the graduate-employment survey French schools answer every year.

Pure model: no I/O. A manager launches a survey for a set of cohorts (graduation years, optionally
some programs) and a horizon (the situation *N months* after graduation); the alumni of those
cohorts at launch form its panel (one invitation each). An alumnus answers **once** — through a
signed link (no login) or the API — and agrees to the use of the answer for the school's
statistics (consent recorded with the text shown). Figures are computed per cohort and per
program with a minimum group size below which nothing is returned (`outcome_figures`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from servicekit.domain import AggregateRoot, Conflict, DomainError, DomainEvent, new_id


class Situation(StrEnum):
    EMPLOYED = "employed"
    SEEKING = "seeking"  # looking for a job
    FURTHER_STUDY = "further_study"  # poursuite d'études
    OTHER = "other"  # volunteering, sabbatical, not looking


CONTRACTS = ("permanent", "fixed_term", "freelance", "vie", "apprenticeship", "other")
# Gross yearly salary, euros, bonus excluded (the CGE survey's convention); ordered.
SALARY_BANDS = ("under_30k", "30k_35k", "35k_40k", "40k_45k", "45k_50k", "50k_60k", "60k_80k", "80k_plus")
CONSENT_VERSION = "outcomes-2026-1"
CONSENT_TEXT = {
    "fr": "J'accepte que ma réponse soit utilisée, de façon agrégée et anonyme (groupes d'au moins 5 personnes), "
          "pour les statistiques d'insertion de l'école et ses réponses aux classements.",
    "en": "I agree that my answer be used, aggregated and anonymously (groups of at least 5 people), for the "
          "school's graduate-outcome statistics and its answers to rankings.",
}


class InvalidSurvey(DomainError):
    code = "invalid-outcome-survey"
    title = "Invalid outcomes survey"


class InvalidAnswer(DomainError):
    code = "invalid-outcome-answer"
    title = "Invalid outcomes-survey answer"


class AlreadyAnswered(Conflict):
    code = "outcome-survey-already-answered"
    title = "You already answered this survey"


class SurveyClosed(Conflict):
    code = "outcome-survey-closed"
    title = "This survey is closed"


def cohort_key(program: str, year: int) -> str:
    return f"{program} {year}".strip()


@dataclass(frozen=True)
class PanelMember:
    """An alumnus of one of the survey's cohorts at launch (the cohort they are counted in)."""

    member_id: str
    program: str
    year: int


@dataclass(eq=False)
class OutcomeSurvey(AggregateRoot):
    title: str = ""
    months_after: int = 6
    cohort_years: tuple[int, ...] = ()
    programs: tuple[str, ...] = ()
    status: str = "open"  # open / closed
    created_at: datetime | None = None
    closes_at: datetime | None = None
    invited: dict[str, int] = field(default_factory=dict)  # cohort key -> panel size at launch
    invited_programs: dict[str, int] = field(default_factory=dict)  # program -> panel size at launch

    @classmethod
    def launch(cls, *, tenant: str, title: str, months_after: int, cohort_years: tuple[int, ...],
               programs: tuple[str, ...], closes_at: datetime | None, panel: list[PanelMember],
               now: datetime) -> OutcomeSurvey:
        if not title.strip():
            raise InvalidSurvey("give the survey a title")
        if not cohort_years:
            raise InvalidSurvey("name at least one graduating class")
        if not 1 <= months_after <= 120:
            raise InvalidSurvey("the horizon is between 1 and 120 months after graduation")
        if closes_at is not None and closes_at <= now:
            raise InvalidSurvey("the closing date is in the past")
        survey = cls(id=new_id(), tenant=tenant, title=title.strip(), months_after=months_after,
                     cohort_years=tuple(sorted(set(cohort_years))), programs=programs, created_at=now,
                     closes_at=closes_at)
        for p in panel:
            key = cohort_key(p.program, p.year)
            survey.invited[key] = survey.invited.get(key, 0) + 1
            survey.invited_programs[p.program] = survey.invited_programs.get(p.program, 0) + 1
        return survey

    def is_open(self, now: datetime) -> bool:
        return self.status == "open" and (self.closes_at is None or now < self.closes_at)

    def close(self) -> None:
        self.status = "closed"
        self.version += 1


@dataclass(frozen=True)
class OutcomeSurveyAnswered(DomainEvent):
    survey_id: str
    member_id: str
    program: str
    cohort_year: int
    channel: str
    at: datetime


@dataclass(eq=False)
class OutcomeAnswer(AggregateRoot):
    """One alumnus's answer to one survey (id `<survey>:<member>`: at most one, by construction)."""

    survey_id: str = ""
    member_id: str = ""
    program: str = ""
    cohort_year: int = 0
    situation: Situation = Situation.OTHER
    contract: str | None = None
    sector: str = ""
    country: str | None = None
    salary_band: str | None = None
    consent_version: str = CONSENT_VERSION
    consent_text: str = ""
    locale: str = "fr"
    channel: str = "api"  # api / link
    answered_at: datetime | None = None

    @staticmethod
    def key(survey_id: str, member_id: str) -> str:
        return f"{survey_id}:{member_id}"

    @classmethod
    def give(cls, *, survey: OutcomeSurvey, invitee: PanelMember, situation: str, contract: str | None,
             sector: str, country: str | None, salary_band: str | None, consent: bool, locale: str, channel: str,
             already: bool, now: datetime) -> OutcomeAnswer:
        if already:
            raise AlreadyAnswered("an answer was already recorded for you; it cannot be changed")
        if not survey.is_open(now):
            raise SurveyClosed("the survey no longer takes answers")
        if not consent:
            raise InvalidAnswer("the answer is only recorded with your consent to its statistical use")
        try:
            status = Situation(situation)
        except ValueError:
            raise InvalidAnswer(f"unknown situation {situation!r}") from None
        if status is Situation.EMPLOYED:
            if contract not in CONTRACTS:
                raise InvalidAnswer("an employed graduate gives their contract type")
            if not sector.strip() or not country:
                raise InvalidAnswer("an employed graduate gives their sector and country")
            if salary_band is not None and salary_band not in SALARY_BANDS:
                raise InvalidAnswer(f"unknown salary band {salary_band!r}")
        else:  # only an employment has a contract, a sector, a country of work and a salary
            contract, sector, country, salary_band = None, "", None, None
        answer = cls(id=cls.key(survey.id, invitee.member_id), tenant=survey.tenant, survey_id=survey.id,
                     member_id=invitee.member_id, program=invitee.program, cohort_year=invitee.year,
                     situation=status, contract=contract, sector=" ".join(sector.split()), country=country,
                     salary_band=salary_band, consent_text=CONSENT_TEXT.get(locale, CONSENT_TEXT["fr"]),
                     locale=locale if locale in CONSENT_TEXT else "fr", channel=channel, answered_at=now)
        answer.record(OutcomeSurveyAnswered(survey.id, invitee.member_id, invitee.program, invitee.year, channel,
                                            now))
        return answer
