"""Use cases of ambassadors: appointed and revoked by the office."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from members_service.domain.ambassador import AmbassadorScope
from members_service.domain.model import Member
from members_service.service_layer.commands import Actor
from members_service.service_layer.ports import MembersUnitOfWork
from members_service.service_layer.profiles import change_member
from servicekit.domain import utcnow

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class AppointAmbassador:
    tenant: str
    member_id: str
    actor: Actor
    scope: AmbassadorScope


@dataclass(frozen=True)
class RevokeAmbassador:
    tenant: str
    member_id: str
    actor: Actor


async def appoint_ambassador(cmd: AppointAmbassador, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Member:
    cmd.actor.require_staff("appoints ambassadors")
    return await change_member(uow, cmd.tenant, cmd.member_id,
                         lambda m: m.appoint_ambassador(cmd.scope, cmd.actor.subject, clock()))


async def revoke_ambassador(cmd: RevokeAmbassador, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Member:
    cmd.actor.require_staff("revokes ambassadors")
    return await change_member(uow, cmd.tenant, cmd.member_id, lambda m: m.revoke_ambassador(cmd.actor.subject, clock()))


# The handlers the message bus routes requests to (`bootstrap.message_bus`).
HANDLERS = (appoint_ambassador, revoke_ambassador)
