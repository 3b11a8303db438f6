"""Every index of the members service's collections, slice by slice (ensured at start-up)."""

from __future__ import annotations

from members_service.adapters import (
    mongo_directory_search,
    mongo_dues_kpis,
    mongo_dues_memberships,
    mongo_erasures,
    mongo_groups,
    mongo_imports,
    mongo_members,
    mongo_showcase,
)

INDEXES = [*mongo_members.INDEXES, *mongo_directory_search.DIRECTORY_INDEXES, *mongo_showcase.INDEXES,
           *mongo_erasures.INDEXES, *mongo_imports.INDEXES, *mongo_groups.INDEXES,
           *mongo_dues_memberships.INDEXES, *mongo_dues_kpis.INDEXES]
OBSOLETE_INDEXES = [*mongo_imports.OBSOLETE_INDEXES]
