"""Use cases of the directory: search what the viewer may see."""

from __future__ import annotations

from typing import Any

from alumni_contracts.members import commands as c
from alumni_contracts.rpc import ALUMNI_AND_STAFF
from members_service.domain.directory import DirectoryCriteria
from members_service.entrypoints import views
from members_service.entrypoints.use_cases.common import actor, decode_cursor, encode_cursor, query
from members_service.service_layer import directory
from servicekit.bus import Caller, UseCase


def _search(req: c.SearchDirectory, who: Caller) -> directory.SearchDirectory:
    year_from, year_to = (req.year, req.year) if req.year else (req.year_from, req.year_to)
    criteria = DirectoryCriteria(name_prefix=req.q, program=req.program, year_from=year_from, year_to=year_to,
                                 employer_prefix=req.employer, sector=req.sector, city=req.city, country=req.country,
                                 ambassadors_only=req.ambassadors)
    return directory.SearchDirectory(tenant=who.tenant, viewer=actor(who).viewer, criteria=criteria, limit=req.limit,
                               after=decode_cursor(req.cursor) if req.cursor else None)


def _page(found: Any) -> c.DirectoryPage:
    cards, after = found
    return c.DirectoryPage(items=[views.directory_entry(card) for card in cards],
                           next_cursor=encode_cursor(after) if after else None)


USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=query(c.SEARCH_DIRECTORY), request=c.SearchDirectory, roles=ALUMNI_AND_STAFF,
            message=_search, reply=_page,
            description="Search the directory; results carry only what the viewer may see."),
]
