"""Shapes of commands and queries over core NATS request/reply (gateway → service).

A request carries its payload (a command model from `<service>.commands`) and the headers
named in `naming` (tenant, principal, correlation id, idempotency key). The reply is always a
`Reply`: either `ok` with a result or a `Problem` shaped like RFC 9457 so the gateway can
pass it through unchanged.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    ALUMNUS = "alumnus"
    MANAGER = "manager"
    ADMIN = "admin"
    PARTNER = "partner"
    PUBLIC = "public"  # anonymous visitors of public endpoints (the gateway sets it, never a token)


# The role sets every service and the gateway authorise with (`servicekit.authz` applies them).
STAFF: frozenset[Role] = frozenset({Role.MANAGER, Role.ADMIN})  # the alumni office
ALUMNI_AND_STAFF: frozenset[Role] = frozenset({Role.ALUMNUS, *STAFF})
EVERYONE: frozenset[Role] = frozenset({Role.PUBLIC, *ALUMNI_AND_STAFF})  # public endpoints


class Principal(BaseModel):
    """Who acts: verified by the gateway, checked again by every service."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant: str = Field(pattern=r"^[a-z0-9-]{2,32}$", description="Tenant the principal belongs to.")
    subject: str = Field(min_length=1, max_length=200, description="Token subject (user id).")
    member_id: str | None = Field(None, description="Member id when the principal is an alumnus.")
    roles: frozenset[Role] = Field(description="Granted roles.")

    def has_any(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


class FieldError(BaseModel):
    model_config = ConfigDict(frozen=True)

    loc: list[str | int] = Field(description="Path of the offending field.")
    msg: str = Field(description="What is wrong with it.")
    type: str = Field(description="Machine-readable error kind.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(frozen=True, extra="allow")

    type: str = Field("about:blank", description="URI identifying the problem kind.")
    title: str = Field(description="Short, human-readable summary of the kind.")
    status: int = Field(description="HTTP status the gateway answers with.")
    detail: str | None = Field(None, description="Explanation of this occurrence.")
    errors: list[FieldError] | None = Field(None, description="Field-level errors (validation).")


class Reply(BaseModel):
    """Envelope of every command/query reply."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    result: dict[str, Any] | None = None
    problem: Problem | None = None

    @classmethod
    def success(cls, result: BaseModel) -> Reply:
        return cls(ok=True, result=result.model_dump(mode="json"))

    @classmethod
    def failure(cls, problem: Problem) -> Reply:
        return cls(ok=False, problem=problem)


def problem_type(slug: str) -> str:
    """Problem `type` URIs are URNs: stable, documented in the README, not fetched."""
    return f"urn:alumni:problem:{slug}"
