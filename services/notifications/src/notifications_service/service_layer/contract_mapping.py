from __future__ import annotations

from alumni_contracts.envelope import EventData
from alumni_contracts.notifications import v1
from notifications_service.domain.bounces import EmailAddressInvalidated
from notifications_service.domain.model import NotificationSent
from notifications_service.domain.preferences import UnsubscribeRequested
from servicekit.domain import DomainEvent
from servicekit.erasure import DataErased, confirmation


def to_contract(event: DomainEvent) -> EventData:
    match event:
        case NotificationSent():
            return v1.NotificationSent(notification_id=event.notification_id, member_id=event.member_id,
                                       channel="email", template=event.template, locale=event.locale,
                                       sent_at=event.sent_at)
        case UnsubscribeRequested():
            return v1.UnsubscribeRequested(member_id=event.member_id, category=event.category, purpose=event.purpose,
                                           source=event.source,  # type: ignore[arg-type]
                                           language="en" if event.locale == "en" else "fr", requested_at=event.at)
        case EmailAddressInvalidated():
            return v1.EmailAddressInvalidated(member_id=event.member_id, email=event.email,
                                              reason=event.reason,  # type: ignore[arg-type]
                                              bounces=event.bounces, invalidated_at=event.at)
        case DataErased():
            return confirmation(event, v1.MemberDataErased)
    raise TypeError(f"no contract for {type(event).__name__}")
