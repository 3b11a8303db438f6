"""Ambassadors: members the office appoints for cohorts, programmes or cities."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Cohort, CohortIn, Identifier
from alumni_contracts.text import ShortText

APPOINT_AMBASSADOR = "appoint_ambassador"
REVOKE_AMBASSADOR = "revoke_ambassador"


class AmbassadorScopeOut(Result):
    cohorts: list[Cohort] = Field(default_factory=list)
    programs: list[str] = Field(default_factory=list)
    cities: list[str] = Field(default_factory=list)


class AmbassadorOut(AmbassadorScopeOut):
    appointed_at: AwareDatetime


class AmbassadorScopeIn(Request):
    cohorts: list[CohortIn] = Field(default_factory=list, max_length=50)
    programs: list[ShortText] = Field(default_factory=list, max_length=50)
    cities: list[ShortText] = Field(default_factory=list, max_length=50)


class AppointAmbassador(AmbassadorScopeIn):
    member_id: Identifier


class RevokeAmbassador(Request):
    member_id: Identifier
