"""An erasure (GDPR art. 17) of one member across every service.

Members erases its own records when the erasure is requested; every other service that holds
member data confirms it erased (or pseudonymised) its copies; when the last one confirms, the
member is erased platform-wide and partners are told. The erasure keeps the member id only
until then: afterwards it names nobody (a one-way hash lets the member read its status).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from servicekit.domain import AggregateRoot, DomainEvent, NotFound, new_id

MEMBERS_SERVICE = "members"


class ErasureState(StrEnum):
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"


@dataclass(frozen=True)
class ErasureRequested(DomainEvent):
    erasure_id: str
    member_id: str
    requested_at: datetime
    deadline: datetime


@dataclass(frozen=True)
class ErasureConfirmed(DomainEvent):
    """Internal: one service confirmed."""

    erasure_id: str
    service: str


@dataclass(frozen=True)
class MemberErased(DomainEvent):
    erasure_id: str
    member_id: str
    at: datetime


class ErasureNotFound(NotFound):
    code = "erasure-not-found"
    title = "Erasure not found"


@dataclass(eq=False)
class Erasure(AggregateRoot):
    member_id: str | None = None  # until completion only
    member_ref: str = ""  # one-way reference: who may read the status
    requested_at: datetime | None = None
    deadline: datetime | None = None
    requested_by_role: str = ""
    confirmations: dict[str, datetime | None] = field(default_factory=dict)
    completed_at: datetime | None = None

    @classmethod
    def request(cls, *, tenant: str, member_id: str, member_ref: str, by_role: str, confirmers: tuple[str, ...],
                now: datetime, deadline_days: int) -> Erasure:
        erasure = cls(id=new_id(), tenant=tenant, member_id=member_id, member_ref=member_ref, requested_at=now,
                      deadline=now + timedelta(days=deadline_days), requested_by_role=by_role,
                      # members erased its own records in the same transaction as this request
                      confirmations={**dict.fromkeys(c for c in confirmers if c != MEMBERS_SERVICE),
                                     MEMBERS_SERVICE: now})
        assert erasure.deadline is not None
        erasure.record(ErasureRequested(erasure.id, member_id, now, erasure.deadline))
        return erasure

    @property
    def state(self) -> ErasureState:
        return ErasureState.COMPLETED if self.completed_at else ErasureState.IN_PROGRESS

    def overdue(self, now: datetime) -> bool:
        return self.completed_at is None and self.deadline is not None and now > self.deadline

    def confirm(self, service: str, now: datetime) -> None:
        """Idempotent; the last confirmation completes the erasure."""
        if service not in self.confirmations:
            raise ValueError(f"{service} is not expected to confirm erasures")
        if self.confirmations[service] is not None or self.completed_at is not None:
            return
        self.confirmations = {**self.confirmations, service: now}
        self.record(ErasureConfirmed(self.id, service))
        if all(at is not None for at in self.confirmations.values()):
            assert self.member_id is not None
            self.record(MemberErased(self.id, self.member_id, now))
            self.completed_at, self.member_id = now, None
