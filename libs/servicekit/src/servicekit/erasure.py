"""GDPR erasure, the use case every data-holding service runs the same way.

On `member_erasure_requested` a service deletes its own records (its business: the `Eraser`
it passes), then its unit of work scrubs the outbox and idempotency rows that mention the
member and leaves a tombstone (`servicekit.personal_data`), and an `ErasureReceipt` records
the confirmation, which the service maps to its own `member_data_erased` contract. All in one
unit of work: the confirmation is published if and only if the erasure committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.members.v1 import MemberErasureRequested
from alumni_contracts.privacy import MemberDataErasedBase
from alumni_contracts.subscriptions import Subscription, subscription
from servicekit.domain import AggregateRoot, DomainEvent, utcnow
from servicekit.uow import ErasingUnitOfWork


@dataclass(frozen=True)
class DataErased(DomainEvent):
    erasure_id: str
    erased: dict[str, int]
    pseudonymised: dict[str, int]
    at: datetime


@dataclass(eq=False)
class ErasureReceipt(AggregateRoot):
    """Not stored: it exists to publish the confirmation through the outbox."""

    @classmethod
    def confirm(cls, *, tenant: str, erasure_id: str, erased: dict[str, int], pseudonymised: dict[str, int],
                now: datetime) -> ErasureReceipt:
        receipt = cls(id=erasure_id, tenant=tenant)
        receipt.record(DataErased(erasure_id, dict(erased), dict(pseudonymised), now))
        return receipt


@dataclass(frozen=True)
class EraseMemberData:
    tenant: str
    erasure_id: str
    member_id: str


U = TypeVar("U", bound=ErasingUnitOfWork)
# The service's own part: delete what it holds, pseudonymise what the law makes it keep.
# Returns (deleted by collection, pseudonymised by collection).
Eraser = Callable[[U, EraseMemberData], Awaitable[tuple[dict[str, int], dict[str, int]]]]


async def erase_member_data(cmd: EraseMemberData, uow: U, erase: Eraser[U],
                            clock: Callable[[], datetime] = utcnow) -> None:
    """Erase, scrub, tombstone and confirm, atomically (the confirmation goes out through the
    outbox only if everything else committed)."""
    async with uow:
        erased, pseudonymised = await erase(uow, cmd)
        erased = {**erased, **await uow.scrub_member(cmd.tenant, cmd.member_id)}
        uow.track(ErasureReceipt.confirm(tenant=cmd.tenant, erasure_id=cmd.erasure_id, erased=erased,
                                         pseudonymised=pseudonymised, now=clock()))
        await uow.commit()


def erasure_subscriber(service: str, uow_factory: Callable[[], U], erase: Eraser[U]
                       ) -> tuple[Subscription, Callable[[CloudEvent[Any]], Awaitable[None]]]:
    """The subscriber every data-holding service attaches to `member_erasure_requested`."""
    async def on_member_erasure_requested(event: CloudEvent[Any]) -> None:
        data: MemberErasureRequested = event.data
        await erase_member_data(EraseMemberData(event.tenant, data.erasure_id, data.member_id), uow_factory(), erase)

    return subscription(service, MemberErasureRequested), on_member_erasure_requested


C = TypeVar("C", bound=MemberDataErasedBase)


def confirmation(event: DataErased, model: type[C]) -> C:
    """The service's `member_data_erased` contract for a receipt (each service has its own type)."""
    return model(erasure_id=event.erasure_id, erased=event.erased, pseudonymised=event.pseudonymised,
                 erased_at=event.at)
