"""Managers told of an automatic disable: one email per configured manager and one staff alert
per disable, written with the disable; each staff member has their own read mark."""

from __future__ import annotations

from typing import Any

from notifications_service.adapters.http_delivery import HttpDelivery
from notifications_service.domain.model import Notification
from notifications_service.entrypoints.partner_webhooks import staff_alerts_out, wire
from notifications_service.service_layer import partner_webhooks as hooks
from notifications_service.service_layer import staff_alerts as sa

from .test_partner_webhooks import GROUP, PARTNER, FakeConsumers, FakeLog, FakeRepo, FakeUow, _public
from .test_welcome import composer


class FakeAlerts:
    def __init__(self) -> None:
        self.emails: dict[str, Notification] = {}
        self.alerts: dict[str, sa.StaffAlert] = {}

    async def add_email(self, notification: Notification) -> bool:
        return self.emails.setdefault(notification.id, notification) is notification

    async def add_alert(self, alert: sa.StaffAlert) -> bool:
        return self.alerts.setdefault(alert.id, alert) is alert

    async def page(self, tenant: str, limit: int) -> list[sa.StaffAlert]:
        return [a for a in self.alerts.values() if a.tenant == tenant][:limit]

    async def mark_read(self, tenant: str, subject: str, ids: list[str] | None) -> int:
        marked = 0
        for a in self.alerts.values():
            if a.tenant == tenant and subject not in a.read_by and (ids is None or a.id in ids):
                a.read_by.append(subject)
                marked += 1
        return marked


class AlertingUow(FakeUow):
    def __init__(self, repo: FakeRepo, alerts: FakeAlerts) -> None:
        super().__init__(repo)
        self.alerts = alerts


MANAGERS = {"demo": [{"email": "office@example.org", "locale": "fr"}, {"email": "head@example.org", "locale": "en"}]}


def app() -> tuple[Any, FakeRepo, FakeAlerts]:
    repo, alerts = FakeRepo(), FakeAlerts()
    notices = sa.ManagerNotices(composer(), sa.managers_from(MANAGERS))
    bus, _ = wire(lambda: AlertingUow(repo, alerts), HttpDelivery(1.0, resolver=_public), FakeConsumers(),
                  FakeLog(), notices)
    return bus, repo, alerts


async def test_an_automatic_disable_emails_each_manager_once_in_their_language_and_alerts_the_staff() -> None:
    bus, _, alerts = app()
    w = (await bus.handle(hooks.CreateWebhook(PARTNER, "https://hooks.example.org/a", [GROUP], "structured",
                                              ""))).webhook
    assert await bus.handle(hooks.AutoDisable("demo", w.id, "HTTP 500 after 8 attempts", "e1"))
    assert not await bus.handle(hooks.AutoDisable("demo", w.id, "HTTP 500 again", "e2"))  # already disabled
    assert sorted(n.email.to for n in alerts.emails.values() if n.email) == ["head@example.org", "office@example.org"]
    by_locale = {n.email.locale: n.email for n in alerts.emails.values() if n.email}
    assert by_locale["fr"].subject == "Webhook partenaire désactivé : hooks.example.org"
    assert by_locale["en"].subject == "Partner webhook disabled: hooks.example.org"
    assert "HTTP 500 after 8 attempts" in by_locale["en"].body_text and "e1" in by_locale["en"].body_text
    assert not by_locale["en"].marketing and all(len(k) <= 64 for k in alerts.emails)
    assert all(n.member_id.startswith("staff-") for n in alerts.emails.values())
    assert len(alerts.alerts) == 1
    # Enabled, then disabled again by a later outage: a new disable, told again.
    await bus.handle(hooks.EnableWebhook(hooks.Who("demo", "office", staff=True), w.id))
    assert await bus.handle(hooks.AutoDisable("demo", w.id, "timeout", "e3"))
    assert len(alerts.emails) == 4 and len(alerts.emails) == len({n.email.message_id for n in alerts.emails.values()
                                                                  if n.email})
    assert len(alerts.alerts) == 2


async def test_a_manual_disable_tells_nobody_and_read_marks_are_per_staff_member() -> None:
    bus, _, alerts = app()
    w = (await bus.handle(hooks.CreateWebhook(PARTNER, "https://hooks.example.org/a", [GROUP], "structured",
                                              ""))).webhook
    await bus.handle(hooks.DisableWebhook(PARTNER, w.id))
    assert alerts.emails == {} and alerts.alerts == {}
    await bus.handle(hooks.EnableWebhook(PARTNER, w.id))
    await bus.handle(hooks.AutoDisable("demo", w.id, "HTTP 500", "e1"))
    view = await bus.handle(sa.ListStaffAlerts("demo", "alice", lang="en"))
    out = staff_alerts_out(view)
    assert out.unread == 1 and out.items[0].title == "Partner webhook disabled: hooks.example.org"
    assert out.items[0].about == w.id
    assert await bus.handle(sa.MarkStaffAlertsRead("demo", "alice", None)) == 1
    assert staff_alerts_out(await bus.handle(sa.ListStaffAlerts("demo", "alice"))).unread == 0
    bob = staff_alerts_out(await bus.handle(sa.ListStaffAlerts("demo", "bob")))
    assert bob.unread == 1 and bob.items[0].title.startswith("Webhook partenaire désactivé")
    assert staff_alerts_out(await bus.handle(sa.ListStaffAlerts("other", "alice"))).items == []


def test_a_tenant_without_configured_managers_gets_the_staff_alert_only() -> None:
    assert sa.managers_from(MANAGERS)("other") == []
    assert sa.staff_recipient("Office@Example.org") == sa.staff_recipient("office@example.org")
