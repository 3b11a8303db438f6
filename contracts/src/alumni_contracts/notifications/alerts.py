"""Requests and replies of notifications' alerts: a member's job alerts (issue 14 item 4) and
the staff's in-app alerts (a partner webhook disabled automatically, issue 13 item 6)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from alumni_contracts._requests import Request, Result
from alumni_contracts.community.v1 import ContractType
from alumni_contracts.text import ShortText

GET_MY_JOB_ALERTS = "get_my_job_alerts"
SET_MY_JOB_ALERTS = "set_my_job_alerts"
LIST_STAFF_ALERTS = "list_staff_alerts"
MARK_STAFF_ALERTS_READ = "mark_staff_alerts_read"

_Criterion = ShortText  # a sector or a city, as a person types it (one line, control characters refused)
_AlertId = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class GetMyJobAlerts(Request):
    pass


class SetMyJobAlerts(Request):
    enabled: bool = Field(description="Alert me of new approved offers that match.", examples=[True])
    sectors: list[_Criterion] = Field(default_factory=list, max_length=10, description=(
        "Sectors (case and accents ignored); empty: any sector."), examples=[["finance"]])
    cities: list[_Criterion] = Field(default_factory=list, max_length=10, description=(
        "Cities (case and accents ignored); empty: any city."), examples=[["Paris", "Lyon"]])
    contracts: list[ContractType] = Field(default_factory=list, max_length=8, description=(
        "Contract types; empty: any."), examples=[["permanent", "internship"]])


class JobAlertsOut(Result):
    enabled: bool
    sectors: list[str]
    cities: list[str]
    contracts: list[ContractType]
    jobs_email: bool = Field(description="Your `jobs` preference for email (alerts also need the newsletter consent).")
    jobs_in_app: bool = Field(description="Your `jobs` preference for the in-app feed.")
    consent: bool = Field(description="The `newsletter` consent that job alerts, as marketing, need.")


class ListStaffAlerts(Request):
    limit: int = Field(50, ge=1, le=100, description="Newest first.")
    lang: Literal["fr", "en"] = Field("fr", description="Language of the titles and texts.")


class StaffAlertOut(Result):
    alert_id: str
    kind: str = Field(examples=["webhook_disabled"])
    about: str = Field(description="What it is about (the partner webhook subscription id).")
    title: str = Field(description="In the language asked for.")
    body: str
    created_at: AwareDatetime
    read: bool = Field(description="Read by the caller (each staff member has their own mark).")


class StaffAlertsOut(Result):
    items: list[StaffAlertOut]
    unread: int


class MarkStaffAlertsRead(Request):
    alert_ids: list[_AlertId] = Field(default_factory=list, max_length=100, description="Empty with `all`.")
    all: bool = Field(False, description="Mark every alert read.")


class StaffAlertsMarkedRead(Result):
    marked: int
