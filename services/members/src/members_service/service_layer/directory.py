"""Use cases of the directory: search, shaped for the viewer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from members_service.domain.directory import DirectoryCard, DirectoryCriteria, Viewer, directory_card
from members_service.service_layer.ports import DirectorySearch


@dataclass(frozen=True)
class SearchDirectory:
    tenant: str
    viewer: Viewer
    criteria: DirectoryCriteria = field(default_factory=DirectoryCriteria)
    limit: int = 20
    after: str | None = None  # sort key of the last entry of the previous page


async def search_directory(query: SearchDirectory, directory: DirectorySearch
                           ) -> tuple[list[DirectoryCard], str | None]:
    """Cards shaped for the viewer, and the cursor of the next page: after the last card when
    there is more, or where the reader stopped when it returned a partial page."""
    found, resume_after = await directory.search(replace(query, limit=query.limit + 1))
    more = len(found) > query.limit
    found = found[: query.limit]
    cards = [directory_card(member, query.viewer) for _, member in found]
    if more:
        return cards, found[-1][0]
    return cards, resume_after


# The handlers the message bus routes requests to (`bootstrap.message_bus`).
HANDLERS = (search_directory,)
