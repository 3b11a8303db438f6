"""Outcome figures of mentoring, with small-group suppression (pure).

A group (all, a program, a mentee cohort) of fewer than the minimum number of relationships is
suppressed whole; inside a group, the completion rate needs that many closed relationships,
mentees per mentor that many distinct mentors, satisfaction and goals met that many surveys —
otherwise the figure is null (a figure about fewer people)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from community_service.domain.figures import MIN_GROUP_SIZE
from community_service.domain.mentoring import Mentorship, Status


@dataclass(frozen=True)
class MentoringRow:
    group: str
    label: str
    suppressed: bool
    relationships: int | None = None
    by_status: dict[str, int] | None = None
    completion_rate: float | None = None
    mentees_per_mentor: float | None = None
    mean_satisfaction: float | None = None
    goals_met_rate: float | None = None


def row(group: str, rels: list[Mentorship], label: str = "", min_size: int = MIN_GROUP_SIZE) -> MentoringRow:
    if len(rels) < min_size:
        return MentoringRow(group=group, label=label, suppressed=True)
    completed = sum(r.status is Status.COMPLETED for r in rels)
    closed = completed + sum(r.status is Status.ABANDONED for r in rels)
    mentors = {r.mentor_id for r in rels}
    mentees = {r.mentee_id for r in rels}
    surveys = [s for r in rels for s in r.surveys]
    return MentoringRow(
        group=group, label=label, suppressed=False, relationships=len(rels),
        by_status=dict(Counter(r.status.value for r in rels)),
        completion_rate=round(completed / closed, 3) if closed >= min_size else None,
        mentees_per_mentor=round(len(mentees) / len(mentors), 2) if len(mentors) >= min_size else None,
        mean_satisfaction=round(sum(s.satisfaction for s in surveys) / len(surveys), 2)
        if len(surveys) >= min_size else None,
        goals_met_rate=round(sum(s.goals_met for s in surveys) / len(surveys), 3) if len(surveys) >= min_size
        else None)


def _grouped(rels: list[Mentorship], key: Callable[[Mentorship], str], labels: dict[str, str],
             min_size: int) -> list[MentoringRow]:
    groups: dict[str, list[Mentorship]] = {}
    for r in rels:
        groups.setdefault(key(r), []).append(r)
    return [row(k, groups[k], labels.get(k, ""), min_size) for k in sorted(groups)]


def by_program(rels: list[Mentorship], names: dict[str, str], min_size: int = MIN_GROUP_SIZE) -> list[MentoringRow]:
    return _grouped(rels, lambda r: r.program_id, names, min_size)


def by_cohort(rels: list[Mentorship], min_size: int = MIN_GROUP_SIZE) -> list[MentoringRow]:
    return _grouped(rels, lambda r: str(r.mentee_cohort_year) if r.mentee_cohort_year is not None else "unknown", {},
                    min_size)
