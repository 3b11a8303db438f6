"""Use cases of sectors: the tenant's list of career sectors."""

from __future__ import annotations

from dataclasses import dataclass

from members_service.domain.sectors import Sector, SectorList
from members_service.service_layer.commands import Actor
from members_service.service_layer.ports import MemberReader, MembersUnitOfWork
from servicekit.domain import ConcurrencyConflict


@dataclass(frozen=True)
class GetSectors:
    tenant: str


@dataclass(frozen=True)
class SetSectors:
    tenant: str
    actor: Actor
    sectors: tuple[Sector, ...]
    expected_version: int  # 0 while the tenant still uses the default list


async def get_sectors(query: GetSectors, reader: MemberReader) -> SectorList:
    return await reader.sectors(query.tenant)


async def set_sectors(cmd: SetSectors, uow: MembersUnitOfWork) -> SectorList:
    cmd.actor.require_staff("edits the sector list")
    async with uow:
        current = await uow.settings.sectors(cmd.tenant)
        if current.version != cmd.expected_version:
            raise ConcurrencyConflict(
                f"the sector list is at version {current.version}, not {cmd.expected_version}: reload and retry")
        updated = SectorList(cmd.sectors, current.version + 1)
        await uow.settings.save_sectors(cmd.tenant, updated)
        await uow.commit()
    return updated


# The handlers the message bus routes requests to (`bootstrap.message_bus`).
HANDLERS = (get_sectors, set_sectors)
