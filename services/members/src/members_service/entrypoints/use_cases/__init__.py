"""What the members service does: every request/reply use case, declared once, by slice.

Each slice module lists its `UseCase`s (subject, request contract, roles, ownership rule,
idempotency, the command it builds, the reply it shapes); `bootstrap` serves `USE_CASES`
through the service's message bus. The per-member export is servicekit's (`data_export`).
"""

from __future__ import annotations

from typing import Any

from members_service.entrypoints.use_cases import (
    ambassadors,
    consents,
    directory,
    groups,
    imports,
    kpis,
    membership,
    privacy,
    profiles,
    sectors,
    showcase,
)
from servicekit.bus import UseCase

USE_CASES: list[UseCase[Any]] = [
    *profiles.USE_CASES, *consents.USE_CASES, *directory.USE_CASES, *showcase.USE_CASES, *ambassadors.USE_CASES,
    *sectors.USE_CASES, *groups.USE_CASES, *imports.USE_CASES, *privacy.USE_CASES,
    *membership.USE_CASES, *kpis.USE_CASES,
]
