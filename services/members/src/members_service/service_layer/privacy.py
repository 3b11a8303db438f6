"""Use cases of GDPR erasure: members erases its records, every service confirms, deadlines are watched."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from members_service.domain.erasure import Erasure, ErasureNotFound
from members_service.service_layer.commands import Actor
from members_service.service_layer.contract_mapping import NAMING_THE_ERASED
from members_service.service_layer.ports import MemberReader, MembersUnitOfWork
from members_service.service_layer.profiles import load_for_change
from servicekit.domain import utcnow
from servicekit.logging import get_logger
from servicekit.personal_data import subject_hash

log = get_logger(__name__)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class RequestErasure:
    tenant: str
    member_id: str
    actor: Actor
    confirmers: tuple[str, ...]  # the services that must confirm (from the contracts)
    deadline_days: int


@dataclass(frozen=True)
class ConfirmErasure:
    tenant: str
    erasure_id: str
    service: str


@dataclass(frozen=True)
class GetErasure:
    tenant: str
    erasure_id: str
    actor: Actor


async def request_erasure(cmd: RequestErasure, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Erasure:
    """Members erases its records now (the member disappears from the directory, the showcase
    and every list at once) and asks every other service to erase theirs."""
    async with uow:
        member = await load_for_change(uow, cmd.tenant, cmd.member_id, cmd.actor)
        now = clock()
        erasure = Erasure.request(tenant=cmd.tenant, member_id=member.id,
                                  member_ref=subject_hash(cmd.tenant, member.id), by_role=cmd.actor.role,
                                  confirmers=cmd.confirmers, now=now, deadline_days=cmd.deadline_days)
        member.erase(now)
        # Each slice erases its own records, in this one transaction.
        await uow.members.delete(member)
        await uow.memberships.erase_member(member.tenant, member.id)
        await uow.import_rows.erase_member(member)
        await uow.directory.forget(member)
        await uow.dues_memberships.delete_of_member(cmd.tenant, member.id)  # payments: fundraising pseudonymises
        await uow.erasures.add(erasure)
        await uow.commit()
    log.info("erasure requested", erasure_id=erasure.id, deadline=str(erasure.deadline))
    return erasure


async def confirm_erasure(cmd: ConfirmErasure, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Erasure:
    """One service confirmed. With the last one, members also scrubs its own delivery records
    (by then the events it published about the member are sent) and publishes `member_erased`."""
    async with uow:
        erasure = await uow.erasures.get(cmd.tenant, cmd.erasure_id)
        if erasure is None:
            raise ErasureNotFound(cmd.erasure_id)
        member_id = erasure.member_id
        erasure.confirm(cmd.service, clock())
        if erasure.completed_at is not None and member_id is not None:
            await uow.scrub_member(cmd.tenant, member_id, NAMING_THE_ERASED)
        await uow.erasures.save(erasure)
        await uow.commit()
    if erasure.completed_at is not None:
        log.info("erasure completed", erasure_id=erasure.id)
    return erasure


async def get_erasure(query: GetErasure, uow: MembersUnitOfWork) -> Erasure:
    """Staff read any erasure of their tenant; an alumnus only their own."""
    async with uow:
        erasure = await uow.erasures.get(query.tenant, query.erasure_id)
    mine = query.actor.member_id is not None and erasure is not None \
        and erasure.member_ref == subject_hash(query.tenant, query.actor.member_id)
    if erasure is None or not (query.actor.staff or mine):
        raise ErasureNotFound(query.erasure_id)
    return erasure


async def watch_erasure_deadlines(reader: MemberReader, clock: Clock = utcnow) -> int:
    """Log every erasure past its deadline (ops alert on it); returns how many."""
    late = await reader.overdue_erasures(clock())
    for tenant, erasure_id in late:
        log.error("erasure overdue", tenant=tenant, erasure_id=erasure_id)
    return len(late)


# The handlers the message bus routes requests to (`bootstrap.message_bus`).
HANDLERS = (request_erasure, get_erasure)
