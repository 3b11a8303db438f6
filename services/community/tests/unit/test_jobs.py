"""The job board through `bootstrap(...)`: partners and alumni post to the approval queue, a
manager approves (`job_posted`) or rejects, Markdown is sanitised, offers expire after 30 days
unless renewed (`job_expired`), search and saved offers, posting rate limit, recruiters see only
their own offers' figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from alumni_contracts.community import commands as cc
from alumni_contracts.community import v1
from alumni_contracts.rpc import Principal, Role
from community_service.domain.jobs import JobStateConflict, NotYourJob, TooManyJobs
from community_service.service_layer import jobs
from community_service.service_layer.jobs import JobNotFound

from .test_help_requests import MANAGER, World, alumnus

PARTNER = Principal(tenant="demo", subject="recruiter-acme", roles=frozenset({Role.PARTNER}))
RIVAL = Principal(tenant="demo", subject="recruiter-rival", roles=frozenset({Role.PARTNER}))


def offer(**overrides: Any) -> cc.PostJob:
    values: dict[str, Any] = dict(
        title="Analyste M&A", company="Acme Finance", city="Paris", sector="finance", contract="permanent",
        remote="hybrid", description_fr="**Missions** <script>alert(1)</script> [candidater](javascript:alert(1))",
        description_en="[Apply](https://jobs.example.org/1)", apply_url="https://jobs.example.org/1")
    values.update(overrides)
    return cc.PostJob(**values)


async def test_partner_posts_manager_approves_and_the_offer_is_listed_and_announced() -> None:
    w = World()
    posted = await w.call(cc.POST_JOB, offer(), PARTNER)
    assert posted.status is cc.JobStatus.PENDING and posted.mine
    assert "<script" not in posted.html_fr and "&lt;script&gt;" in posted.html_fr, "shown as text, never run"
    assert "href=\"javascript" not in posted.html_fr, "the unsafe link is no link"
    assert "<strong>Missions</strong>" in posted.html_fr
    assert 'rel="nofollow noopener noreferrer"' in posted.html_en
    await w.member("alum")
    assert (await w.call(cc.SEARCH_JOBS, cc.SearchJobs(), alumnus("alum"))).items == [], "not before approval"
    with pytest.raises(JobNotFound):
        await w.call(cc.GET_JOB, cc.JobRef(job_id=posted.job_id), alumnus("alum"))
    queue = await w.call(cc.JOB_REVIEW_QUEUE, cc.NoQuery(), MANAGER)
    assert [j.job_id for j in queue.items] == [posted.job_id]
    approved = await w.call(cc.REVIEW_JOB, cc.ReviewJob(job_id=posted.job_id, approve=True), MANAGER)
    assert approved.status is cc.JobStatus.PUBLISHED
    [event] = w.published(v1.JobPosted)
    assert (event.sector, event.city, event.contract, event.posted_by_partner) == ("finance", "Paris",
                                                                                  v1.ContractType.PERMANENT, True)
    found = await w.call(cc.SEARCH_JOBS, cc.SearchJobs(contract=v1.ContractType.PERMANENT, city="paris", q="m&a"),
                         alumnus("alum"))
    assert [j.job_id for j in found.items] == [posted.job_id]
    assert found.items[0].saves is None, "an alumnus does not see an offer's figures"
    assert (await w.call(cc.SEARCH_JOBS, cc.SearchJobs(contract=v1.ContractType.INTERNSHIP), alumnus("alum"))).items == []
    with pytest.raises(JobStateConflict):
        await w.call(cc.REVIEW_JOB, cc.ReviewJob(job_id=posted.job_id, approve=True), MANAGER)


async def test_saved_offers_count_once_and_only_the_poster_sees_the_figure() -> None:
    w = World()
    posted = await w.call(cc.POST_JOB, offer(), PARTNER)
    await w.call(cc.REVIEW_JOB, cc.ReviewJob(job_id=posted.job_id, approve=True), MANAGER)
    await w.member("alum")
    for _ in range(2):
        saved = await w.call(cc.SAVE_JOB, cc.SaveJob(job_id=posted.job_id), alumnus("alum"))
    assert saved.saved
    mine = await w.call(cc.SAVED_JOBS, cc.NoQuery(), alumnus("alum"))
    assert [j.job_id for j in mine.items] == [posted.job_id]
    own = await w.call(cc.MY_JOBS, cc.NoQuery(), PARTNER)
    assert own.items[0].saves == 1
    assert (await w.call(cc.MY_JOBS, cc.NoQuery(), RIVAL)).items == [], "another recruiter sees none of it"
    theirs = await w.call(cc.GET_JOB, cc.JobRef(job_id=posted.job_id), RIVAL)
    assert theirs.saves is None and not theirs.mine
    with pytest.raises(NotYourJob):
        await w.call(cc.WITHDRAW_JOB, cc.JobRef(job_id=posted.job_id), RIVAL)


async def test_offers_expire_after_30_days_unless_renewed() -> None:
    w = World()
    posted = await w.call(cc.POST_JOB, offer(), MANAGER)  # staff offers need no review
    assert posted.status is cc.JobStatus.PUBLISHED
    job = w.uow.job_rows[("demo", posted.job_id)]
    assert job.expires_at is not None
    later = job.expires_at + timedelta(minutes=1)
    assert await jobs.search_jobs(_search(), w.uow, clock=lambda: later) == [], "hidden at once past its date"
    assert await jobs.expire_jobs(lambda: w.uow, clock=lambda: later) == 1
    assert job.status.value == "expired"
    [expired] = w.published(v1.JobExpired)
    assert expired.job_id == posted.job_id
    assert await jobs.expire_jobs(lambda: w.uow, clock=lambda: later) == 0
    renewed = await w.call(cc.RENEW_JOB, cc.JobRef(job_id=posted.job_id), MANAGER)
    assert renewed.status is cc.JobStatus.PUBLISHED and len(w.published(v1.JobPosted)) == 2


def _search() -> Any:
    from community_service.service_layer.commands import SearchJobs
    return SearchJobs(tenant="demo", viewer_id=None, contract=None, remote=None, city="", sector="", q="", limit=50)


async def test_bad_offers_and_posting_rate_limit() -> None:
    with pytest.raises(ValueError, match="https"):
        offer(apply_url="http://jobs.example.org/1")
    with pytest.raises(ValueError, match="exactly one"):
        offer(apply_email="jobs@example.org")
    with pytest.raises(ValueError, match="description"):
        offer(description_fr="", description_en="")
    w = World()
    for _ in range(5):
        await w.call(cc.POST_JOB, offer(), PARTNER)
    with pytest.raises(TooManyJobs) as caught:
        await w.call(cc.POST_JOB, offer(), PARTNER)
    assert caught.value.status == 429
    rejected = await w.call(cc.REVIEW_JOB, cc.ReviewJob(job_id=(await w.call(cc.MY_JOBS, cc.NoQuery(), PARTNER))
                                                         .items[0].job_id, approve=False, reason="Hors charte"), MANAGER)
    assert rejected.status is cc.JobStatus.REJECTED and rejected.review_reason == "Hors charte"
    assert Role.PARTNER not in w.handlers[cc.REVIEW_JOB].roles


async def test_other_tenants_offers_are_invisible() -> None:
    w = World()
    posted = await w.call(cc.POST_JOB, offer(), MANAGER)
    other = Principal(tenant="other", subject="m2", roles=frozenset({Role.MANAGER}))
    with pytest.raises(JobNotFound):
        await w.call(cc.GET_JOB, cc.JobRef(job_id=posted.job_id), other)
    assert (await w.call(cc.SEARCH_JOBS, cc.SearchJobs(), other)).items == []
