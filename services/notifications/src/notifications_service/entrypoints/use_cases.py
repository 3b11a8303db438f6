"""Use cases of notifications: a member's feed and preferences, one-click unsubscribe (no
login: the signed token is the authority), the email provider's bounce webhook (no login: the
signature is), contactability per cohort (staff)."""

from __future__ import annotations

from typing import Any

from alumni_contracts import naming
from alumni_contracts.notifications import commands as c
from alumni_contracts.rpc import ALUMNI_AND_STAFF, STAFF, Role
from notifications_service.domain.preferences import Category, Channel
from notifications_service.service_layer import member_notifications as mn
from servicekit.authz import Ownership
from servicekit.bus import UseCase

PUBLIC = frozenset({Role.PUBLIC})
ALUMNI = ALUMNI_AND_STAFF  # staff with a member record read their own feed too


def command(name: str) -> str:
    return naming.command_subject("notifications", name)


def query(name: str) -> str:
    return naming.query_subject("notifications", name)


def _page(page: mn.FeedPage) -> c.NotificationFeedPage:
    return c.NotificationFeedPage(items=[c.FeedItemOut(
        notification_id=i.id, kind=i.kind, category=c.NotificationCategory(i.category), title=i.title, body=i.body,
        locale=i.locale, created_at=i.created_at, read_at=i.read_at) for i in page.items],
        unread=page.unread, next_cursor=page.next_cursor)


def _prefs(view: mn.PreferencesView) -> c.PreferencesOut:
    return c.PreferencesOut.model_validate({"preferences": view.table, "consents": view.consents})


def _contactability(rows: list[dict[str, Any]]) -> c.ContactabilityReport:
    alumni = sum(int(r["alumni"]) for r in rows)
    reachable = sum(int(r["contactable"]) for r in rows)
    return c.ContactabilityReport(
        cohorts=[c.CohortContactability(program=str(r["program"]), graduation_year=int(r["graduation_year"]),
                                        alumni=int(r["alumni"]), contactable=int(r["contactable"]),
                                        ratio=round(int(r["contactable"]) / int(r["alumni"]), 4) if r["alumni"] else 0.0)
                 for r in rows],
        alumni=alumni, contactable=reachable, ratio=round(reachable / alumni, 4) if alumni else 0.0)


USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=query(c.LIST_MY_NOTIFICATIONS), request=c.ListMyNotifications, roles=ALUMNI,
            ownership=Ownership.SELF, member_field="-",
            message=lambda req, who: mn.ListFeed(who.tenant, who.target, req.limit, req.after), reply=_page,
            description="Your in-app notifications, newest first, with the unread count."),
    UseCase(subject=command(c.MARK_NOTIFICATIONS_READ), request=c.MarkNotificationsRead, roles=ALUMNI,
            ownership=Ownership.SELF, member_field="-", idempotent=True,
            message=lambda req, who: mn.MarkRead(who.tenant, who.target,
                                                 None if req.all else list(req.notification_ids)),
            reply=lambda r: c.NotificationsMarkedRead(marked=r.marked, unread=r.unread),
            description="Mark some (or all) of your notifications read."),
    UseCase(subject=query(c.GET_MY_PREFERENCES), request=c.GetMyPreferences, roles=ALUMNI,
            ownership=Ownership.SELF, member_field="-",
            message=lambda req, who: mn.GetPreferences(who.tenant, who.target), reply=_prefs,
            description="Your notification preferences per category and channel."),
    UseCase(subject=command(c.SET_MY_PREFERENCES), request=c.SetMyPreferences, roles=ALUMNI,
            ownership=Ownership.SELF, member_field="-", idempotent=True,
            message=lambda req, who: mn.SetPreferences(who.tenant, who.target, {
                (Category(ch.category.value), Channel(ch.channel.value)): ch.enabled for ch in req.choices}),
            reply=_prefs, description="Turn categories on or off per channel (transactional mail is always sent)."),
    UseCase(subject=query(c.CHECK_UNSUBSCRIBE), request=c.CheckUnsubscribe, roles=PUBLIC,
            message=lambda req, who: mn.CheckUnsubscribe(who.tenant, req.token),
            reply=lambda o: c.UnsubscribeInfo(category=c.NotificationCategory(o.category), locale=o.locale,
                                              already=o.already),
            description="What an unsubscribe link would stop (the confirmation page)."),
    UseCase(subject=command(c.UNSUBSCRIBE), request=c.Unsubscribe, roles=PUBLIC,
            message=lambda req, who: mn.ApplyUnsubscribe(who.tenant, req.token),
            reply=lambda o: c.Unsubscribed(category=c.NotificationCategory(o.category), locale=o.locale),
            description="One-click unsubscribe (RFC 8058): the signed token names member and category."),
    UseCase(subject=command(c.RECEIVE_BOUNCE_WEBHOOK), request=c.ReceiveBounceWebhook, roles=PUBLIC,
            message=lambda req, who: mn.ReceiveBounce(who.tenant, req.payload, req.signature),
            reply=lambda outcome: c.BounceHandled(outcome=outcome),
            description="The email provider's signed bounce/complaint notification."),
    UseCase(subject=query(c.GET_CONTACTABILITY), request=c.GetContactability, roles=STAFF,
            message=lambda req, who: mn.GetContactability(who.tenant), reply=_contactability,
            description="Contactable alumni ÷ alumni of record, per cohort."),
]
