from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from notifications_service.domain.bounces import AddressHealth
from notifications_service.domain.branding import Brand
from notifications_service.domain.feed import FeedItem
from notifications_service.domain.job_alerts import JobAlert, PostedJob
from notifications_service.domain.model import Notification, OutgoingEmail
from notifications_service.domain.preferences import MemberPreferences
from notifications_service.domain.reminders import MembershipView
from notifications_service.domain.rendered import RenderedEmail
from servicekit.uow import ErasingUnitOfWork


class PermanentDeliveryError(Exception):
    """The channel refused the message for good (5xx, unknown recipient): do not retry."""


class RecipientRefused(PermanentDeliveryError):
    """The SMTP server refused the recipient for good (5xx on RCPT): a hard bounce."""


class RecipientDeferred(Exception):
    """The SMTP server deferred the recipient (4xx on RCPT: mailbox full, greylisting): retried;
    one that outlives every retry counts as a soft bounce."""


class SendRate(Protocol):
    async def wait(self, tenant: str) -> None:
        """Return when this tenant may send its next message."""


class Mailer(Protocol):
    async def send(self, email: OutgoingEmail, tenant: str = "") -> None: ...


class Renderer(Protocol):
    def render(self, template: str, locale: str, values: dict[str, Any]) -> tuple[str, str]: ...
    def render_email(self, template: str, locale: str, values: dict[str, Any], brand: Brand) -> RenderedEmail: ...


class FeedRepository(Protocol):
    async def add_if_absent(self, item: FeedItem) -> bool: ...
    async def add_many_if_absent(self, items: list[FeedItem]) -> set[str]:
        """Insert the items whose id is not there yet (one read, one bulk insert); the ids inserted."""
    async def page(self, tenant: str, member_id: str, before: tuple[datetime, str] | None,
                   limit: int) -> list[FeedItem]: ...
    async def unread(self, tenant: str, member_id: str) -> int: ...
    async def mark_read(self, tenant: str, member_id: str, ids: list[str] | None, at: datetime) -> int: ...
    async def erase(self, tenant: str, member_id: str) -> int: ...


class PreferencesRepository(Protocol):
    async def get(self, tenant: str, member_id: str) -> MemberPreferences | None: ...
    async def get_many(self, tenant: str, member_ids: list[str]) -> dict[str, MemberPreferences]: ...
    async def save(self, prefs: MemberPreferences) -> None: ...
    async def erase(self, tenant: str, member_id: str) -> int: ...


class AddressHealthRepository(Protocol):
    async def get(self, tenant: str, member_id: str, email: str) -> AddressHealth | None: ...
    async def save(self, health: AddressHealth) -> None: ...
    async def erase(self, tenant: str, member_id: str) -> int: ...


class NotificationRepository(Protocol):
    async def add_if_absent(self, notification: Notification) -> bool: ...
    async def add_many_if_absent(self, notifications: list[Notification]) -> set[str]:
        """Insert those whose delivery key is not there yet (one read, one bulk insert); the ids inserted."""
    async def erase_for(self, tenant: str, member_id: str) -> int: ...
    async def finish(self, notification: Notification, lease_token: str) -> None: ...
    async def finish_many(self, notifications: list[Notification], lease_token: str) -> list[str]:
        """Settle claimed notifications of one tenant that reached the same status (sent) in one
        write, those this worker still holds; returns their ids."""
    async def count_unsubscribe(self, tenant: str, member_id: str) -> str | None:
        """Attribute a newsletter consent withdrawal to the last newsletter the member was sent
        (once per message); returns that newsletter's id, if any."""
    async def pending_about(self, tenant: str, about: str) -> list[Notification]: ...
    async def withdraw(self, tenant: str, notification_ids: list[str]) -> int: ...
    async def by_message_id(self, tenant: str, message_id: str) -> Notification | None: ...


class DuesMemberships(Protocol):
    """The dues memberships as the members service's events describe them."""

    async def get(self, tenant: str, membership_id: str) -> MembershipView | None: ...
    async def save(self, view: MembershipView) -> None: ...
    async def mark_reminded(self, tenant: str, membership_id: str, version: int, marks: dict[str, str]) -> bool: ...
    async def erase(self, tenant: str, member_id: str) -> int: ...


class ReminderCandidates(Protocol):
    """Every tenant's memberships that may be due a reminder at `now` (a superset: the domain decides)."""

    async def __call__(self, now: datetime, notice_days: int) -> list[MembershipView]: ...


class ContactProjection(Protocol):
    """What notifications knows of a member: how to reach them and what they agreed to."""

    async def apply(self, tenant: str, member_id: str, version: int, fields: dict[str, Any],
                    version_field: str) -> bool: ...
    async def erased(self, tenant: str, member_id: str) -> bool: ...
    async def get(self, tenant: str, member_id: str) -> dict[str, Any] | None: ...
    async def get_many(self, tenant: str, member_ids: list[str]) -> dict[str, dict[str, Any]]: ...
    async def erase(self, tenant: str, member_id: str) -> int: ...
    async def mark_bouncing(self, tenant: str, member_id: str, email: str) -> None:
        """The address bounces: not contactable by email (until members sends a new address)."""
    async def contactability(self, tenant: str) -> list[dict[str, Any]]:
        """Per cohort (program, year): alumni of record and how many are contactable by email."""
        ...


class DeliveryQueue(Protocol):
    async def claim(self, limit: int) -> tuple[str, list[Notification]]: ...
    async def retry_later(self, notification_id: str, token: str, attempts: int, delay: float,
                          error: str) -> None: ...
    async def release(self, notification_ids: list[str], token: str) -> None:
        """Give claimed notifications back unsent (a stopping worker): claimable again at once."""


class JobAlertRepository(Protocol):
    """Members' job alerts (`service_layer.job_alerts`)."""

    async def get(self, tenant: str, member_id: str) -> JobAlert | None: ...
    async def save(self, alert: JobAlert) -> None: ...
    async def candidates(self, tenant: str, job: PostedJob, after: str | None, limit: int) -> list[JobAlert]:
        """Enabled alerts whose stored keys admit the offer, by member id after `after`."""
    async def erase(self, tenant: str, member_id: str) -> int: ...


class NotificationsUnitOfWork(ErasingUnitOfWork, Protocol):
    @property
    def notifications(self) -> NotificationRepository: ...

    @property
    def contacts(self) -> ContactProjection: ...

    @property
    def memberships(self) -> DuesMemberships: ...

    @property
    def feed(self) -> FeedRepository: ...

    @property
    def preferences(self) -> PreferencesRepository: ...

    @property
    def addresses(self) -> AddressHealthRepository: ...

    @property
    def job_alerts(self) -> JobAlertRepository: ...
