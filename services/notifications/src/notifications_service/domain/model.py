"""A notification: one message to one member on one channel, with a delivery key.

The id *is* the delivery key (`welcome-<event id>`): the same cause can never produce two
notifications, and the key travels as the email's Message-ID so a receiver can deduplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from servicekit.domain import AggregateRoot, DomainEvent


class Status(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"  # no longer true before it was sent (a dues reminder after a payment)


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email: attached (an `.ics`) or, with a `content_id`, shown inline by
    the HTML part (`<img src="cid:…">`: a ticket's QR code, which mail clients display without
    fetching anything remote)."""

    filename: str
    content_type: str  # "image/png", "text/calendar; method=PUBLISH"
    data: bytes
    content_id: str | None = None


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    body_text: str
    locale: str
    message_id: str
    body_html: str = ""  # empty: plain text only
    # Extra headers (List-Unsubscribe and List-Unsubscribe-Post on marketing messages).
    headers: tuple[tuple[str, str], ...] = ()
    category: str = ""
    marketing: bool = False
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class NotificationSent(DomainEvent):
    notification_id: str
    member_id: str
    template: str
    locale: str
    sent_at: datetime


@dataclass(eq=False)
class Notification(AggregateRoot):
    member_id: str = ""
    template: str = ""
    email: OutgoingEmail | None = None
    status: Status = Status.PENDING
    sent_at: datetime | None = None
    failure: str | None = None
    attempts: int = 0  # delivery attempts that failed so far
    # The message that asked for it and its flow: what the delivery's events name as their cause.
    cause_event_id: str | None = None
    correlation_id: str | None = None
    # What it is about (a membership id for dues reminders): a later change can withdraw it unsent.
    about: str | None = None

    @staticmethod
    def delivery_key(template: str, cause_event_id: str, member_id: str | None = None) -> str:
        """At most one message of a kind per (member, cause): the key is the notification's id
        (unique), its feed item's id and its Message-ID. Causes that concern one member (their
        registration) omit the member; a cause shared by many (a newsletter) names them."""
        return f"{template}-{cause_event_id}" if member_id is None else f"{template}-{cause_event_id}-{member_id}"

    @classmethod
    def compose(cls, *, tenant: str, member_id: str, template: str, cause_event_id: str,
                email: OutgoingEmail, correlation_id: str | None = None) -> Notification:
        return cls(id=cls.delivery_key(template, cause_event_id), tenant=tenant, member_id=member_id,
                   template=template, email=email, cause_event_id=cause_event_id, correlation_id=correlation_id)

    @property
    def cause(self) -> str:
        """The causing event's id (rows queued before it was stored: read from the delivery key)."""
        return self.cause_event_id or self.id.removeprefix(f"{self.template}-")

    def mark_sent(self, now: datetime) -> None:
        if self.status is Status.SENT:
            return
        assert self.email is not None
        self.status, self.sent_at = Status.SENT, now
        self.record(NotificationSent(self.id, self.member_id, self.template, self.email.locale, now))

    def mark_withdrawn(self, reason: str) -> None:
        """Not sent after all: no longer wanted when its turn came (a marketing message whose
        consent or preference was withdrawn after it was queued)."""
        self.status, self.failure = Status.WITHDRAWN, reason
        self.version += 1

    def mark_failed(self, reason: str) -> None:
        self.status, self.failure = Status.FAILED, reason
        self.version += 1
