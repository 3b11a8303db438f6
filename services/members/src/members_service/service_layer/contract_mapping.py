"""Domain events → published contract events: the only place the two meet."""

from __future__ import annotations

import re

from alumni_contracts.common import Cohort, ConsentChannel, Locale, Purpose
from alumni_contracts.envelope import EventData
from alumni_contracts.members import membership_v1, v1, v2
from members_service.domain.erasure import ErasureConfirmed, ErasureRequested, MemberErased
from members_service.domain.groups import GroupCreated, MembershipChanged
from members_service.domain.membership import (
    MembershipActivated,
    MembershipAwaitingPayment,
    MembershipBecameLifetime,
    MembershipCancelled,
    MembershipEnteredGrace,
    MembershipEvent,
    MembershipLapsed,
    MembershipRecordChanged,
    MembershipRenewed,
    PlanChanged,
)
from members_service.domain.model import (
    AmbassadorAppointed,
    AmbassadorRevoked,
    ConsentChanged,
    MemberProfileUpdated,
    MemberRegistered,
    ShowcasePublished,
    ShowcaseTextChanged,
    ShowcaseUnpublished,
    VisibilityChanged,
)
from members_service.domain.profile import DeceasedStatus
from servicekit.domain import DomainEvent

# Events whose purpose is to name an erased member to consumers: an erasure keeps them in the
# outbox (they expire with its retention, like every sent record).
_ISO_COUNTRY = re.compile(r"[A-Z]{2}")  # an imported register may say "France": segments need the code
NAMING_THE_ERASED = frozenset({v1.MemberErasureRequested.type_name(), v1.MemberErased.type_name()})


def to_contract(event: DomainEvent) -> EventData | list[EventData] | None:
    match event:
        case MemberRegistered():
            registered = v2.MemberRegistered(
                member_id=event.member_id, first_name=event.first_name, last_name=event.last_name,
                email=event.email or None, locale=Locale(event.locale),
                cohort=Cohort(program=event.cohort.program, graduation_year=event.cohort.graduation_year),
                registered_at=event.registered_at, origin="import" if event.origin == "import" else "registration")
            return _with_v1(registered, v1.MemberRegistered)
        case MemberProfileUpdated():
            m = event.member
            updated = v2.MemberProfileUpdated(
                member_id=m.id, first_name=m.first_name, last_name=m.last_name, usage_name=m.usage_name,
                email=m.email or None, locale=Locale(m.locale),
                cohorts=[Cohort(program=e.program, graduation_year=e.graduation_year) for e in m.education],
                email_bounced=m.email_bounced, mail_returned=m.mail_returned,
                deceased=m.deceased is DeceasedStatus.CONFIRMED, updated_at=event.at, city=(m.city or "")[:120] or None,
                country=m.country if m.country and _ISO_COUNTRY.fullmatch(m.country) else None)
            return _with_v1(updated, v1.MemberProfileUpdated)
        case ConsentChanged():
            r = event.record
            return v1.MemberConsentChanged(
                member_id=event.member_id, purpose=Purpose(r.purpose.value), granted=r.granted,
                text_version=r.text_version, language=Locale(r.language), channel=ConsentChannel(r.channel.value),
                changed_at=r.at)
        case ShowcasePublished():
            e = event.entry
            return v1.ShowcasePublished(
                member_id=event.member_id, entry_id=e.entry_id, channels=sorted(e.channels), expires_at=e.expires_at,
                first_name=e.first_name, last_name=e.last_name,
                cohort=Cohort(program=e.cohort.program, graduation_year=e.cohort.graduation_year) if e.cohort else None,
                photo_url=e.photo_url, quote=e.quote, story=e.story, employer=e.employer, job_title=e.job_title,
                published_at=event.at)
        case ShowcaseUnpublished():
            return v1.ShowcaseUnpublished(member_id=event.member_id, entry_id=event.entry_id,
                                          reason=event.reason.value, unpublished_at=event.at)
        case AmbassadorAppointed():
            a = event.ambassadorship
            return v1.AmbassadorAppointed(
                member_id=event.member_id,
                cohorts=[Cohort(program=c.program, graduation_year=c.graduation_year) for c in a.scope.cohorts],
                programs=list(a.scope.programs), cities=list(a.scope.cities), appointed_at=a.appointed_at)
        case AmbassadorRevoked():
            return v1.AmbassadorRevoked(member_id=event.member_id, revoked_at=event.at)
        case ErasureRequested():
            return v1.MemberErasureRequested(erasure_id=event.erasure_id, member_id=event.member_id,
                                             requested_at=event.requested_at, deadline=event.deadline)
        case MemberErased():
            return v1.MemberErased(erasure_id=event.erasure_id, member_id=event.member_id, erased_at=event.at)
        case GroupCreated():
            cohort = None if event.cohort is None else Cohort(program=event.cohort.program,
                                                                graduation_year=event.cohort.graduation_year)
            return v1.GroupCreated(group_id=event.group_id, kind=event.kind.value, name=event.name, cohort=cohort,
                                   created_at=event.at)
        case MembershipChanged():
            return v1.GroupMembershipChanged(group_id=event.group_id, group_name=event.group_name,
                                             member_id=event.member_id,
                                             change=event.change, status=event.status.value,  # type: ignore[arg-type]
                                             role=event.role.value, changed_at=event.at)  # type: ignore[arg-type]
        case MembershipEvent():
            return _membership_contract(event)
        case PlanChanged() | MembershipRecordChanged():
            return None  # plan edits and payment bookkeeping stay inside members
        case VisibilityChanged() | ShowcaseTextChanged() | ErasureConfirmed():
            return None  # directory choices and unpublished text stay inside members
    raise TypeError(f"no contract for {type(event).__name__}")


def _with_v1(current: v2.MemberRegistered | v2.MemberProfileUpdated,
             previous: type[v1.MemberRegistered] | type[v1.MemberProfileUpdated]) -> list[EventData]:
    """v2, and v1 for the consumers that have not moved yet — which cannot express a member
    without an email, so they do not hear of one."""
    if current.email is None:
        return [current]
    return [previous.model_validate(current.model_dump()), current]


def _membership_contract(event: MembershipEvent) -> EventData | None:
    common = {"membership_id": event.membership_id, "member_id": event.member_id, "plan_id": event.plan_id,
              "plan_kind": membership_v1.PlanKind(event.kind.value),
              "status": membership_v1.MembershipState(event.status.value), "reason": event.reason,
              "paid_until": event.paid_until, "at": event.at, "plan_name": event.plan_name[:200] or None,
              "amount_due_minor": event.amount_due_minor,
              "currency": event.currency if event.amount_due_minor is not None else None}
    match event:
        case MembershipActivated():
            return membership_v1.MembershipActivated(**common, payment_id=event.payment_id,
                                                     reactivation=event.reactivation)
        case MembershipRenewed():
            return membership_v1.MembershipRenewed(**common, payment_id=event.payment_id,
                                                   period_start=event.period_start, instalment=event.instalment)
        case MembershipEnteredGrace():
            return membership_v1.MembershipEnteredGrace(**common, grace_until=event.grace_until,
                                                        missed_instalment=event.missed_instalment)
        case MembershipLapsed():
            return membership_v1.MembershipLapsed(**common, missed_instalment=event.missed_instalment)
        case MembershipCancelled():
            return membership_v1.MembershipCancelled(**common, by=event.by)
        case MembershipBecameLifetime():
            return membership_v1.MembershipBecameLifetime(**common, payment_id=event.payment_id,
                                                          instalments=event.instalments)
        case MembershipAwaitingPayment():
            return None  # a rejoin waits for its payment: nothing to tell yet
    raise TypeError(f"no contract for {type(event).__name__}")
