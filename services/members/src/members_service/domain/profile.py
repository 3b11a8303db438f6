"""Value objects of a member's profile, and who may see which part of it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Visibility(StrEnum):
    """Who sees a profile section in the directory. Managers always see everything."""

    ALUMNI = "alumni"  # every alumnus of the tenant
    MANAGERS = "managers"  # the alumni office only
    HIDDEN = "hidden"  # nobody in the directory (the office still holds the data)


class Section(StrEnum):
    """Profile sections whose visibility each member chooses. Names and cohorts are always
    shown once a member is listed: a directory without them is no directory."""

    EMAIL = "email"
    PHONE = "phone"
    PHOTO = "photo"
    LINKEDIN = "linkedin"
    LOCATION = "location"
    CAREER = "career"
    EDUCATION = "education"  # degree and campus; the cohort itself is always shown


# Privacy by default (CNIL): contact details stay with the office until the member opens them.
DEFAULT_VISIBILITY: dict[Section, Visibility] = {
    Section.EMAIL: Visibility.MANAGERS,
    Section.PHONE: Visibility.MANAGERS,
    Section.PHOTO: Visibility.ALUMNI,
    Section.LINKEDIN: Visibility.ALUMNI,
    Section.LOCATION: Visibility.ALUMNI,
    Section.CAREER: Visibility.ALUMNI,
    Section.EDUCATION: Visibility.ALUMNI,
}


@dataclass(frozen=True)
class Cohort:
    """Graduating class (*promotion*): program + graduation year."""

    program: str
    graduation_year: int


@dataclass(frozen=True)
class Education:
    program: str
    graduation_year: int
    degree: str | None = None
    campus: str | None = None

    @property
    def cohort(self) -> Cohort:
        return Cohort(self.program, self.graduation_year)


@dataclass(frozen=True)
class Position:
    employer: str
    job_title: str
    sector: str | None = None
    city: str | None = None
    country: str | None = None
    start: date | None = None
    end: date | None = None

    @property
    def current(self) -> bool:
        return self.end is None


@dataclass(frozen=True)
class EmailAddress:
    address: str
    primary: bool = False


class DeceasedStatus(StrEnum):
    NO = "no"
    SUGGESTED = "suggested"  # anyone may suggest it
    CONFIRMED = "confirmed"  # only a manager confirms it


def normalize_email(email: str) -> str:
    return email.strip().lower()


def search_key(text: str) -> str:
    """Lower-cased, accent-folded form used for prefix searches (`bea` finds `Béatrice`)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())
