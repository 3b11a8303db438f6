"""Use cases of job alerts (issue 14 item 4): a member reads and sets their alert criteria
(`/api/v1/me/job-alerts`); and the `community.job_posted` subscriber that announces an
approved offer to the alumni whose alert matches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alumni_contracts import naming
from alumni_contracts.community.v1 import ContractType, JobPosted
from alumni_contracts.envelope import CloudEvent
from alumni_contracts.notifications import alerts as a
from alumni_contracts.subscriptions import Subscription, subscription
from notifications_service.domain.job_alerts import PostedJob
from notifications_service.entrypoints.use_cases import ALUMNI
from notifications_service.service_layer import job_alerts as ja
from notifications_service.service_layer.mailer import Composer
from servicekit.authz import Ownership
from servicekit.bus import UseCase
from servicekit.messaging import EventHandler


def _out(view: ja.JobAlertsView) -> a.JobAlertsOut:
    return a.JobAlertsOut(enabled=view.alert.enabled, sectors=view.alert.sectors, cities=view.alert.cities,
                          contracts=[ContractType(c) for c in view.alert.contracts], jobs_email=view.jobs_email,
                          jobs_in_app=view.jobs_in_app, consent=view.consent)


USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=naming.query_subject("notifications", a.GET_MY_JOB_ALERTS), request=a.GetMyJobAlerts,
            roles=ALUMNI, ownership=Ownership.SELF, member_field="-",
            message=lambda req, who: ja.GetJobAlerts(who.tenant, who.target), reply=_out,
            description="Your job alert: sectors, cities, contract types (empty: any), on or off."),
    UseCase(subject=naming.command_subject("notifications", a.SET_MY_JOB_ALERTS), request=a.SetMyJobAlerts,
            roles=ALUMNI, ownership=Ownership.SELF, member_field="-", idempotent=True,
            message=lambda req, who: ja.SetJobAlerts(who.tenant, who.target, req.enabled, list(req.sectors),
                                                     list(req.cities), [c.value for c in req.contracts]),
            reply=_out, description="Set your job alert: approved offers that match are sent to you once each."),
]


def job_posted_handler(uow_factory: Callable[[], ja.JobAlertsUnitOfWork], composer: Composer,
                       job_url: Callable[[str, str], str], queued: Callable[[], None]
                       ) -> tuple[Subscription, EventHandler]:
    async def on_job_posted(event: CloudEvent[Any]) -> None:
        data: JobPosted = event.data
        job = PostedJob(job_id=data.job_id, sector=data.sector, city=data.city, contract=data.contract.value)
        if await ja.alert_job(ja.AlertJob(event.tenant, job, data.title, data.company), uow_factory, composer,
                              job_url):
            queued()

    return subscription("notifications", JobPosted), on_job_posted
