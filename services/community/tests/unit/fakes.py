"""In-memory unit of work for community's unit tests (through `bootstrap`)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from community_service.adapters.mongo_repository import ERASED
from community_service.domain.benefits import Benefit
from community_service.domain.helping import Helper, HelpRequest
from community_service.domain.jobs import JobOffer, JobStatus
from community_service.service_layer.contract_mapping import to_contract
from servicekit.testing.fakes import FakeUnitOfWork

from .fakes_outcomes import FakeOutcomeAnswers, FakeOutcomePanel, FakeOutcomeSurveys
from .mentoring_fakes import FakeMentorships, FakeParticipants, FakePrograms


@dataclass(frozen=True)
class ProjectMember:
    """What the audience projection would hold after members' events (test input)."""

    tenant: str
    member_id: str
    version: int
    first_name: str
    last_name: str
    email: str | None
    locale: str
    cohorts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ProjectMembership:
    tenant: str
    member_id: str
    status: str
    at: datetime


@dataclass(frozen=True)
class Row:
    member_id: str
    first_name: str
    last_name: str
    email: str | None
    cohort_year: int | None
    program: str = ""


class FakeCommunityUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__(to_contract)
        self.member_rows: dict[tuple[str, str], tuple[int, Row]] = {}
        self.helper_rows: dict[tuple[str, str], Helper] = {}
        self.request_rows: dict[tuple[str, str], HelpRequest] = {}
        self.members = _Members(self)
        self.helpers = _Helpers(self)
        self.help_requests = _Requests(self)
        self.job_rows: dict[tuple[str, str], JobOffer] = {}
        self.saved: set[tuple[str, str, str]] = set()
        self.jobs = _Jobs(self)
        self.saved_jobs = _Saved(self)
        self.membership_rows: dict[tuple[str, str], ProjectMembership] = {}
        self.benefit_rows: dict[tuple[str, str], Benefit] = {}
        self.redemption_keys: set[tuple[str, str, str]] = set()
        self.memberships = _Memberships(self)
        self.benefits = _Benefits(self)
        self.programs = FakePrograms(self)
        self.participants = FakeParticipants()
        self.mentorships = FakeMentorships(self)
        self.outcome_surveys = FakeOutcomeSurveys(self)
        self.outcome_answers = FakeOutcomeAnswers(self)
        self.outcome_panel = FakeOutcomePanel(self)


class _Members:
    def __init__(self, uow: FakeCommunityUnitOfWork) -> None:
        self.uow = uow

    async def apply(self, m: ProjectMember) -> bool:
        current = self.uow.member_rows.get((m.tenant, m.member_id))
        if current is not None and current[0] >= m.version:
            return False
        year = m.cohorts[0][1] if m.cohorts else None
        program = m.cohorts[0][0] if m.cohorts else ""
        self.uow.member_rows[(m.tenant, m.member_id)] = (m.version, Row(m.member_id, m.first_name, m.last_name,
                                                                        m.email, year, program))
        return True

    async def get(self, tenant: str, member_id: str) -> Row | None:
        found = self.uow.member_rows.get((tenant, member_id))
        return None if found is None else found[1]

    async def erase(self, tenant: str, member_id: str) -> int:
        return int(self.uow.member_rows.pop((tenant, member_id), None) is not None)


class _Helpers:
    def __init__(self, uow: FakeCommunityUnitOfWork) -> None:
        self.uow = uow

    async def get(self, tenant: str, member_id: str) -> Helper | None:
        h = self.uow.helper_rows.get((tenant, member_id))
        return copy.deepcopy(h)

    async def save(self, helper: Helper) -> None:
        self.uow.helper_rows[(helper.tenant, helper.member_id)] = copy.deepcopy(helper)

    async def candidates(self, tenant: str, topic: str) -> list[Helper]:
        return [copy.deepcopy(h) for (t, _), h in self.uow.helper_rows.items()
                if t == tenant and (not topic or topic in h.topics)]

    async def erase(self, tenant: str, member_id: str) -> int:
        return int(self.uow.helper_rows.pop((tenant, member_id), None) is not None)


class _Requests:
    def __init__(self, uow: FakeCommunityUnitOfWork) -> None:
        self.uow = uow

    async def add(self, request: HelpRequest) -> None:
        self.uow.request_rows[(request.tenant, request.id)] = request
        self.uow.track(request)

    async def get(self, tenant: str, request_id: str) -> HelpRequest | None:
        return self.uow.request_rows.get((tenant, request_id))

    async def save(self, request: HelpRequest) -> None:
        self.uow.request_rows[(request.tenant, request.id)] = request
        self.uow.track(request)

    def _of(self, tenant: str) -> list[HelpRequest]:
        return sorted((r for (t, _), r in self.uow.request_rows.items() if t == tenant),
                      key=lambda r: r.created_at or datetime.min, reverse=True)

    async def of_requester(self, tenant: str, member_id: str, limit: int) -> list[HelpRequest]:
        return [r for r in self._of(tenant) if r.requester_id == member_id][:limit]

    async def offered_to(self, tenant: str, member_id: str, limit: int) -> list[HelpRequest]:
        return [r for r in self._of(tenant) if any(o.helper_id == member_id for o in r.offers)][:limit]

    async def of_tenant(self, tenant: str, status: str | None, limit: int) -> list[HelpRequest]:
        return [r for r in self._of(tenant) if status is None or r.status.value == status][:limit]

    async def due(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        return [(r.tenant, r.id) for r in self.uow.request_rows.values()
                if r.next_check_at is not None and r.next_check_at <= now][:limit]

    async def erase(self, tenant: str, member_id: str) -> dict[str, int]:
        n = 0
        for r in self._of(tenant):
            if r.requester_id == member_id:
                r.requester_id, r.summary, n = ERASED, "", n + 1
            for o in r.offers:
                if o.helper_id == member_id:
                    o.helper_id, n = ERASED, n + 1
            if r.helper_id == member_id:
                r.helper_id = ERASED
        return {"help_requests": n}


class _Jobs:
    def __init__(self, uow: FakeCommunityUnitOfWork) -> None:
        self.uow = uow

    async def add(self, job: JobOffer) -> None:
        self.uow.job_rows[(job.tenant, job.id)] = job
        self.uow.track(job)

    async def get(self, tenant: str, job_id: str) -> JobOffer | None:
        return self.uow.job_rows.get((tenant, job_id))

    async def save(self, job: JobOffer) -> None:
        self.uow.job_rows[(job.tenant, job.id)] = job
        self.uow.track(job)

    def _of(self, tenant: str) -> list[JobOffer]:
        return sorted((j for (t, _), j in self.uow.job_rows.items() if t == tenant),
                      key=lambda j: j.created_at or datetime.min, reverse=True)

    async def listed(self, tenant: str, now: datetime, limit: int) -> list[JobOffer]:
        return [j for j in self._of(tenant) if j.is_listed(now)][:limit]

    async def pending(self, tenant: str, limit: int) -> list[JobOffer]:
        return [j for j in self._of(tenant) if j.status is JobStatus.PENDING][:limit]

    async def of_poster(self, tenant: str, poster_key: str, limit: int) -> list[JobOffer]:
        return [j for j in self._of(tenant) if j.poster.key == poster_key][:limit]

    async def many(self, tenant: str, job_ids: list[str]) -> list[JobOffer]:
        return [j for j in self._of(tenant) if j.id in job_ids]

    async def due_expiry(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        return [(j.tenant, j.id) for j in self.uow.job_rows.values()
                if j.status is JobStatus.PUBLISHED and j.expires_at is not None and j.expires_at <= now][:limit]

    async def erase_poster(self, tenant: str, poster_key: str) -> int:
        n = 0
        for j in self._of(tenant):
            if j.poster.key == poster_key:
                j.status, n = JobStatus.WITHDRAWN, n + 1
        return n


class _Saved:
    def __init__(self, uow: FakeCommunityUnitOfWork) -> None:
        self.uow = uow

    async def set(self, tenant: str, member_id: str, job_id: str, saved: bool, now: datetime) -> bool:
        key = (tenant, member_id, job_id)
        if saved == (key in self.uow.saved):
            return False
        (self.uow.saved.add if saved else self.uow.saved.discard)(key)
        return True

    async def of_member(self, tenant: str, member_id: str, limit: int) -> list[str]:
        return [j for t, m, j in self.uow.saved if t == tenant and m == member_id][:limit]

    async def erase(self, tenant: str, member_id: str) -> int:
        gone = {k for k in self.uow.saved if k[0] == tenant and k[1] == member_id}
        self.uow.saved -= gone
        return len(gone)


class _Memberships:
    def __init__(self, uow: FakeCommunityUnitOfWork) -> None:
        self.uow = uow

    async def apply(self, m: ProjectMembership) -> bool:
        current = self.uow.membership_rows.get((m.tenant, m.member_id))
        if current is not None and current.at > m.at:
            return False
        self.uow.membership_rows[(m.tenant, m.member_id)] = m
        return True

    async def status(self, tenant: str, member_id: str) -> str | None:
        found = self.uow.membership_rows.get((tenant, member_id))
        return None if found is None else found.status

    async def erase(self, tenant: str, member_id: str) -> int:
        return int(self.uow.membership_rows.pop((tenant, member_id), None) is not None)


class _Benefits:
    def __init__(self, uow: FakeCommunityUnitOfWork) -> None:
        self.uow = uow

    async def add(self, benefit: Benefit) -> None:
        self.uow.benefit_rows[(benefit.tenant, benefit.id)] = benefit
        self.uow.track(benefit)

    async def get(self, tenant: str, benefit_id: str) -> Benefit | None:
        return self.uow.benefit_rows.get((tenant, benefit_id))

    async def save(self, benefit: Benefit) -> None:
        self.uow.track(benefit)

    async def of_tenant(self, tenant: str, limit: int) -> list[Benefit]:
        return [b for (t, _), b in self.uow.benefit_rows.items() if t == tenant][:limit]

    async def record_redemption(self, tenant: str, benefit_id: str, member_id: str, now: datetime) -> bool:
        key = (tenant, benefit_id, member_id)
        if key in self.uow.redemption_keys:
            return False
        self.uow.redemption_keys.add(key)
        return True

    async def redeemed_by(self, tenant: str, member_id: str) -> set[str]:
        return {b for t, b, m in self.uow.redemption_keys if t == tenant and m == member_id}

    async def erase_member(self, tenant: str, member_id: str) -> int:
        gone = {k for k in self.uow.redemption_keys if k[0] == tenant and k[2] == member_id}
        self.uow.redemption_keys -= gone
        return len(gone)
