"""GDPR erasure: request it, follow it."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Identifier

REQUEST_ERASURE = "request_erasure"
GET_ERASURE = "get_erasure"


class RequestErasure(Request):
    member_id: Identifier | None = Field(None, description="Staff only; alumni erase themselves.")


class GetErasure(Request):
    erasure_id: Identifier


class ErasureStatus(Result):
    erasure_id: Identifier
    status: str = Field(description="`in-progress` until every service confirmed, then `completed`.")
    requested_at: AwareDatetime
    deadline: AwareDatetime = Field(description="When it must be complete (one month, GDPR art. 12(3)).")
    overdue: bool = Field(description="Past the deadline and not completed: the office must act.")
    confirmations: dict[str, AwareDatetime | None] = Field(
        description="Service → when it confirmed (null: not yet).")
    completed_at: AwareDatetime | None = None
