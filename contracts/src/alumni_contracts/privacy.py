"""GDPR rights across services: the shapes every service shares.

- Access/portability: each service answers `qry.<service>.export_member_data` with what it
  holds about one member; the gateway assembles the answers into one JSON document.
- Erasure: members publishes `member_erasure_requested`; each service erases (or, for
  accounting records, pseudonymises) its copies and confirms with its own
  `member_data_erased` event carrying the erasure id only — never the member id, so that
  the confirmation itself holds no identifier; members then publishes `member_erased`.
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, Field

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Identifier
from alumni_contracts.envelope import EventData

EXPORT_MEMBER_DATA = "export_member_data"
# Services holding personal data, in the order an export lists them.
DATA_HOLDERS = ("members", "events", "fundraising", "notifications", "community")
# How long the platform gives itself to complete an erasure (GDPR art. 12(3): one month).
ERASURE_DEADLINE_DAYS = 30


class ExportMemberData(Request):
    member_id: Identifier


class MemberDataExport(Result):
    """What one service holds about a member: records by collection, as stored (JSON)."""

    service: str
    records: dict[str, list[dict[str, Any]]] = Field(
        description="Collection name → the member's records in it; dates as ISO 8601 strings.")


class MemberDataErasedBase(EventData):
    """A service confirms it erased or pseudonymised its copies of an erased member's data."""

    erasure_id: Identifier = Field(description="The erasure this confirms (from `member_erasure_requested`).",
                                   examples=["01938f70-0000-7000-8000-000000000001"])
    erased: dict[str, int] = Field(description="Records deleted, by collection.", examples=[{"contacts": 1}])
    pseudonymised: dict[str, int] = Field(description="Records kept under a pseudonym (accounting), by collection.",
                                          examples=[{"donations": 2}])
    erased_at: AwareDatetime = Field(description="When (UTC).")
