"""Dues KPIs by cohort and program (members service): the staff query and the rebuild command.

Definitions: README, "Dues KPIs". Gauges (alumni of record, dues members, lifetime) are as of
now; flows (renewals, lapses, reactivations, revenue) over the calendar months
[`from_month`, `to_month`] (UTC).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import CurrencyCode

MEMBERSHIP_KPIS = "membership_kpis"
REBUILD_MEMBERSHIP_KPIS = "rebuild_membership_kpis"

YearMonth = Annotated[str, Field(pattern=r"^(19|20|21)\d\d-(0[1-9]|1[0-2])$", description="A calendar month, "
                                 "`YYYY-MM` (UTC).", examples=["2026-01"])]


class KpiDimension(StrEnum):
    COHORT = "cohort"
    PROGRAM = "program"


class MembershipKpisQuery(Request):
    by: KpiDimension = Field(KpiDimension.COHORT, description="Rows by graduation year (`cohort`) or `program`.")
    from_month: YearMonth = Field(description="First month of the period (flows: renewals, lapses, revenue).")
    to_month: YearMonth = Field(description="Last month of the period, included.")
    cohort_from: int | None = Field(None, ge=1900, le=2200, description="Only cohorts graduating this year or later.")
    cohort_to: int | None = Field(None, ge=1900, le=2200, description="Only cohorts graduating this year or earlier.")

    @model_validator(mode="after")
    def _ordered(self) -> MembershipKpisQuery:
        if self.to_month < self.from_month:
            raise ValueError("to_month is before from_month")
        if self.from_month[:4] < str(int(self.to_month[:4]) - 10):
            raise ValueError("the period spans at most ten years")
        if self.cohort_from is not None and self.cohort_to is not None and self.cohort_to < self.cohort_from:
            raise ValueError("cohort_to is before cohort_from")
        return self


class KpiRate(Result):
    numerator: int = Field(description="Counted.")
    denominator: int = Field(description="Out of.")
    rate: float | None = Field(description="numerator ÷ denominator (0–1), rounded to 4 places; null when the "
                                           "denominator is 0.")


class MembershipKpiRow(Result):
    key: str = Field(description="Graduation year or program; empty for members without a cohort on record.",
                     examples=["2019"])
    alumni: int = Field(description="Alumni of record (now).")
    contactable: int = Field(description="Contactable alumni: an email that does not bounce, not deceased, "
                                         "fundraising consent not withdrawn.")
    members: int = Field(description="Dues members now: active (a free first year included) or lifetime.")
    in_grace: int = Field(description="Memberships in grace now (not counted as members).")
    lifetime: int = Field(description="Lifetime members now.")
    participation: KpiRate = Field(description="Members ÷ alumni of record.")
    participation_contactable: KpiRate = Field(description="Members ÷ contactable alumni.")
    renewal: KpiRate = Field(description="Renewals ÷ (renewals + annual memberships lapsed at the end of grace) in "
                                         "the period.")
    conversion: KpiRate = Field(description="Alumni who first became members before 1 July of the year after "
                                            "graduation ÷ alumni of record with a graduation year.")
    lifetime_share: KpiRate = Field(description="Lifetime members ÷ members.")
    reactivation: KpiRate = Field(description="Lapses in the period followed by a return to membership ÷ lapses "
                                              "in the period.")


class RevenueLineOut(Result):
    plan_id: str = Field(description="Membership plan.")
    plan_name: str = Field(description="The plan's current name (empty if unknown).")
    month: str = Field(description="Month the payments were received (`YYYY-MM`, UTC).")
    currency: CurrencyCode = Field(description="ISO 4217 currency.")
    amount_minor: int = Field(description="Dues received that month on this plan, minus what was refunded of "
                                          "them, in minor units.")


class MembershipKpis(Result):
    by: KpiDimension
    from_month: str
    to_month: str
    rows: list[MembershipKpiRow]
    total: MembershipKpiRow = Field(description="All rows together (key `*`).")
    revenue: list[RevenueLineOut] = Field(description="Net dues revenue by month and plan.")


class RebuildMembershipKpis(Request):
    """Recompute the tenant's dues KPIs from the register and the stored memberships."""


class MembershipKpisRebuilt(Result):
    members: int = Field(description="Members of record recounted.")
    memberships: int = Field(description="Memberships recounted.")
    changed_figures: int = Field(description="Figures that differed from the incremental projection "
                                             "(0 when it was in step).")
