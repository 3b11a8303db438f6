from __future__ import annotations

from alumni_contracts.envelope import EventData
from alumni_contracts.notifications import v1
from notifications_service.domain.model import NotificationSent
from servicekit.domain import DomainEvent
from servicekit.erasure import DataErased, confirmation


def to_contract(event: DomainEvent) -> EventData:
    match event:
        case NotificationSent():
            return v1.NotificationSent(notification_id=event.notification_id, member_id=event.member_id,
                                       channel="email", template=event.template, locale=event.locale,
                                       sent_at=event.sent_at)
        case DataErased():
            return confirmation(event, v1.MemberDataErased)
    raise TypeError(f"no contract for {type(event).__name__}")
