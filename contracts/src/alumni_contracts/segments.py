"""The **segment**: who a message or an invitation is for, shared by every service that targets alumni.

A segment is data, not a query: each service evaluates it against its **own** projection of
the members' events (`servicekit.segments`), never by calling members. The rules, which every
evaluator follows (and a test holds two services to):

- each criterion is a list; an empty list does not constrain; a member matches a criterion
  when they match **any** value of its list; a member matches the segment when they match
  **every** non-empty criterion (AND of ORs);
- `cohort_years` and `programs` apply to **one** cohort: with both, the member has one cohort
  whose year is listed *and* whose program is listed (class of 2016 of the MSc Finance, not
  "some cohort in 2016 and some other in the MSc Finance");
- programs and cities compare case-, accent- and space-insensitively (`segment_key`);
  countries are ISO 3166-1 alpha-2 codes;
- `groups`: the member is an active member of one of these groups (invited or left is not);
- `ambassadors_only`: only members currently appointed ambassador;
- `membership_states`: the member's dues membership is in one of these states (a member who
  never joined has no state and matches no list);
- `consent_purpose`: the member's consent for that purpose is currently granted (consent is
  opt-in: never given = not granted). Required for marketing sends (`MarketingSegment`);
- deceased members never match any segment.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from alumni_contracts._requests import Request
from alumni_contracts.common import Purpose
from alumni_contracts.members.membership_v1 import MembershipState
from alumni_contracts.text import ShortText

SEGMENT_SCHEMA_ID = "urn:alumni:schema:shared:segment:v1"
SEGMENT_SCHEMA_PATH = "shared/segment.v1.json"
MAX_VALUES = 200  # per criterion: a segment is a few classes, not a list of members

CohortYear = Annotated[int, Field(ge=1900, le=2100)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
GroupId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def segment_key(value: str) -> str:
    """How programs and cities compare: accents folded, case folded, runs of spaces and
    hyphens collapsed (`Saint-Étienne` = `saint etienne`, `MSc  Finance` = `msc finance`)."""
    decomposed = unicodedata.normalize("NFKD", value)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(folded.replace("-", " ").replace("'", " ").split())


class Segment(Request):
    """A set of alumni of one tenant, described by criteria (see the module's rules): strict —
    an unknown field, a year out of range or a country that is not an ISO code is refused (422)."""

    cohort_years: list[CohortYear] = Field(
        default_factory=list, max_length=MAX_VALUES, description="Graduation years (any of them).",
        examples=[[2016]])
    programs: list[ShortText] = Field(
        default_factory=list, max_length=MAX_VALUES,
        description="Programs (any of them), compared without case or accents; with `cohort_years`, the same cohort "
                    "must match both.", examples=[["MSc Finance"]])
    cities: list[ShortText] = Field(
        default_factory=list, max_length=MAX_VALUES, description="Cities of residence (any), compared without case "
                                                                 "or accents.", examples=[["Lyon"]])
    countries: list[CountryCode] = Field(
        default_factory=list, max_length=MAX_VALUES, description="Countries of residence, ISO 3166-1 alpha-2 (any).",
        examples=[["FR"]])
    groups: list[GroupId] = Field(
        default_factory=list, max_length=MAX_VALUES, description="Group ids; active members of any of them.",
        examples=[["cohort-3f9a0c1d2e4b5a6978a1b2c3"]])
    ambassadors_only: bool = Field(False, description="Only members currently appointed ambassador.",
                                   examples=[False])
    membership_states: list[MembershipState] = Field(
        default_factory=list, max_length=len(MembershipState),
        description="Dues membership states (any); a member who never joined matches none.",
        examples=[["active", "in_grace", "lifetime"]])
    consent_purpose: Purpose | None = Field(
        None, description="Only members whose consent for this purpose is currently granted (required for "
                          "marketing sends such as newsletters).", examples=["newsletter"])

    @field_validator("cohort_years", "programs", "cities", "countries", "groups", "membership_states")
    @classmethod
    def _no_duplicates(cls, values: list[object]) -> list[object]:
        return list(dict.fromkeys(values))  # order kept; a repeated value means nothing more

    @field_validator("programs", "cities")
    @classmethod
    def _not_blank_key(cls, values: list[str]) -> list[str]:
        for v in values:
            if not segment_key(v):
                raise ValueError(f"{v!r} has no letters or digits to compare")
        return values

    def describe(self) -> str:
        """A short human summary (for logs and the console), English."""
        parts = [f"{name}={value}" for name, value in self.model_dump(mode="json", exclude_defaults=True).items()]
        return ", ".join(parts) or "all alumni"


class MarketingSegment(Segment):
    """A segment for a marketing send (newsletter): the consent purpose is required."""

    consent_purpose: Purpose = Field(  # type: ignore[assignment]
        description="The consent the recipients must have granted (newsletters: `newsletter`).",
        examples=["newsletter"])


def segment_schema() -> dict[str, object]:
    schema = Segment.model_json_schema(mode="validation")
    schema["$id"] = SEGMENT_SCHEMA_ID
    schema["title"] = "Segment"
    schema["description"] = (__doc__ or "").strip()
    return schema
