"""In-memory outcomes-survey repositories for `FakeCommunityUnitOfWork`."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from community_service.domain.outcomes import AlreadyAnswered, OutcomeAnswer, OutcomeSurvey, PanelMember

if TYPE_CHECKING:
    from .fakes import FakeCommunityUnitOfWork


class FakeOutcomeSurveys:
    def __init__(self, uow: FakeCommunityUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[tuple[str, str], OutcomeSurvey] = {}
        self.invitations: dict[tuple[str, str, str], PanelMember] = {}

    async def add(self, survey: OutcomeSurvey, panel: list[PanelMember]) -> None:
        self.rows[(survey.tenant, survey.id)] = survey
        for p in panel:
            self.invitations[(survey.tenant, survey.id, p.member_id)] = p
        self.uow.track(survey)

    async def get(self, tenant: str, survey_id: str) -> OutcomeSurvey | None:
        return copy.deepcopy(self.rows.get((tenant, survey_id)))

    async def save(self, survey: OutcomeSurvey) -> None:
        self.rows[(survey.tenant, survey.id)] = survey
        self.uow.track(survey)

    async def of_tenant(self, tenant: str, limit: int) -> list[OutcomeSurvey]:
        return [s for (t, _), s in self.rows.items() if t == tenant][:limit]

    async def invitee(self, tenant: str, survey_id: str, member_id: str) -> PanelMember | None:
        return self.invitations.get((tenant, survey_id, member_id))

    async def panel(self, tenant: str, survey_id: str, limit: int) -> list[PanelMember]:
        return sorted((p for (t, s, _), p in self.invitations.items() if t == tenant and s == survey_id),
                      key=lambda p: p.member_id)[:limit]

    async def invitations_of(self, tenant: str, member_id: str, limit: int) -> list[tuple[str, PanelMember]]:
        return [(s, p) for (t, s, m), p in self.invitations.items() if t == tenant and m == member_id][:limit]

    async def erase_member(self, tenant: str, member_id: str) -> int:
        gone = [k for k in self.invitations if k[0] == tenant and k[2] == member_id]
        for k in gone:
            del self.invitations[k]
        return len(gone)


class FakeOutcomeAnswers:
    def __init__(self, uow: FakeCommunityUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[tuple[str, str], OutcomeAnswer] = {}

    async def add(self, answer: OutcomeAnswer) -> None:
        if (answer.tenant, answer.id) in self.rows:
            raise AlreadyAnswered("duplicate")
        self.rows[(answer.tenant, answer.id)] = answer
        self.uow.track(answer)

    async def get(self, tenant: str, survey_id: str, member_id: str) -> OutcomeAnswer | None:
        return self.rows.get((tenant, OutcomeAnswer.key(survey_id, member_id)))

    async def of_survey(self, tenant: str, survey_id: str, limit: int) -> list[OutcomeAnswer]:
        return [a for (t, _), a in self.rows.items() if t == tenant and a.survey_id == survey_id][:limit]

    async def count(self, tenant: str, survey_id: str) -> int:
        return len(await self.of_survey(tenant, survey_id, 1_000_000))

    async def erase(self, tenant: str, member_id: str) -> int:
        gone = [k for k, a in self.rows.items() if k[0] == tenant and a.member_id == member_id]
        for k in gone:
            del self.rows[k]
        return len(gone)


class FakeOutcomePanel:
    """The alumni of some cohorts, from the fake's member rows (their first cohort)."""

    def __init__(self, uow: FakeCommunityUnitOfWork) -> None:
        self.uow = uow

    async def members_of(self, tenant: str, years: tuple[int, ...], programs: tuple[str, ...],
                         limit: int) -> list[PanelMember]:
        out = [PanelMember(row.member_id, row.program, row.cohort_year)
               for (t, _), (_, row) in sorted(self.uow.member_rows.items())
               if t == tenant and row.cohort_year in years and (not programs or row.program in programs)]
        return out[:limit]
