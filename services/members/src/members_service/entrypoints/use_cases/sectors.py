"""Use cases of the tenant's sector list."""

from __future__ import annotations

from typing import Any

from alumni_contracts.members import commands as c
from alumni_contracts.rpc import ALUMNI_AND_STAFF, STAFF
from members_service.domain.sectors import Sector
from members_service.entrypoints import views
from members_service.entrypoints.use_cases.common import actor, command, query
from members_service.service_layer import sectors
from servicekit.bus import UseCase

USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=query(c.GET_SECTORS), request=c.GetSectors, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: sectors.GetSectors(who.tenant), reply=views.sector_list,
            description="The tenant's sector list (the default one until a manager edits it)."),
    UseCase(subject=command(c.SET_SECTORS), request=c.SetSectors, roles=STAFF, idempotent=True,
            message=lambda req, who: sectors.SetSectors(who.tenant, actor(who), tuple(
                Sector(x.code, x.label_fr, x.label_en) for x in req.sectors), req.version),
            reply=views.sector_list,
            description="Replace the tenant's sector list (optimistic locking on `version`)."),
]
