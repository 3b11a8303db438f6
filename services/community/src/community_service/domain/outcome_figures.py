"""Figures of an outcomes survey, per cohort and per program, with small-group suppression (pure).

Every figure is about a group of people; below `min_size` people it is not returned (null), on
every route and in the CSV. Rates follow the French schools' survey (CGE) conventions:

- response rate = answers / alumni of the group at launch (null when the group has fewer than
  `min_size` alumni);
- net employment rate = employed / (employed + seeking) — further study and "other" are out of the
  labour market; null under `min_size` answers in the denominator;
- median salary band = the lower median of the employed answers that gave a band (null under
  `min_size` of them); share abroad = employed working outside the home country / employed
  (null under `min_size` employed);
- top sectors: the three most frequent sectors of the employed, each listed only if at least
  `min_size` graduates work in it (a sector of two people in a class names them).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from community_service.domain.outcomes import SALARY_BANDS, OutcomeAnswer, OutcomeSurvey, Situation, cohort_key

MIN_GROUP_SIZE = 5


@dataclass(frozen=True)
class OutcomeRow:
    kind: str  # total / cohort / program
    group: str
    invited: int | None
    answers: int | None
    response_rate: float | None
    suppressed: bool  # the outcome figures (not the response rate) are suppressed
    employment_rate: float | None = None
    median_salary_band: str | None = None
    share_abroad: float | None = None
    further_study_rate: float | None = None
    top_sectors: tuple[tuple[str, int], ...] | None = None


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def row(kind: str, group: str, invited: int, answers: list[OutcomeAnswer], home_country: str,
        min_size: int = MIN_GROUP_SIZE) -> OutcomeRow:
    enough_invited = invited >= min_size
    rate = round(min(len(answers), invited) / invited, 3) if enough_invited and invited else None
    counted = len(answers) if enough_invited or len(answers) >= min_size else None
    if len(answers) < min_size:
        return OutcomeRow(kind, group, invited if enough_invited else None, counted, rate, True)
    by = Counter(a.situation for a in answers)
    employed = [a for a in answers if a.situation is Situation.EMPLOYED]
    labour = by[Situation.EMPLOYED] + by[Situation.SEEKING]
    bands = sorted(SALARY_BANDS.index(a.salary_band) for a in employed if a.salary_band in SALARY_BANDS)
    with_country = [a for a in employed if a.country]
    sectors: Counter[str] = Counter()
    label: dict[str, str] = {}
    for a in employed:
        if a.sector:
            sectors[_fold(a.sector)] += 1
            label.setdefault(_fold(a.sector), a.sector)
    return OutcomeRow(
        kind, group, invited if enough_invited else None, len(answers), rate, False,
        employment_rate=round(by[Situation.EMPLOYED] / labour, 3) if labour >= min_size else None,
        median_salary_band=SALARY_BANDS[bands[(len(bands) - 1) // 2]] if len(bands) >= min_size else None,
        share_abroad=round(sum(a.country != home_country for a in with_country) / len(with_country), 3)
        if len(with_country) >= min_size else None,
        further_study_rate=round(by[Situation.FURTHER_STUDY] / len(answers), 3),
        top_sectors=tuple((label[s], n) for s, n in sectors.most_common(3) if n >= min_size))


@dataclass(frozen=True)
class SurveyFigures:
    total: OutcomeRow
    by_cohort: list[OutcomeRow]
    by_program: list[OutcomeRow]


def figures(survey: OutcomeSurvey, answers: list[OutcomeAnswer], home_country: str,
            min_size: int = MIN_GROUP_SIZE) -> SurveyFigures:
    cohorts: dict[str, list[OutcomeAnswer]] = {k: [] for k in survey.invited}
    programs: dict[str, list[OutcomeAnswer]] = {k: [] for k in survey.invited_programs}
    for a in answers:
        cohorts.setdefault(cohort_key(a.program, a.cohort_year), []).append(a)
        programs.setdefault(a.program, []).append(a)
    return SurveyFigures(
        total=row("total", "all", sum(survey.invited.values()), answers, home_country, min_size),
        by_cohort=[row("cohort", k, survey.invited.get(k, 0), cohorts[k], home_country, min_size)
                   for k in sorted(cohorts)],
        by_program=[row("program", k or "unknown", survey.invited_programs.get(k, 0), programs[k], home_country,
                        min_size) for k in sorted(programs)])


CSV_HEADER = ("group_kind", "group", "invited", "answers", "response_rate", "suppressed", "net_employment_rate",
              "further_study_rate", "median_salary_band", "share_abroad", "top_sectors")


def csv_rows(f: SurveyFigures) -> list[tuple[str, ...]]:
    """The figures as CSV cells (the caller neutralises formula-like cells); empty = suppressed."""
    def cell(v: object) -> str:
        return "" if v is None else str(v)
    out: list[tuple[str, ...]] = [CSV_HEADER]
    for r in [f.total, *f.by_cohort, *f.by_program]:
        out.append((r.kind, r.group, cell(r.invited), cell(r.answers), cell(r.response_rate),
                    "true" if r.suppressed else "false", cell(r.employment_rate), cell(r.further_study_rate),
                    cell(r.median_salary_band), cell(r.share_abroad),
                    " | ".join(f"{s} ({n})" for s, n in r.top_sectors) if r.top_sectors else ""))
    return out
