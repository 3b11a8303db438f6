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


# Letters Unicode does not decompose into a base letter and an accent (after case folding, which
# already turns ß and ẞ into ss and the capitals into these), spelled as a French or English
# keyboard would; apostrophes and dashes of every kind as the ASCII ones.
APOSTROPHES = "'\u2018\u2019\u201b\u02bc\u02b9\u2032`"
HYPHENS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_FOLDS = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ı": "i", "þ": "th",
                        **dict.fromkeys(APOSTROPHES, "'"), **dict.fromkeys(HYPHENS, "-")})
# Bumped whenever `search_key` or `name_key` fold differently: stored keys are recomputed then.
SEARCH_KEYS_VERSION = 2


def search_key(text: str) -> str:
    """Folded form for matching text: case-folded, accents stripped, ligatures and special
    letters spelled out (`Œuvray` → `oeuvray`, `Łódź` → `lodz`, `Straße` → `strasse`), invisible
    format characters dropped, apostrophes and dashes unified to `'` and `-`, spaces collapsed.
    The stored keys and the query go through the same function."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    return " ".join(kept.translate(_FOLDS).split())


def name_key(name: str) -> str:
    """How names are compared — in the directory (stored keys and the query) and when looking
    for duplicates: `search_key` without apostrophes, hyphens or spaces, so that `obrien`,
    `o'brien` and `O’Brien` are one name, and `jean pierre`, `jeanpierre` and `Jean-Pierre` too."""
    return search_key(name).replace("'", "").replace("-", "").replace(" ", "")


def name_parts(name: str) -> list[str]:
    """The folded words of a compound name (`pierre` in Jean-Pierre, `brien` in O'Brien)."""
    return search_key(name).replace("'", " ").replace("-", " ").split()
