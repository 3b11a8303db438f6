"""Outcome figures of mutual aid, with small-group suppression (pure)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from statistics import median

from community_service.domain.helping import HelpRequest, OfferStatus, Status

MIN_GROUP_SIZE = 5


@dataclass(frozen=True)
class FigureRow:
    group: str
    suppressed: bool
    requests: int | None = None
    by_status: dict[str, int] | None = None
    acceptance_rate: float | None = None
    median_hours_to_first_answer: float | None = None
    outcomes: dict[str, int] | None = None


def row(group: str, requests: list[HelpRequest], min_size: int = MIN_GROUP_SIZE) -> FigureRow:
    """Figures about fewer than `min_size` requests are never returned (suppressed)."""
    if len(requests) < min_size:
        return FigureRow(group=group, suppressed=True)
    routed = [r for r in requests if r.offers]
    accepted = [r for r in routed if any(o.status is OfferStatus.ACCEPTED for o in r.offers)]
    waits = [(r.first_answer_at - r.created_at).total_seconds() / 3600 for r in requests
             if r.first_answer_at is not None and r.created_at is not None]
    outcomes = Counter(r.outcome for r in requests if r.outcome)
    return FigureRow(
        group=group, suppressed=False, requests=len(requests),
        by_status=dict(Counter(r.status.value for r in requests)),
        acceptance_rate=round(len(accepted) / len(routed), 3) if routed else None,
        # A median over fewer answers than the minimum is a figure about fewer people: suppressed.
        median_hours_to_first_answer=round(median(waits), 1) if len(waits) >= min_size else None,
        outcomes={k: v for k, v in outcomes.items()} if sum(outcomes.values()) >= min_size else None)


def by_cohort(requests: list[HelpRequest], min_size: int = MIN_GROUP_SIZE) -> list[FigureRow]:
    groups: dict[str, list[HelpRequest]] = {}
    for r in requests:
        key = str(r.requester_cohort_year) if r.requester_cohort_year is not None else "unknown"
        groups.setdefault(key, []).append(r)
    return [row(k, groups[k], min_size) for k in sorted(groups)]


def by_program(requests: list[HelpRequest], min_size: int = MIN_GROUP_SIZE) -> list[FigureRow]:
    groups: dict[str, list[HelpRequest]] = {}
    for r in requests:
        groups.setdefault(r.requester_program or "unknown", []).append(r)
    return [row(k, groups[k], min_size) for k in sorted(groups)]


ACTIVE = frozenset({Status.OPEN, Status.OFFERED, Status.ACCEPTED, Status.MET})
