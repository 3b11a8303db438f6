"""Every index that serves a query starts with `tenant` (DESIGN §4), but those serving the
queries that are cross-tenant by design (`servicekit.tenant_guard.ALLOW_LIST`): TTL, lease
queues and sweeps."""

from __future__ import annotations

from community_service.adapters.mongo_repository import INDEXES as COMMUNITY
from events_service.adapters.mongo_desk import DESK_INDEXES as EVENTS_DESK
from events_service.adapters.mongo_repository import INDEXES as EVENTS
from fundraising_service.adapters.mongo_receipt_jobs import RECEIPT_JOB_INDEXES
from fundraising_service.adapters.mongo_repository import INDEXES as FUNDRAISING
from members_service.adapters.mongo_indexes import INDEXES as MEMBERS
from members_service.adapters.mongo_indexes import OBSOLETE_INDEXES as MEMBERS_OBSOLETE
from notifications_service.adapters.job_alerts_repository import INDEXES as JOB_ALERTS
from notifications_service.adapters.mongo_repository import INDEXES as NOTIFICATIONS
from notifications_service.adapters.newsletters import NEWSLETTER_INDEXES
from notifications_service.adapters.partner_webhooks_repository import INDEXES as PARTNER_WEBHOOKS
from servicekit.idempotency import idempotency_indexes
from servicekit.inbox import inbox_indexes
from servicekit.outbox import outbox_indexes
from servicekit.personal_data import OBSOLETE_TOMBSTONE_INDEXES, TOMBSTONE_INDEXES
from servicekit.segments import AUDIENCE_INDEXES

# (collection, index) → the cross-tenant use it serves.
CROSS_TENANT = {
    ("outbox", "outbox_due"): "relay claims",
    ("registrations", "registrations_holds"): "seat-hold sweep (events: lapsed offers, unpaid holds)",
    ("invitation_batches", "invitation_batches_due"): "invitation sweep (events: unsent batches of large invitations)",
    ("outbox", "outbox_sent_ttl"): "TTL",
    ("inbox", "inbox_unique"): "inbox key (consumer, event id)",
    ("inbox", "inbox_ttl"): "TTL",
    ("idempotency_keys", "idempotency_ttl"): "TTL",
    ("notifications", "notifications_due"): "mailer claims",
    ("import_jobs", "import_jobs_due"): "import worker claims",
    ("receipt_jobs", "receipt_jobs_due"): "yearly-receipt job worker claims (fundraising)",
    ("import_jobs", "imports_by_expiry"): "report retention sweep",
    ("members", "showcase_expiry"): "showcase expiry sweep",
    ("erasures", "erasures_by_deadline"): "erasure deadline watch",
    ("dues_memberships", "dues_memberships_due"): "membership scheduler (members)",
    ("help_requests", "help_requests_due"): "help-request scheduler (community)",
    ("jobs", "jobs_expiry"): "job-offer expiry sweep (community)",
    ("dues_memberships", "dues_reminders_active"): "dues reminder sweep (notifications)",
    ("dues_memberships", "dues_reminders_grace"): "dues reminder sweep (notifications)",
    ("newsletters", "newsletters_due"): "newsletter fan-out sweep (notifications)",
    ("partner_webhooks", "partner_webhooks_by_status"): "webhook dispatcher: every tenant's active subscriptions",
    ("partner_webhook_deliveries", "partner_deliveries_ttl"): "TTL",
    ("staff_alerts", "staff_alerts_ttl"): "TTL",
}
ALL = [*COMMUNITY, *EVENTS, *EVENTS_DESK, *FUNDRAISING, *MEMBERS, *NOTIFICATIONS, *outbox_indexes(7),
       *inbox_indexes(), *idempotency_indexes(), *TOMBSTONE_INDEXES,
       *NEWSLETTER_INDEXES, *AUDIENCE_INDEXES, *PARTNER_WEBHOOKS, *JOB_ALERTS, *RECEIPT_JOB_INDEXES]


def test_indexes_start_with_the_tenant_but_the_cross_tenant_ones() -> None:
    offenders = [(i.collection, i.name, [k for k, _ in i.keys]) for i in ALL
                 if i.keys[0][0] != "tenant" and (i.collection, i.name) not in CROSS_TENANT]
    assert offenders == []
    declared = {(i.collection, i.name) for i in ALL}
    assert set(CROSS_TENANT) <= declared, "a cross-tenant index listed here no longer exists"


def test_replaced_indexes_are_not_declared_again() -> None:
    declared = {(i.collection, i.name) for i in ALL}
    assert not declared & {*MEMBERS_OBSOLETE, *OBSOLETE_TOMBSTONE_INDEXES}
