"""Use cases of consents: the ledger of what each member agreed to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from members_service.domain.consent import Channel, ConsentRecord, Purpose
from members_service.domain.model import Member, MemberNotFound
from members_service.domain.showcase import ShowcaseScope
from members_service.service_layer.commands import Actor
from members_service.service_layer.ports import MemberReader, MembersUnitOfWork
from members_service.service_layer.profiles import load_for_change
from servicekit.domain import utcnow

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class SetConsent:
    tenant: str
    member_id: str
    actor: Actor
    purpose: Purpose
    granted: bool
    text_version: str
    language: str
    channel: Channel
    scope: ShowcaseScope | None = None  # showcase consents only


@dataclass(frozen=True)
class GetConsents:
    tenant: str
    member_id: str
    actor: Actor


async def set_consent(cmd: SetConsent, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Member:
    async with uow:
        member = await load_for_change(uow, cmd.tenant, cmd.member_id, cmd.actor)
        member.record_consent(ConsentRecord(
            purpose=cmd.purpose, granted=cmd.granted, text_version=cmd.text_version, language=cmd.language,
            channel=cmd.channel, actor=cmd.actor.subject, actor_role=cmd.actor.role, at=clock(), scope=cmd.scope))
        await uow.members.save(member)
        await uow.commit()
    return member


async def consent_ledger(tenant: str, member_id: str, actor: Actor, reader: MemberReader
                         ) -> tuple[Member, list[ConsentRecord]]:
    if not actor.may_act_on(member_id):
        raise MemberNotFound(member_id)
    member = await reader.get(tenant, member_id)
    if member is None:
        raise MemberNotFound(member_id)
    return member, await reader.consent_history(tenant, member_id)


async def get_consents(query: GetConsents, reader: MemberReader) -> tuple[Member, list[ConsentRecord]]:
    return await consent_ledger(query.tenant, query.member_id, query.actor, reader)


async def record_consent(cmd: SetConsent, uow: MembersUnitOfWork, reader: MemberReader,
                         clock: Clock = utcnow) -> tuple[Member, list[ConsentRecord]]:
    """Set a consent and answer with the member's ledger."""
    member = await set_consent(cmd, uow, clock)
    return await consent_ledger(cmd.tenant, member.id, cmd.actor, reader)


# The handlers the message bus routes requests to (`bootstrap.message_bus`).
HANDLERS = (get_consents, record_consent)
