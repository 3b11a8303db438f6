from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from notifications_service.domain.model import Notification, OutgoingEmail
from notifications_service.domain.reminders import MembershipView
from servicekit.uow import ErasingUnitOfWork


class PermanentDeliveryError(Exception):
    """The channel refused the message for good (5xx, unknown recipient): do not retry."""


class Mailer(Protocol):
    async def send(self, email: OutgoingEmail) -> None: ...


class Renderer(Protocol):
    def render(self, template: str, locale: str, values: dict[str, Any]) -> tuple[str, str]: ...


class NotificationRepository(Protocol):
    async def add_if_absent(self, notification: Notification) -> bool: ...
    async def erase_for(self, tenant: str, member_id: str) -> int: ...
    async def finish(self, notification: Notification, lease_token: str) -> None: ...
    async def pending_about(self, tenant: str, about: str) -> list[Notification]: ...
    async def withdraw(self, tenant: str, notification_ids: list[str]) -> int: ...


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
    async def erase(self, tenant: str, member_id: str) -> int: ...


class DeliveryQueue(Protocol):
    async def claim(self, limit: int) -> tuple[str, list[Notification]]: ...
    async def retry_later(self, notification_id: str, token: str, attempts: int, delay: float,
                          error: str) -> None: ...
    async def release(self, notification_ids: list[str], token: str) -> None:
        """Give claimed notifications back unsent (a stopping worker): claimable again at once."""


class NotificationsUnitOfWork(ErasingUnitOfWork, Protocol):
    @property
    def notifications(self) -> NotificationRepository: ...

    @property
    def contacts(self) -> ContactProjection: ...

    @property
    def memberships(self) -> DuesMemberships: ...
