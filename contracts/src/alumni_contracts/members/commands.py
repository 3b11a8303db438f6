"""Commands and queries of the members service."""

from __future__ import annotations

from pydantic import AwareDatetime, EmailStr, Field

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Cohort, Identifier, Locale

REGISTER_MEMBER = "register_member"
GET_MEMBER = "get_member"
LIST_MEMBERS = "list_members"


class RegisterMember(Request):
    first_name: str = Field(min_length=1, max_length=100, examples=["Béatrice"])
    last_name: str = Field(min_length=1, max_length=100, examples=["Dupont"])
    email: EmailStr = Field(examples=["beatrice.dupont@example.org"])
    locale: Locale = Field(Locale.FR, examples=["fr"])
    cohort: Cohort


class MemberRegisteredResult(Result):
    member_id: Identifier


class GetMember(Request):
    member_id: Identifier


class ListMembers(Request):
    limit: int = Field(50, ge=1, le=200)
    after: Identifier | None = Field(None, description="Cursor: the last member id of the previous page.")


class MemberView(Result):
    member_id: Identifier
    first_name: str
    last_name: str
    email: str
    locale: Locale
    cohort: Cohort
    registered_at: AwareDatetime
    version: int


class MemberPage(Result):
    items: list[MemberView]
    next_cursor: Identifier | None = None
