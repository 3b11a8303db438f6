"""Use cases of the showcase: the text alumni write, published within their consent, and its expiry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from members_service.domain.model import Member
from members_service.domain.showcase import PublicShowcase, ShowcaseChannel, ShowcaseProfile
from members_service.service_layer.commands import Actor
from members_service.service_layer.ports import MemberReader, MembersUnitOfWork
from members_service.service_layer.profiles import load_for_change
from servicekit.domain import utcnow

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class SetShowcase:
    """Write (or, with `showcase=None`, remove) a member's showcase profile."""

    tenant: str
    member_id: str
    actor: Actor
    showcase: ShowcaseProfile | None


@dataclass(frozen=True)
class PublicShowcaseQuery:
    tenant: str
    channel: ShowcaseChannel


async def set_showcase(cmd: SetShowcase, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Member:
    """The alumnus (or the office, on their behalf) writes the showcase text; it is published
    only while a showcase consent covers it."""
    async with uow:
        member = await load_for_change(uow, cmd.tenant, cmd.member_id, cmd.actor)
        member.set_showcase(cmd.showcase, clock())
        await uow.members.save(member)
        await uow.commit()
    return member


async def public_showcase(query: PublicShowcaseQuery, reader: MemberReader, clock: Clock = utcnow
                          ) -> list[PublicShowcase]:
    """Entries consented for this channel and not expired *now* — expiry takes effect at once,
    before the sweeper has unpublished them."""
    now = clock()
    return [e for e in await reader.published_showcases(query.tenant)
            if query.channel in e.channels and now < e.expires_at]


async def expire_showcases(uow_factory: Callable[[], MembersUnitOfWork], reader: MemberReader,
                           clock: Clock = utcnow, batch: int = 100) -> int:
    """Unpublish entries whose consent expired (emits `showcase_unpublished`); returns how many."""
    done = 0
    for tenant, member_id in await reader.showcases_expiring(clock(), batch):
        uow = uow_factory()
        async with uow:
            member = await uow.members.get(tenant, member_id)
            if member is None:
                continue
            member.expire_showcase(clock())
            await uow.members.save(member)
            await uow.commit()
        done += 1
    return done


# The handlers the message bus routes requests to (`bootstrap.message_bus`).
HANDLERS = (set_showcase, public_showcase)
