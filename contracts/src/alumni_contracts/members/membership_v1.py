"""Dues membership events published by the members service, major version 1.

Each is one transition of the membership state machine (`pending_payment → active →
in_grace → lapsed`, renewal, `lifetime`, `cancelled`), with the rule's reason. They come from
members' own rules reacting to payments (`dues_paid`, `dues_payment_failed`, `dues_refunded`)
and to time; a consumer never infers membership state from payment events.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field

from alumni_contracts.common import Identifier
from alumni_contracts.envelope import EventData


class MembershipState(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    ACTIVE = "active"
    IN_GRACE = "in_grace"
    LAPSED = "lapsed"
    LIFETIME = "lifetime"
    CANCELLED = "cancelled"


class PlanKind(StrEnum):
    ANNUAL = "annual"
    LIFETIME = "lifetime"


class _MembershipTransition(EventData):
    service = "members"
    version = 1

    membership_id: Identifier = Field(description="Membership id (UUIDv7).",
                                      examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b21"])
    member_id: Identifier = Field(description="Member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    plan_id: Identifier = Field(description="Membership plan.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b30"])
    plan_kind: PlanKind = Field(description="Annual dues or lifetime dues (*cotisation à vie*).",
                                examples=["annual"])
    status: MembershipState = Field(description="State after the transition.", examples=["active"])
    reason: str = Field(description="The rule that applied (e.g. `paid`, `period-ended`, `grace-ended`, "
                                    "`payment-refunded`, `free-first-year`, `schedule-complete`).",
                        examples=["paid"], max_length=80)
    paid_until: AwareDatetime | None = Field(
        None, description="End of the last paid (or free) period after the transition; null for a lifetime "
                          "membership or none.")
    at: AwareDatetime = Field(description="When the rule took effect (UTC): a scheduler catching up after "
                                          "downtime dates the transition when it was due.")
    # Added within v1 (optional, so compatible): what a reminder tells the member. Absent from
    # events published before; consumers fall back to wording without them.
    plan_name: str | None = Field(None, max_length=200, description="The plan's name, on the terms the membership "
                                  "is on (added in v1, optional: absent from older events).", examples=["Standard"])
    amount_due_minor: int | None = Field(
        None, ge=0, description="What the next payment costs on those terms, in minor units: a renewal's price or "
                                "the next instalment; null when nothing more is due (lifetime, cancelled) or on "
                                "older events.", examples=[6000])
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="ISO 4217 currency of `amount_due_minor`.",
                                 examples=["EUR"])


class MembershipActivated(_MembershipTransition):
    """A membership became active: first payment, a free-year rule, or a reactivation after a lapse."""

    event_name = "membership_activated"

    payment_id: Identifier | None = Field(None, description="The payment that activated it; null for a free-year "
                                                            "rule.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b20"])
    reactivation: bool = Field(description="The member had a membership period before (a lapsed member came back).",
                               examples=[False])


class MembershipRenewed(_MembershipTransition):
    """A payment extended an active or in-grace membership (or paid the next instalment): the new
    period starts where the previous one ended, without a gap."""

    event_name = "membership_renewed"

    payment_id: Identifier = Field(description="The payment.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b20"])
    period_start: AwareDatetime = Field(description="Start of the period the payment bought.")
    instalment: int | None = Field(None, ge=1, description="Instalment paid (lifetime plans in instalments).",
                                   examples=[2])


class MembershipEnteredGrace(_MembershipTransition):
    """The paid period ended (or an instalment was missed) without a renewal: the member is in
    grace until `grace_until`, reminded, still a member."""

    event_name = "membership_entered_grace"

    grace_until: AwareDatetime = Field(description="End of the grace period (UTC).")
    missed_instalment: int | None = Field(None, ge=1, description="The instalment missed, for an instalment plan.",
                                          examples=[2])


class MembershipLapsed(_MembershipTransition):
    """The grace ended without payment, or a refund left the member without a paid period."""

    event_name = "membership_lapsed"

    missed_instalment: int | None = Field(None, ge=1, description="The instalment missed, for an instalment plan.",
                                          examples=[2])


class MembershipCancelled(_MembershipTransition):
    """The member or the office cancelled the membership, or a lifetime payment was refunded."""

    event_name = "membership_cancelled"

    by: str = Field(description="Who: a subject id, or `refund`.", examples=["refund"], max_length=120)


class MembershipBecameLifetime(_MembershipTransition):
    """The lifetime schedule is complete (paid at once or last instalment paid): never lapses."""

    event_name = "membership_became_lifetime"

    payment_id: Identifier = Field(description="The payment that completed it.",
                                   examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b20"])
    instalments: int = Field(ge=1, description="Number of instalments of the schedule.", examples=[3])


ALL: tuple[type[EventData], ...] = (MembershipActivated, MembershipRenewed, MembershipEnteredGrace, MembershipLapsed,
                                    MembershipCancelled, MembershipBecameLifetime)
