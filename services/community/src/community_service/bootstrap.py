"""Composition root of the community service.

`bootstrap` wires use cases to whatever adapters it is given (fakes in unit tests); `build`
gives it the MongoDB ones and the leased help-request scheduler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from community_service.adapters import markdown_html, mentoring_repository
from community_service.adapters.mongo_outcomes import ANSWERS as OUTCOME_ANSWERS
from community_service.adapters.mongo_outcomes import INVITATIONS as OUTCOME_INVITATIONS
from community_service.adapters.mongo_repository import (
    HELPERS,
    INDEXES,
    JOBS,
    MEMBERS,
    REDEMPTIONS,
    SAVED_JOBS,
)
from community_service.adapters.unit_of_work import MongoCommunityUnitOfWork
from community_service.config import CommunitySettings
from community_service.domain.helping import Routing
from community_service.entrypoints.outcome_use_cases import outcome_use_cases
from community_service.entrypoints.subscribers import event_handlers
from community_service.entrypoints.use_cases import USE_CASES
from community_service.service_layer import benefits, helping, jobs, mentoring, outcomes
from community_service.service_layer.contract_mapping import to_contract
from community_service.service_layer.ports import CommunityUnitOfWork
from servicekit.bus import MessageBus, fresh, serve
from servicekit.data_export import export_handler
from servicekit.mongo import Document
from servicekit.periodic import Sweep
from servicekit.runtime import Infrastructure, ServiceParts
from servicekit.segments import AUDIENCE_INDEXES, MongoAudienceUnitOfWork, audience_handlers
from servicekit.signed_tokens import TokenSigner

DEV_LINK_SECRET = "dev-outcome-link-secret-change-me"

MENTORING_HANDLERS: list[Callable[..., Awaitable[Any]]] = [
    mentoring.create_program, mentoring.act_on_program, mentoring.list_programs, mentoring.get_program,
    mentoring.enrol, mentoring.suggest_matches, mentoring.confirm_match, mentoring.respond_to_match,
    mentoring.check_in, mentoring.close_mentorship, mentoring.list_mentorships, mentoring.get_mentorship,
    mentoring.mentoring_figures]


def export_queries(tenant: str, member_id: str) -> dict[str, Document]:
    return {MEMBERS: {"tenant": tenant, "_id": member_id}, HELPERS: {"tenant": tenant, "_id": member_id},
            "help_requests": {"tenant": tenant, "$or": [{"requester_id": member_id},
                                                        {"offers.helper_id": member_id}]},
            JOBS: {"tenant": tenant, "poster_key": f"alumnus:{member_id}"},
            SAVED_JOBS: {"tenant": tenant, "member_id": member_id},
            REDEMPTIONS: {"tenant": tenant, "member_id": member_id},
            OUTCOME_INVITATIONS: {"tenant": tenant, "member_id": member_id},
            OUTCOME_ANSWERS: {"tenant": tenant, "member_id": member_id},
            **mentoring_repository.export_queries(tenant, member_id)}


def routing_of(settings: CommunitySettings) -> Routing:
    return Routing(helpers_per_round=settings.help_helpers_per_round,
                   nudge_after=timedelta(days=settings.help_nudge_days),
                   reroute_after_nudge=timedelta(days=settings.help_reroute_days), max_rounds=settings.help_max_rounds,
                   expire_after=timedelta(days=settings.help_expire_days),
                   max_requests_per_week=settings.help_max_requests_per_week,
                   max_open_requests=settings.help_max_open_requests)


def bootstrap(uow_factory: Callable[[], CommunityUnitOfWork], routing: Routing | None = None,
              links: TokenSigner | None = None, home_country: str = "FR") -> ServiceParts:
    bus = MessageBus.wire([helping.set_helper_profile, helping.get_helper_profile, helping.request_help,
                           helping.get_help_request, helping.list_help_requests, helping.respond_to_help,
                           helping.mark_help_met, helping.report_help_outcome, helping.help_figures,
                           jobs.post_job, jobs.act_on_job, jobs.save_job, jobs.search_jobs, jobs.get_job,
                           jobs.list_jobs, benefits.publish_benefit, benefits.list_benefits,
                           benefits.redeem_benefit, *MENTORING_HANDLERS, outcomes.launch_outcome_survey,
                           outcomes.close_outcome_survey,
                           outcomes.list_outcome_surveys, outcomes.outcome_figures, outcomes.outcome_figures_csv,
                           outcomes.outcome_survey_links, outcomes.my_outcome_surveys, outcomes.check_outcome_link,
                           outcomes.answer_outcome_survey],
                          uow=fresh(uow_factory), routing=routing or Routing(), render=markdown_html.render,
                          links=links or TokenSigner(DEV_LINK_SECRET, timedelta(days=90), "outcome link"),
                          home_country=home_country)
    return ServiceParts(requests=serve([*USE_CASES, *outcome_use_cases(home_country)], bus),
                        events=event_handlers(uow_factory))


def build(infra: Infrastructure) -> ServiceParts:
    settings = infra.settings
    assert isinstance(settings, CommunitySettings)

    def uow() -> MongoCommunityUnitOfWork:
        return MongoCommunityUnitOfWork(infra.mongo, settings.mongo_db, to_contract, infra.wakeup)

    routing = routing_of(settings)
    parts = bootstrap(uow, routing, TokenSigner(settings.outcome_link_secret.get_secret_value(),
                                                timedelta(days=settings.outcome_link_days), "outcome link"),
                      settings.outcome_home_country)

    async def advance() -> None:
        await helping.advance_help_requests(uow, routing)

    # Leased: one replica at a time nudges and re-routes; each run catches up what came due.
    scheduler = Sweep("community", "help-scheduler", advance, settings.help_sweep_seconds, db=infra.db)

    async def expire() -> None:
        await jobs.expire_jobs(uow)

    # Leased too: an offer past its 30 days becomes `expired` (`job_expired`); the board already
    # hides it from the moment it passes its date, whatever the sweep's period.
    job_expiry = Sweep("community", "job-expiry", expire, settings.job_sweep_seconds, db=infra.db)
    parts.requests = [*parts.requests, export_handler("community", infra.db, export_queries)]
    def audience_uow() -> MongoAudienceUnitOfWork:  # names, email, cohorts, dues state (servicekit.segments)
        return MongoAudienceUnitOfWork(infra.mongo, settings.mongo_db, lambda _: None)

    parts.events = [*parts.events, *audience_handlers("community", audience_uow)]
    parts.indexes = [*INDEXES, *mentoring_repository.MENTORING_INDEXES, *AUDIENCE_INDEXES]
    parts.workers = [scheduler.run, job_expiry.run]
    parts.stoppers = [scheduler.stop, job_expiry.stop]
    return parts
