"""Who consumes which event: the durable consumers of the platform.

This is the public wiring diagram, data only. The topology tooling declares one durable
consumer per entry (`naming.durable_name`), and each service attaches to its own entries.
"""

from __future__ import annotations

from dataclasses import dataclass

from alumni_contracts import naming
from alumni_contracts.community.v1 import HelpNudged, JobPosted
from alumni_contracts.community.v1 import MemberDataErased as CommunityDataErased
from alumni_contracts.envelope import EventData
from alumni_contracts.events.desk_v1 import AttendeeCheckedIn
from alumni_contracts.events.v1 import (
    EventCancelled,
    EventPublished,
    EventScheduled,
    EventUpdated,
    InvitationAnswered,
    MemberInvited,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPaymentRequested,
    RegistrationPromoted,
    RegistrationWaitlisted,
)
from alumni_contracts.events.v1 import MemberDataErased as EventsDataErased
from alumni_contracts.fundraising.v1 import (
    DonationReceived,
    DonationRefunded,
    DuesPaid,
    DuesPaymentFailed,
    DuesRefunded,
    RecurringGiftFailed,
    TicketPaid,
    TicketPaymentFailed,
)
from alumni_contracts.fundraising.v1 import MemberDataErased as FundraisingDataErased
from alumni_contracts.members.membership_v1 import ALL as MEMBERSHIP_EVENTS
from alumni_contracts.members.membership_v1 import (
    MembershipActivated,
    MembershipBecameLifetime,
    MembershipCancelled,
    MembershipEnteredGrace,
    MembershipLapsed,
    MembershipRenewed,
)
from alumni_contracts.members.v1 import (
    AmbassadorAppointed,
    AmbassadorRevoked,
    GroupMembershipChanged,
    MemberConsentChanged,
    MemberErasureRequested,
)
from alumni_contracts.members.v2 import MemberProfileUpdated, MemberRegistered
from alumni_contracts.notifications.v1 import EmailAddressInvalidated, UnsubscribeRequested
from alumni_contracts.notifications.v1 import MemberDataErased as NotificationsDataErased


@dataclass(frozen=True)
class Subscription:
    consumer: str
    event: type[EventData]
    alias: str | None = None  # shorter event name for the durable, which must fit in 32 characters
    # A second consumer of the same event inside one service (e.g. members' dues KPIs next to
    # its membership rules) keeps inbox records of its own: `<consumer>.<lane>`.
    lane: str | None = None

    @property
    def inbox_consumer(self) -> str:
        return self.consumer if self.lane is None else f"{self.consumer}.{self.lane}"

    @property
    def durable(self) -> str:
        return naming.durable_name(self.consumer, self.alias or self.event.event_name)

    @property
    def stream(self) -> str:
        return naming.stream_name(self.event.service)

    @property
    def filter_subject(self) -> str:
        return naming.event_filter(self.event.service, self.event.event_name, self.event.version)


# Services that evaluate segments (`alumni_contracts.segments`) on their own audience projection.
AUDIENCE_CONSUMERS = ("events", "notifications", "community")
AUDIENCE_EVENTS: tuple[tuple[type[EventData], str], ...] = (
    (MemberRegistered, "aud_registered"),
    (MemberProfileUpdated, "aud_profile"),
    (MemberConsentChanged, "aud_consent"),
    (GroupMembershipChanged, "aud_group"),
    (AmbassadorAppointed, "aud_amb_appointed"),
    (AmbassadorRevoked, "aud_amb_revoked"),
    *((e, "aud_" + e.event_name.replace("membership_", "ms_").replace("entered_", "").replace("became_", ""))
      for e in MEMBERSHIP_EVENTS),
)


def _audience(consumer: str) -> list[Subscription]:
    return [Subscription(consumer, event, alias, lane="audience") for event, alias in AUDIENCE_EVENTS]


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    # v2 of the member events (members without an email): new durables, so that a deployment
    # moving from v1 starts them at v2's first message while the v1 durables drain.
    Subscription("events", MemberRegistered, "registered_v2"),
    Subscription("events", MemberProfileUpdated, "profile_updated_v2"),
    Subscription("fundraising", MemberRegistered, "registered_v2"),
    Subscription("fundraising", MemberProfileUpdated, "profile_updated_v2"),
    Subscription("notifications", MemberRegistered, "registered_v2"),
    Subscription("notifications", MemberProfileUpdated, "profile_updated_v2"),
    Subscription("notifications", MemberConsentChanged, "consent_changed"),
    Subscription("notifications", GroupMembershipChanged, "group_membership"),  # invitation emails
    # A recurring gift's failed charge: the donor's reminder (issue 12 item 2).
    Subscription("notifications", RecurringGiftFailed, "recurring_failed"),
    # GDPR erasure: every service holding member data erases it and confirms to members.
    Subscription("events", MemberErasureRequested, "erasure_requested"),
    Subscription("fundraising", MemberErasureRequested, "erasure_requested"),
    Subscription("notifications", MemberErasureRequested, "erasure_requested"),
    Subscription("members", EventsDataErased, "events_erased"),
    Subscription("members", FundraisingDataErased, "fundraising_erased"),
    Subscription("members", NotificationsDataErased, "notifs_erased"),
    # Community (issue 14): names, email, cohorts and dues-membership state come from its audience
    # projection (`servicekit.segments`, the `audience` lane below); erasure like the others.
    Subscription("community", MemberErasureRequested, "erasure_requested"),
    Subscription("members", CommunityDataErased, "community_erased"),
    # Mutual aid: a helper silent on an offer for the nudge delay is reminded (email + in-app).
    Subscription("notifications", HelpNudged, "help_nudged"),
    # Dues: payments are inputs to members' membership rules (issue 10).
    Subscription("members", DuesPaid, "dues_paid"),
    Subscription("members", DuesPaymentFailed, "dues_failed"),
    Subscription("members", DuesRefunded, "dues_refunded"),
    # Dues reminders: notifications keeps a view of each membership's state and period.
    Subscription("notifications", MembershipActivated, "ms_activated"),
    Subscription("notifications", MembershipRenewed, "ms_renewed"),
    Subscription("notifications", MembershipEnteredGrace, "membership_grace"),
    Subscription("notifications", MembershipLapsed, "membership_lapsed"),
    Subscription("notifications", MembershipCancelled, "ms_cancelled"),
    Subscription("notifications", MembershipBecameLifetime, "ms_lifetime"),
    # Dues KPIs (members): each event names a member to recount (issue 10 item 6).
    *(Subscription("members", e, "kpi_" + e.event_name.removeprefix("membership_"), lane="kpi")
      for e in MEMBERSHIP_EVENTS),
    Subscription("members", DuesPaid, "kpi_dues_paid", lane="kpi"),
    Subscription("members", DuesRefunded, "kpi_dues_refunded", lane="kpi"),
    Subscription("members", MemberRegistered, "kpi_registered", lane="kpi"),
    Subscription("members", MemberProfileUpdated, "kpi_profile_updated", lane="kpi"),
    Subscription("members", MemberConsentChanged, "kpi_consent_changed", lane="kpi"),
    Subscription("members", MemberErasureRequested, "kpi_erasure", lane="kpi"),
    # Events: member vs non-member ticket prices from a projection of membership states (issue 11).
    *(Subscription("events", e, "ms_" + e.event_name.removeprefix("membership_")) for e in MEMBERSHIP_EVENTS),
    # Events: paid tickets (a registration pending payment is confirmed or released).
    Subscription("events", TicketPaid, "ticket_paid"),
    Subscription("events", TicketPaymentFailed, "ticket_failed"),
    # Events: the attendance figures' projection, fed by the service's own events (issue 11 item 7).
    *(Subscription("events", e, "fig_" + e.event_name.removeprefix("registration_").removeprefix("attendee_"),
                   lane="figures") for e in (RegistrationConfirmed, RegistrationWaitlisted, RegistrationPromoted,
                                             RegistrationCancelled, AttendeeCheckedIn)),
    # Invitations (issue 11 items 3 and 7): one `member_invited` per invitee — notifications writes
    # the invitation email, the figures count the invitee (invited → registered conversion) and the answers.
    Subscription("notifications", MemberInvited, "member_invited"),
    Subscription("events", MemberInvited, "fig_invited", lane="figures"),
    Subscription("events", InvitationAnswered, "fig_answered", lane="figures"),
    # Gatherings' messages (issue 11 items 1, 4, 5): notifications projects gatherings and their
    # registrants, confirms seats (QR ticket, .ics), offers freed seats, tells of changes and cancellations.
    *(Subscription("notifications", e, alias, lane="gatherings") for e, alias in (
        (EventScheduled, "ev_scheduled"), (EventPublished, "ev_published"), (EventUpdated, "ev_updated"),
        (EventCancelled, "ev_cancelled"), (RegistrationConfirmed, "reg_confirmed"),
        (RegistrationPaymentRequested, "reg_pay_requested"), (RegistrationWaitlisted, "reg_waitlisted"),
        (RegistrationPromoted, "reg_promoted"), (RegistrationCancelled, "reg_cancelled"))),
    # Email feedback (issue 13): a one-click unsubscribe is a consent withdrawal in the ledger;
    # an address that bounces for good sets the member's `email_bounced` flag.
    Subscription("members", UnsubscribeRequested, "unsubscribe"),
    Subscription("members", EmailAddressInvalidated, "email_invalidated"),
    # Job alerts (issue 14 item 4): an approved offer is announced to the alumni whose alert matches.
    Subscription("notifications", JobPosted, "job_posted"),
    # Audience projections (segments, `servicekit.segments`): each targeting service keeps its
    # own copy of who is in which cohort, city, group, membership state, with which consents.
    *(s for consumer in AUDIENCE_CONSUMERS for s in _audience(consumer)),
    # Campaign progress (fundraising, issue 12): a projection of its own gift events, one consumer
    # per event, so that concurrent gifts never contend for a campaign's counters.
    Subscription("fundraising", DonationReceived, "progress_received", lane="progress"),
    Subscription("fundraising", DonationRefunded, "progress_refunded", lane="progress"),
    # Tax receipts (issue 12 item 4): the receipt engine reacts to the money fundraising recorded,
    # after its transaction committed (the outbox), so a crash between gift and receipt is retried.
    Subscription("fundraising", DonationReceived, "donation_received", lane="receipts"),
    Subscription("fundraising", DuesPaid, "dues_paid", lane="receipts"),
    Subscription("fundraising", DuesRefunded, "dues_refunded", lane="receipts"),
    Subscription("fundraising", DonationRefunded, "donation_refunded", lane="receipts"),
)


def subscriptions_of(consumer: str) -> list[Subscription]:
    return [s for s in SUBSCRIPTIONS if s.consumer == consumer]


def subscription(consumer: str, event: type[EventData], lane: str | None = None) -> Subscription:
    for s in SUBSCRIPTIONS:
        if s.consumer == consumer and s.event is event and s.lane == lane:
            return s
    raise LookupError(f"{consumer} has no declared subscription to {event.key()}")


def erasure_confirmers() -> tuple[str, ...]:
    """Services that must confirm an erasure: those subscribed to `member_erasure_requested`,
    once each — except members itself, which erases its records in the request's own
    transaction (its dues-KPI projection listens only to recount its aggregates)."""
    return tuple(dict.fromkeys(s.consumer for s in SUBSCRIPTIONS
                               if s.event is MemberErasureRequested and s.consumer != "members"))
