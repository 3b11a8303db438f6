"""Commands and queries as the use cases see them (already validated, tenant attached)."""

from __future__ import annotations

from dataclasses import dataclass

from members_service.domain.model import Cohort


@dataclass(frozen=True)
class RegisterMember:
    tenant: str
    first_name: str
    last_name: str
    email: str
    locale: str
    cohort: Cohort


@dataclass(frozen=True)
class GetMember:
    tenant: str
    member_id: str
    viewer_member_id: str | None
    viewer_is_staff: bool


@dataclass(frozen=True)
class ListMembers:
    tenant: str
    limit: int
    after: str | None
