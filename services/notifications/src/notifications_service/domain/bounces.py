"""Bounces and complaints: when an address stops being written to (pure rules).

A hard bounce (the address does not exist, 5xx on RCPT) invalidates the address at once; soft
bounces (mailbox full, greylisting, 4xx after every retry) invalidate it once
`soft_limit` of them fall within `window`. A complaint (the member marked a message as spam)
withdraws their marketing consent but keeps the address valid for transactional mail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from servicekit.domain import AggregateRoot, DomainEvent


class BounceKind(StrEnum):
    HARD = "hard"
    SOFT = "soft"
    COMPLAINT = "complaint"


@dataclass(frozen=True)
class BouncePolicy:
    soft_limit: int = 3
    window: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class EmailAddressInvalidated(DomainEvent):
    member_id: str
    email: str
    reason: str  # hard-bounce, repeated-soft-bounces
    bounces: int
    at: datetime


@dataclass(eq=False)
class AddressHealth(AggregateRoot):
    """One (member, address): its recent soft bounces and whether it was invalidated. Id:
    `<member id>:<address>` (a new address starts clean)."""

    member_id: str = ""
    email: str = ""
    soft_bounces: list[datetime] = field(default_factory=list)
    hard_bounces: int = 0
    complaints: int = 0
    invalidated_at: datetime | None = None
    seen_reports: list[str] = field(default_factory=list)  # provider event ids already applied

    def report(self, kind: BounceKind, at: datetime, policy: BouncePolicy, report_id: str = "") -> bool:
        """Apply one report; returns False for a report already applied (a provider's retry)."""
        if report_id:
            if report_id in self.seen_reports:
                return False
            self.seen_reports = [*self.seen_reports[-49:], report_id]
        if kind is BounceKind.COMPLAINT:
            self.complaints += 1
        elif kind is BounceKind.HARD:
            self.hard_bounces += 1
            self._invalidate("hard-bounce", at)
        else:
            self.soft_bounces = [t for t in self.soft_bounces if t > at - policy.window] + [at]
            if len(self.soft_bounces) >= policy.soft_limit:
                self._invalidate("repeated-soft-bounces", at)
        return True

    def _invalidate(self, reason: str, at: datetime) -> None:
        if self.invalidated_at is not None:
            return
        self.invalidated_at = at
        self.record(EmailAddressInvalidated(self.member_id, self.email, reason,
                                            self.hard_bounces + len(self.soft_bounces), at))
