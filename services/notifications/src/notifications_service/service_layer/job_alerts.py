"""Job alerts (issue 14 item 4): a member's alert criteria, and the announcement of an approved
offer (`community.job_posted`) to the alumni whose alert matches.

`job_posted` is published when a manager approves an offer (or staff post one, published at
once) and again when an offer is renewed: pending, rejected and withdrawn offers never reach
notifications. The delivery key is (offer, member) — `job_alert-<job id>-<12 hex of the member>`
— so a renewal, a redelivery or a fan-out resumed after a crash alerts nobody twice.

An alert is a marketing message of the `jobs` category: it goes out only with the member's
`newsletter` consent and on the channels their `jobs` preference allows (`queue_message`).
The fan-out reads the candidates of the offer page by page (by member id) and queues each page
in its own transaction, so a huge alert list never makes one huge transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from notifications_service.domain.job_alerts import JobAlert, PostedJob, matches
from notifications_service.domain.preferences import CONSENT_PURPOSE, Category, Channel, Preferences
from notifications_service.service_layer.mailer import Composer, Message, queue_message
from notifications_service.service_layer.ports import NotificationsUnitOfWork
from servicekit import context

KIND = "job_alert"
PAGE = 200
CONTRACT_LABELS = {
    "fr": {"permanent": "CDI", "fixed_term": "CDD", "internship": "Stage", "apprenticeship": "Alternance",
           "freelance": "Freelance", "vie": "VIE"},
    "en": {"permanent": "Permanent", "fixed_term": "Fixed-term", "internship": "Internship",
           "apprenticeship": "Apprenticeship", "freelance": "Freelance", "vie": "VIE (international volunteering)"},
}


def utcnow() -> datetime:
    return datetime.now(UTC)


JobAlertsUnitOfWork = NotificationsUnitOfWork


def alert_key(job_id: str, member_id: str) -> str:
    return f"{KIND}-{job_id}-{hashlib.sha256(member_id.encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class GetJobAlerts:
    tenant: str
    member_id: str


@dataclass(frozen=True)
class SetJobAlerts:
    tenant: str
    member_id: str
    enabled: bool
    sectors: list[str]
    cities: list[str]
    contracts: list[str]


@dataclass(frozen=True)
class JobAlertsView:
    alert: JobAlert
    jobs_email: bool
    jobs_in_app: bool
    consent: bool


async def _view(uow: JobAlertsUnitOfWork, tenant: str, member_id: str) -> JobAlertsView:
    alert = await uow.job_alerts.get(tenant, member_id) or JobAlert(id=member_id, tenant=tenant, member_id=member_id)
    prefs = await uow.preferences.get(tenant, member_id)
    table = (prefs.preferences if prefs else Preferences())
    contact = await uow.contacts.get(tenant, member_id) or {}
    consent = (contact.get("consents") or {}).get(CONSENT_PURPOSE[Category.JOBS]) is True
    return JobAlertsView(alert, table.allows(Category.JOBS, Channel.EMAIL), table.allows(Category.JOBS, Channel.IN_APP),
                         consent)


async def get_job_alerts(query: GetJobAlerts, uow: JobAlertsUnitOfWork) -> JobAlertsView:
    async with uow:
        return await _view(uow, query.tenant, query.member_id)


async def set_job_alerts(cmd: SetJobAlerts, uow: JobAlertsUnitOfWork,
                         clock: Callable[[], datetime] = utcnow) -> JobAlertsView:
    async with uow:
        alert = await uow.job_alerts.get(cmd.tenant, cmd.member_id) or JobAlert(
            id=cmd.member_id, tenant=cmd.tenant, member_id=cmd.member_id)
        alert.set(cmd.enabled, cmd.sectors, cmd.cities, cmd.contracts, clock())
        await uow.job_alerts.save(alert)
        await uow.commit()
        return await _view(uow, cmd.tenant, cmd.member_id)


@dataclass(frozen=True)
class AlertJob:
    """`job_posted`: announce the offer to the alumni whose alert matches."""

    tenant: str
    job: PostedJob
    title: str
    company: str


async def alert_job(cmd: AlertJob, uow_factory: Callable[[], JobAlertsUnitOfWork], composer: Composer,
                    job_url: Callable[[str, str], str], page: int = PAGE) -> int:
    """Queue one alert per matching member (once per (offer, member)); returns how many were
    queued now (0 on a redelivery). Each page commits on its own *without* the event's inbox
    row; one last commit records it, so a crash half-way leaves the event unprocessed and its
    redelivery resumes (the delivery keys skip who was already alerted)."""
    queued, after = 0, None
    event_context = context.current()
    with context.handling(replace(event_context, inbox=None)):
        while True:
            uow = uow_factory()
            async with uow:
                found = await uow.job_alerts.candidates(cmd.tenant, cmd.job, after, page)
                for alert in found:
                    if not matches(alert, cmd.job):
                        continue
                    outcome = await queue_message(Message(
                        tenant=cmd.tenant, member_id=alert.member_id, kind=KIND, category=Category.JOBS,
                        marketing=True, cause=cmd.job.job_id, per_member=True, about=cmd.job.job_id,
                        key=alert_key(cmd.job.job_id, alert.member_id), values=_values(cmd, job_url)), uow, composer)
                    queued += bool(outcome)
                await uow.commit()
            if len(found) < page:
                break
            after = found[-1].member_id
    uow = uow_factory()
    async with uow:
        await uow.commit()  # the event's inbox row (in an event's context): handled
    return queued


def _values(cmd: AlertJob, job_url: Callable[[str, str], str]) -> dict[str, Any]:
    # The template picks the label in its language: both are given.
    return {"title": cmd.title, "company": cmd.company, "city": cmd.job.city, "sector": cmd.job.sector,
            "contract": cmd.job.contract, "job_url": job_url(cmd.tenant, cmd.job.job_id),
            "contract_labels": {lang: labels.get(cmd.job.contract, cmd.job.contract)
                                for lang, labels in CONTRACT_LABELS.items()}}


HANDLERS: list[Callable[..., Awaitable[Any]]] = [get_job_alerts, set_job_alerts]
