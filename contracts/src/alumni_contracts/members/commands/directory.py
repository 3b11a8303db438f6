"""The alumni directory: search, and the entries as the viewer may see them."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Cohort, Identifier
from alumni_contracts.members.commands.ambassadors import AmbassadorScopeOut
from alumni_contracts.members.commands.common import CountryCode, Year
from alumni_contracts.members.commands.profiles import EducationOut, PositionOut
from alumni_contracts.text import PersonText, ShortText

SEARCH_DIRECTORY = "search_directory"


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
