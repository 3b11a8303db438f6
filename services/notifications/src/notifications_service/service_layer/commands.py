from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from notifications_service.domain.reminders import Transition


@dataclass(frozen=True)
class SendWelcome:
    """Welcome a newly registered member, in their language."""

    tenant: str
    cause_event_id: str
    member_id: str
    member_version: int
    first_name: str
    last_name: str
    email: str | None  # None: a member imported without an email (not contactable)
    locale: str
    program: str
    graduation_year: int
    imported: bool = False  # created by a bulk import: the office invites them its own way


@dataclass(frozen=True)
class UpdateContact:
    """A member's contact details or contactability changed."""

    tenant: str
    member_id: str
    member_version: int
    first_name: str
    last_name: str
    email: str | None
    locale: str
    email_bounced: bool
    mail_returned: bool
    deceased: bool
    program: str = ""  # the main cohort (contactability per cohort)
    graduation_year: int = 0


@dataclass(frozen=True)
class RecordConsentState:
    """A member granted or withdrew a consent: marketing sends follow it."""

    tenant: str
    member_id: str
    member_version: int
    purpose: str
    granted: bool


@dataclass(frozen=True)
class SendHelpNudge:
    """Remind a helper of a mutual-aid request they have not answered (community's `help_nudged`)."""

    tenant: str
    cause_event_id: str
    member_id: str
    topic: str
    respond_by: datetime


@dataclass(frozen=True)
class SendRecurringGiftReminder:
    """A recurring gift's charge failed: tell the donor, once per failed charge, with the link to
    update the payment method (a transactional fundraising message: no marketing consent needed)."""

    tenant: str
    cause_event_id: str
    member_id: str
    recurring_gift_id: str
    amount_minor: int
    currency: str
    frequency: str
    reason: str
    failures: int
    period: date | None
    next_attempt_on: date | None
    final: bool
    automatic: bool


@dataclass(frozen=True)
class SendGroupInvitation:
    """Tell a member they were invited to a group, in their language."""

    tenant: str
    cause_event_id: str
    member_id: str
    group_name: str


@dataclass(frozen=True)
class RecordMembership:
    """A dues membership changed state (a `membership_*` event from members)."""

    transition: Transition
