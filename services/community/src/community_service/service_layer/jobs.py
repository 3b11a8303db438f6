"""Use cases of the job and internship board."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from community_service.domain.jobs import JobOffer, NotYourJob, Poster, check_post_rate, fold
from community_service.service_layer import commands as c
from community_service.service_layer.ports import CommunityUnitOfWork
from servicekit.domain import NotFound, utcnow

Clock = Callable[[], datetime]
Renderer = Callable[[str], str]
MAX_POSTS_PER_DAY = 5


class JobNotFound(NotFound):
    code = "job-not-found"
    title = "Job offer not found"


@dataclass(frozen=True)
class JobView:
    job: JobOffer
    saved: bool
    mine: bool
    staff: bool


def _poster(kind: str | None, poster_id: str | None) -> Poster | None:
    return Poster(kind, poster_id) if kind and poster_id else None


async def post_job(cmd: c.PostJob, uow: CommunityUnitOfWork, render: Renderer, clock: Clock = utcnow) -> JobView:
    now = clock()
    poster = Poster(cmd.poster_kind, cmd.poster_id)
    async with uow:
        if poster.kind != "staff":  # no spam through the board
            recent = await uow.jobs.of_poster(cmd.tenant, poster.key, 20)
            check_post_rate([j.created_at for j in recent if j.created_at], now, MAX_POSTS_PER_DAY)
        job = JobOffer.post(tenant=cmd.tenant, poster=poster, title=cmd.title, company=cmd.company, city=cmd.city,
                            country=cmd.country, sector=cmd.sector, contract=cmd.contract, remote=cmd.remote,
                            description_fr=cmd.description_fr, description_en=cmd.description_en,
                            html_fr=render(cmd.description_fr), html_en=render(cmd.description_en),
                            apply_url=cmd.apply_url, apply_email=cmd.apply_email, now=now)
        await uow.jobs.add(job)
        await uow.commit()
    return JobView(job, False, True, poster.kind == "staff")


async def act_on_job(cmd: c.JobAction, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> JobView:
    now = clock()
    poster = _poster(cmd.poster_kind, cmd.poster_id)
    async with uow:
        job = await uow.jobs.get(cmd.tenant, cmd.job_id)
        if job is None or not (job.is_listed(now) or job.may_manage(poster, cmd.staff)):
            raise JobNotFound(cmd.job_id)
        if cmd.action in ("approve", "reject"):
            if not cmd.staff:
                raise NotYourJob("managers review offers")
            job.review(cmd.action == "approve", cmd.reason, now)
        elif cmd.action == "renew":
            job.renew(poster, cmd.staff, now)
        else:
            job.withdraw(poster, cmd.staff)
        await uow.jobs.save(job)
        await uow.commit()
    return JobView(job, False, job.may_manage(poster, False), cmd.staff)


async def save_job(cmd: c.SaveJob, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> JobView:
    now = clock()
    async with uow:
        job = await uow.jobs.get(cmd.tenant, cmd.job_id)
        if job is None or (cmd.saved and not job.is_listed(now)):  # unsaving an expired one is fine
            raise JobNotFound(cmd.job_id)
        if await uow.saved_jobs.set(cmd.tenant, cmd.member_id, cmd.job_id, cmd.saved, now):
            job.saves = max(0, job.saves + (1 if cmd.saved else -1))
            await uow.jobs.save(job)
        await uow.commit()
    return JobView(job, cmd.saved, False, False)


async def search_jobs(query: c.SearchJobs, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> list[JobView]:
    """Listed offers only (published, not past their expiry — an expired offer disappears at
    once, before the sweep records it), newest first, filtered."""
    now = clock()
    words = fold(query.q).split()
    async with uow:
        listed = await uow.jobs.listed(query.tenant, now, 2000)
        saved = set(await uow.saved_jobs.of_member(query.tenant, query.viewer_id, 500)) if query.viewer_id else set()
    found = [j for j in listed if j.matches(contract=query.contract, remote=query.remote, city=query.city,
                                            sector=query.sector, words=words)]
    return [JobView(j, j.id in saved, False, False) for j in found[:query.limit]]


async def get_job(query: c.GetJob, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> JobView:
    poster = _poster(query.poster_kind, query.poster_id)
    async with uow:
        job = await uow.jobs.get(query.tenant, query.job_id)
        if job is None or not (job.is_listed(clock()) or job.may_manage(poster, query.staff)):
            raise JobNotFound(query.job_id)
        saved = query.viewer_id is not None and job.id in set(
            await uow.saved_jobs.of_member(query.tenant, query.viewer_id, 500))
    return JobView(job, saved, job.may_manage(poster, False), query.staff)


async def list_jobs(query: c.ListJobs, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> list[JobView]:
    poster = _poster(query.poster_kind, query.poster_id)
    now = clock()
    async with uow:
        if query.which == "review":
            if not query.staff:
                raise NotYourJob("managers review offers")
            return [JobView(j, False, False, True) for j in await uow.jobs.pending(query.tenant, 200)]
        if query.which == "saved":
            if query.viewer_id is None:
                return []
            ids = await uow.saved_jobs.of_member(query.tenant, query.viewer_id, 500)
            return [JobView(j, True, False, False) for j in await uow.jobs.many(query.tenant, ids) if j.is_listed(now)]
        if poster is None:
            return []
        return [JobView(j, False, True, query.staff) for j in await uow.jobs.of_poster(query.tenant, poster.key, 200)]


async def expire_jobs(uow_factory: Callable[[], CommunityUnitOfWork], clock: Clock = utcnow, batch: int = 500) -> int:
    """The expiry sweep (leased): each offer past its date → `expired` + `job_expired`."""
    now = clock()
    async with uow_factory() as uow:
        due = await uow.jobs.due_expiry(now, batch)
    expired = 0
    for tenant, job_id in due:
        async with uow_factory() as uow:
            job = await uow.jobs.get(tenant, job_id)
            if job is not None and job.expire(now):
                await uow.jobs.save(job)
                await uow.commit()
                expired += 1
    return expired
