"""A newsletter: a bilingual message to a segment, drafted, scheduled, fanned out, sent.

`draft → scheduled → sending → sent`, and `cancelled` from draft or scheduled. The fan-out
is resumable: it walks the segment in member-id order and the newsletter keeps the last
member queued (`cursor`) with the count, both saved in the same transaction as the batch of
messages they describe — a crash repeats at most the batch in flight, and each message's id
is its delivery key (`delivery_key`: newsletter and member), so a repeated batch queues nothing twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from servicekit.domain import AggregateRoot, DomainError, DomainEvent, new_id


class NewsletterStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class NewsletterNotEditable(DomainError):
    code = "newsletter-not-editable"
    title = "The newsletter can no longer be changed"
    status = 409


class NewsletterNotFound(DomainError):
    code = "newsletter-not-found"
    title = "No such newsletter"
    status = 404


class ScheduleInThePast(DomainError):
    code = "schedule-in-the-past"
    title = "The sending time is in the past"
    status = 422


NEWSLETTER_KIND = "newsletter"


@dataclass(frozen=True)
class Content:
    subject: dict[str, str]  # locale → subject
    body: dict[str, str]  # locale → Markdown

    @property
    def languages(self) -> list[str]:
        return sorted(self.subject)

    def language_for(self, locale: str) -> str:
        """The member's language if the newsletter has it, else the one it has (French first)."""
        if locale in self.subject:
            return locale
        return "fr" if "fr" in self.subject else self.languages[0]


@dataclass(frozen=True)
class NewsletterScheduled(DomainEvent):
    newsletter_id: str
    send_at: datetime
    segment: dict[str, Any]
    languages: list[str]


@dataclass(frozen=True)
class NewsletterFannedOut(DomainEvent):
    newsletter_id: str
    recipients: int
    at: datetime


def delivery_key(newsletter_id: str, member_id: str) -> str:
    """`nl-<newsletter id>-<24 hex of a hash of the member id>`: one per (newsletter, member),
    deterministic (a re-run finds it), and within the 64 characters of an identifier (the
    notification id travels in `notification_sent`; two UUIDs side by side would not fit)."""
    member = hashlib.blake2b(member_id.encode(), digest_size=12).hexdigest()
    return f"nl-{newsletter_id}-{member}"


@dataclass(eq=False)
class Newsletter(AggregateRoot):
    content: Content = field(default_factory=lambda: Content({}, {}))
    segment: dict[str, Any] = field(default_factory=dict)  # the Segment contract, as JSON
    status: NewsletterStatus = NewsletterStatus.DRAFT
    created_by: str = ""
    created_at: datetime | None = None
    send_at: datetime | None = None
    cursor: str | None = None  # last member id queued
    queued: int = 0
    completed_at: datetime | None = None

    @classmethod
    def draft(cls, *, tenant: str, content: Content, segment: dict[str, Any], by: str, now: datetime) -> Newsletter:
        newsletter = cls(id=new_id(), tenant=tenant, content=content, segment=segment, created_by=by, created_at=now)
        newsletter.version = 1  # a change to store (persisted version 0: inserted)
        return newsletter

    def edit(self, content: Content, segment: dict[str, Any]) -> None:
        if self.status is not NewsletterStatus.DRAFT:
            raise NewsletterNotEditable(f"it is {self.status.value}")
        self.content, self.segment = content, segment
        self.version += 1

    def schedule(self, send_at: datetime | None, now: datetime) -> None:
        """Send at `send_at` (None: now). Scheduling again before it starts moves the date."""
        if self.status not in (NewsletterStatus.DRAFT, NewsletterStatus.SCHEDULED):
            raise NewsletterNotEditable(f"it is {self.status.value}")
        if send_at is not None and send_at < now:
            raise ScheduleInThePast(f"{send_at.isoformat()} is before now")
        self.status, self.send_at = NewsletterStatus.SCHEDULED, send_at or now
        self.record(NewsletterScheduled(self.id, self.send_at, self.segment, self.content.languages))

    def cancel(self) -> None:
        if self.status not in (NewsletterStatus.DRAFT, NewsletterStatus.SCHEDULED):
            raise NewsletterNotEditable(f"it is {self.status.value}: what is queued goes out")
        self.status = NewsletterStatus.CANCELLED
        self.version += 1

    def due(self, now: datetime) -> bool:
        return (self.status is NewsletterStatus.SENDING
                or (self.status is NewsletterStatus.SCHEDULED and self.send_at is not None and self.send_at <= now))

    def queued_batch(self, last_member_id: str, count: int) -> None:
        """A batch of messages up to `last_member_id` (member-id order) is queued with this change."""
        assert self.status in (NewsletterStatus.SCHEDULED, NewsletterStatus.SENDING)
        assert self.cursor is None or last_member_id > self.cursor, "the fan-out only moves forward"
        self.status, self.cursor, self.queued = NewsletterStatus.SENDING, last_member_id, self.queued + count
        self.version += 1

    def fanned_out(self, now: datetime) -> None:
        if self.status is NewsletterStatus.SENT:
            return
        self.status, self.completed_at = NewsletterStatus.SENT, now
        self.record(NewsletterFannedOut(self.id, self.queued, now))
