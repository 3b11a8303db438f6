"""Job alerts (issue 14 item 4): which alumni an approved offer is announced to. Pure rules.

A member's alert names sectors, cities and contract types; an empty list means "any". Sector
and city are free text on both sides (the poster's and the member's), so they are compared on a
folded key: accents removed, case folded, inner spaces collapsed ("Île-de-France" = "ile-de-france").
The stored form keeps the folded keys with `ANY` for an empty list, so the store can select the
candidates of an offer with three `$in` conditions; `matches` stays the rule of record.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from servicekit.domain import AggregateRoot

ANY = "*"
MAX_CRITERIA = 10


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def keys(values: list[str]) -> list[str]:
    """The folded, deduplicated keys of a criterion; `[ANY]` when it names nothing."""
    folded = sorted({fold(v) for v in values if fold(v)})
    return folded or [ANY]


@dataclass(frozen=True)
class PostedJob:
    """What `job_posted` says of an offer that matters for matching."""

    job_id: str
    sector: str
    city: str
    contract: str


@dataclass(eq=False, kw_only=True)
class JobAlert(AggregateRoot):
    """A member's job alert (id: the member id)."""

    member_id: str
    enabled: bool = False
    sectors: list[str] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)
    contracts: list[str] = field(default_factory=list)
    updated_at: datetime | None = None

    def set(self, enabled: bool, sectors: list[str], cities: list[str], contracts: list[str], now: datetime) -> None:
        self.enabled = enabled
        self.sectors = _distinct(sectors)[:MAX_CRITERIA]
        self.cities = _distinct(cities)[:MAX_CRITERIA]
        self.contracts = sorted(set(contracts))
        self.updated_at = now
        self.version += 1

    @property
    def sector_keys(self) -> list[str]:
        return keys(self.sectors)

    @property
    def city_keys(self) -> list[str]:
        return keys(self.cities)

    @property
    def contract_keys(self) -> list[str]:
        return sorted(set(self.contracts)) or [ANY]


def _distinct(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for v in values:
        v = " ".join(v.split())
        if v and fold(v) not in seen:
            seen[fold(v)] = v
    return list(seen.values())


def matches(alert: JobAlert, job: PostedJob) -> bool:
    """An enabled alert whose every criterion admits the offer (an empty criterion admits all)."""
    if not alert.enabled:
        return False
    return (_admits(alert.sector_keys, fold(job.sector)) and _admits(alert.city_keys, fold(job.city))
            and _admits(alert.contract_keys, job.contract))


def _admits(accepted: list[str], value: str) -> bool:
    return ANY in accepted or value in accepted
