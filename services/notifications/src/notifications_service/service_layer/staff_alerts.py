"""Managers told when a partner webhook is disabled automatically (issue 13 item 6).

notifications does not know the staff's accounts (they live in the identity provider), so:
- the **email** goes to the managers configured per tenant (`NOTIFICATIONS_TENANT_MANAGERS`:
  address and language), one per manager and per disable — the delivery key hashes the
  subscription, its version at the disable and the address, so a retried transaction or a second
  dead letter of the same outage queues nothing new;
- the **in-app entry** is one staff alert per disable, listed to *every* staff member of the
  tenant (`GET /api/v1/staff/alerts`) with a read mark per staff member (token subject), so a
  manager unknown to the configuration still sees it.

Both are written in the transaction that disables the subscription and publishes
`partner_webhook_disabled`: all of it happens, or none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from notifications_service.domain.model import Notification
from notifications_service.domain.partner_webhooks import PartnerWebhook, WebhookDisabled
from notifications_service.domain.preferences import Category
from notifications_service.service_layer.mailer import Composer, Message
from servicekit import context

KIND = "webhook_disabled"
ALERTS_PAGE = 50

TITLES = {"fr": "Webhook partenaire désactivé : {host}", "en": "Partner webhook disabled: {host}"}
BODIES = {"fr": "Désactivé automatiquement après l'échec de toutes les tentatives de remise de l'événement "
                "{event}. Dernière erreur : {reason}. Réactivez-le quand le partenaire répond de nouveau.",
          "en": "Disabled automatically after every delivery attempt of event {event} failed. Last error: "
                "{reason}. Enable it again once the partner answers."}


@dataclass(frozen=True)
class ManagerContact:
    email: str
    locale: str = "fr"


def managers_from(config: dict[str, list[dict[str, str]]]) -> Callable[[str], list[ManagerContact]]:
    table = {tenant: [ManagerContact(str(m["email"]), "en" if m.get("locale") == "en" else "fr") for m in managers
                      if m.get("email")] for tenant, managers in config.items()}
    return lambda tenant: table.get(tenant, [])


def _digest(*parts: str, size: int) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:size]


def staff_recipient(email: str) -> str:
    """The recipient id of a manager's email (not a member): `staff-<12 hex>` of the address."""
    return f"staff-{_digest(email.casefold(), size=12)}"


def disable_cause(webhook_id: str, version: int) -> str:
    """One disable of one subscription (its version after the disable): 16 hex."""
    return _digest(webhook_id, str(version), size=16)


@dataclass
class StaffAlert:
    id: str
    tenant: str
    kind: str
    about: str  # the subscription
    created_at: datetime
    title: dict[str, str]
    body: dict[str, str]
    read_by: list[str] = field(default_factory=list)


class StaffAlerts(Protocol):
    async def add_email(self, notification: Notification) -> bool: ...
    async def add_alert(self, alert: StaffAlert) -> bool: ...
    async def page(self, tenant: str, limit: int) -> list[StaffAlert]: ...
    async def mark_read(self, tenant: str, subject: str, ids: list[str] | None) -> int: ...


@dataclass
class ManagerNotices:
    """What the auto-disable writes beside the subscription (see the module's docstring)."""

    composer: Composer
    managers: Callable[[str], list[ManagerContact]]

    async def queue(self, alerts: StaffAlerts, webhook: PartnerWebhook, disabled: WebhookDisabled) -> tuple[int, bool]:
        cause = disable_cause(webhook.id, webhook.version)
        values: dict[str, Any] = {"host": disabled.host, "reason": disabled.reason,
                                  "dead_event_id": disabled.dead_event_id or "-"}
        emails = 0
        for manager in self.managers(webhook.tenant):
            recipient = staff_recipient(manager.email)
            key = Notification.delivery_key(KIND, cause, recipient)
            message = Message(tenant=webhook.tenant, member_id=recipient, kind=KIND, category=Category.COMMUNITY,
                              marketing=False, cause=cause, per_member=True, email=manager.email,
                              locale=manager.locale, about=webhook.id)
            email = self.composer.email(message, manager.email, manager.locale, key, values)
            emails += await alerts.add_email(Notification(
                id=key, tenant=webhook.tenant, member_id=recipient, template=KIND, email=email, cause_event_id=cause,
                correlation_id=context.current().correlation_id, about=webhook.id))
        event = disabled.dead_event_id or "-"
        alert = StaffAlert(
            id=f"{KIND}-{cause}", tenant=webhook.tenant, kind=KIND, about=webhook.id, created_at=disabled.at,
            title={lang: text.format(host=disabled.host) for lang, text in TITLES.items()},
            body={lang: text.format(event=event, reason=disabled.reason) for lang, text in BODIES.items()})
        return emails, await alerts.add_alert(alert)


# --- the staff's in-app list ---------------------------------------------------------------

@dataclass(frozen=True)
class ListStaffAlerts:
    tenant: str
    subject: str
    limit: int = ALERTS_PAGE
    lang: str = "fr"


@dataclass(frozen=True)
class StaffAlertsView:
    alerts: list[StaffAlert]
    subject: str  # whose read marks
    lang: str


@dataclass(frozen=True)
class MarkStaffAlertsRead:
    tenant: str
    subject: str
    alert_ids: list[str] | None  # None: all


class AlertsUnitOfWork(Protocol):
    @property
    def alerts(self) -> StaffAlerts: ...
    async def __aenter__(self) -> AlertsUnitOfWork: ...
    async def __aexit__(self, *args: Any) -> None: ...
    async def commit(self) -> None: ...


async def list_staff_alerts(q: ListStaffAlerts, uow: AlertsUnitOfWork) -> StaffAlertsView:
    async with uow:
        return StaffAlertsView(await uow.alerts.page(q.tenant, q.limit), q.subject, q.lang)


async def mark_staff_alerts_read(cmd: MarkStaffAlertsRead, uow: AlertsUnitOfWork) -> int:
    async with uow:
        marked = await uow.alerts.mark_read(cmd.tenant, cmd.subject, cmd.alert_ids)
        await uow.commit()
    return marked
