"""Commands and queries of dues membership (members service): plans and memberships."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import TWO_DECIMAL_CURRENCIES, CurrencyCode, Identifier
from alumni_contracts.members.membership_v1 import MembershipState, PlanKind
from alumni_contracts.text import PersonText, ShortText

Description = Annotated[str, PersonText(max_length=1000)]
Entity = Annotated[str, PersonText(max_length=200)]

CREATE_MEMBERSHIP_PLAN = "create_membership_plan"
UPDATE_MEMBERSHIP_PLAN = "update_membership_plan"
RETIRE_MEMBERSHIP_PLAN = "retire_membership_plan"
LIST_MEMBERSHIP_PLANS = "list_membership_plans"
GET_MEMBERSHIP_PLAN = "get_membership_plan"
JOIN_MEMBERSHIP = "join_membership"
GET_MEMBERSHIP = "get_membership"
CANCEL_MEMBERSHIP = "cancel_membership"
MEMBERSHIP_CERTIFICATE = "membership_certificate"

MAX_PRICE_MINOR = 100_000_000

# Currencies a plan may be priced in: see `TWO_DECIMAL_CURRENCIES` (prices are minor units shown
# and charged as cents).
PLAN_CURRENCIES = TWO_DECIMAL_CURRENCIES


def _plan_currency(code: str) -> str:
    if code not in PLAN_CURRENCIES:
        raise ValueError(f"{code} is not a currency plans can be priced in (ISO 4217, two decimals: "
                         f"{', '.join(sorted(PLAN_CURRENCIES))})")
    return code


PlanCurrency = Annotated[CurrencyCode, AfterValidator(_plan_currency)]


class PlanTermsIn(Request):
    """What a plan sells. Lifetime plans are payable at once (`instalments` 1) or in N
    instalments, each covering `instalment_interval_months` until the next is due."""

    name: ShortText = Field(description="Name shown to members.", examples=["Standard"])
    description: Description | None = Field(None, description="Details shown to members.")
    kind: PlanKind = Field(description="`annual` dues or `lifetime` dues.", examples=["annual"])
    price_minor: int = Field(ge=0, le=MAX_PRICE_MINOR, description="Price in integer minor units.", examples=[6000])
    currency: PlanCurrency = Field("EUR", description="ISO 4217 currency with two decimals (EUR, CHF, GBP, USD…).",
                                   examples=["EUR"])
    period_months: int = Field(12, ge=1, le=60, description="Annual plans: months a payment covers.")
    instalments: int = Field(1, ge=1, le=24, description="Lifetime plans: number of instalments.")
    instalment_interval_months: int = Field(12, ge=1, le=24, description="Months between instalments.")
    grace_days: int = Field(30, ge=0, le=365, description="Days of grace after a period ends unpaid.")
    legal_entity: Entity | None = Field(None, description="The legal entity that receives the money.",
                              examples=["Association des diplômés"])
    tax_deductible_minor: int = Field(0, ge=0, le=MAX_PRICE_MINOR,
                                      description="Share of the price that is tax-deductible (not the share that "
                                                  "buys services), in minor units.", examples=[4000])
    max_years_since_graduation: int | None = Field(
        None, ge=0, le=50, description="Eligibility (young-graduate tiers): only members who graduated at most this "
                                       "many years ago may join.", examples=[5])
    free_first_year_within_years: int | None = Field(
        None, ge=0, le=50, description="The first period is free for members who graduated at most this many years "
                                       "ago and never had a membership.", examples=[1])

    @model_validator(mode="after")
    def _coherent(self) -> PlanTermsIn:
        if self.tax_deductible_minor > self.price_minor:
            raise ValueError("the tax-deductible share cannot exceed the price")
        if self.kind is PlanKind.ANNUAL and self.instalments != 1:
            raise ValueError("annual plans are paid at once")
        return self


class CreateMembershipPlan(PlanTermsIn):
    pass


class UpdateMembershipPlan(PlanTermsIn):
    """A new revision of the plan; current members keep the terms they bought until they renew."""

    plan_id: Identifier


class MembershipPlanRef(Request):
    plan_id: Identifier


class ListMembershipPlans(Request):
    include_retired: bool = Field(False, description="Staff: include retired plans.")


class MembershipPlanOut(Result):
    plan_id: Identifier
    revision: int
    retired: bool
    retired_at: AwareDatetime | None = None
    name: str
    description: str
    kind: PlanKind
    price_minor: int
    currency: str
    period_months: int
    instalments: int
    instalment_interval_months: int
    grace_days: int
    legal_entity: str
    tax_deductible_minor: int
    max_years_since_graduation: int | None = None
    free_first_year_within_years: int | None = None


class MembershipPlanList(Result):
    items: list[MembershipPlanOut]


class JoinMembership(Request):
    """Join, renew or rejoin on a plan (staff may name a member): the membership waits for the
    payment of `due`."""

    plan_id: Identifier
    member_id: Identifier | None = Field(None, description="Staff: the member; default: yourself.")


class MembershipQuery(Request):
    member_id: Identifier | None = Field(None, description="Staff: the member; default: yourself.")


class CertificateLanguage(StrEnum):
    FR = "fr"
    EN = "en"


class MembershipCertificateQuery(Request):
    member_id: Identifier | None = Field(None, description="Staff: the member; default: yourself.")
    language: CertificateLanguage = CertificateLanguage.FR


class CancelMembership(Request):
    member_id: Identifier
    reason: ShortText = Field(description="Why (kept on the membership).", examples=["member request"])


class DueOut(Result):
    amount_minor: int
    currency: str
    instalment: int | None = None
    instalments: int | None = None
    requested_at: AwareDatetime


class PeriodOut(Result):
    start: AwareDatetime
    end: AwareDatetime | None = Field(None, description="null: lifetime")
    payment_id: str | None = None
    free: bool = False
    instalment: int | None = None


class MembershipPaymentOut(Result):
    payment_id: str
    amount_minor: int
    currency: str
    paid_at: AwareDatetime
    method: str
    provider: str
    instalment: int | None = None
    reference: str | None = None
    applied: bool
    note: str = Field("", description="Why a payment was not applied (for a manager to refund).")
    refunded_minor: int = 0


class TransitionOut(Result):
    from_status: MembershipState
    to_status: MembershipState
    reason: str
    at: AwareDatetime


class FailureOut(Result):
    payment_id: str
    reason: str
    at: AwareDatetime
    instalment: int | None = None


class MembershipOut(Result):
    membership_id: Identifier
    member_id: Identifier
    plan_id: Identifier
    plan_name: str
    plan_kind: PlanKind
    plan_revision: int
    status: MembershipState
    status_reason: str
    status_since: AwareDatetime | None = None
    paid_until: AwareDatetime | None = None
    grace_until: AwareDatetime | None = None
    paid_instalments: int
    instalments: int
    missed_instalment: int | None = None
    due: DueOut | None = None
    last_failure: FailureOut | None = None
    legal_entity: str
    periods: list[PeriodOut]
    payments: list[MembershipPaymentOut]
    transitions: list[TransitionOut]


class MembershipJoined(Result):
    membership: MembershipOut
    due: DueOut | None = Field(None, description="What to pay now; null when a free-year rule activated it.")


class MembershipCertificate(Result):
    filename: str
    content_type: str = "application/pdf"
    pdf_base64: str
