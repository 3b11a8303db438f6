"""Commands and queries of the outcomes surveys (plain dataclasses, built by the use cases)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LaunchOutcomeSurvey:
    tenant: str
    title: str
    cohort_years: tuple[int, ...]
    programs: tuple[str, ...]
    months_after: int
    closes_at: datetime | None


@dataclass(frozen=True)
class CloseOutcomeSurvey:
    tenant: str
    survey_id: str


@dataclass(frozen=True)
class ListOutcomeSurveys:
    tenant: str


@dataclass(frozen=True)
class OutcomeFiguresQuery:
    tenant: str
    survey_id: str


@dataclass(frozen=True)
class OutcomeFiguresCsv:
    tenant: str
    survey_id: str


@dataclass(frozen=True)
class OutcomeSurveyLinks:
    tenant: str
    survey_id: str


@dataclass(frozen=True)
class MyOutcomeSurveys:
    tenant: str
    member_id: str


@dataclass(frozen=True)
class Answer:
    situation: str
    contract: str | None
    sector: str
    country: str | None
    salary_band: str | None
    consent: bool
    locale: str


@dataclass(frozen=True)
class AnswerOutcomeSurvey:
    """Logged in (`channel` api) or through a signed link (`token`, channel link)."""

    tenant: str
    survey_id: str | None
    member_id: str | None
    token: str | None
    answer: Answer


@dataclass(frozen=True)
class CheckOutcomeLink:
    tenant: str
    token: str
