"""Community's part of a GDPR erasure. Its copy of the member (names, email, cohorts, dues
state) is the shared audience projection, which `scrub_member` deletes in the same transaction."""

from __future__ import annotations

from community_service.service_layer import mentoring
from community_service.service_layer.ports import CommunityUnitOfWork
from servicekit.erasure import EraseMemberData


async def erase_member(uow: CommunityUnitOfWork, cmd: EraseMemberData) -> tuple[dict[str, int], dict[str, int]]:
    """The helper profile, saved offers and benefit redemptions go; help requests keep dates and
    statuses (the outcome figures) under a pseudonym, without their free text; the member's own
    job offers are withdrawn and pseudonymised; mentoring enrolments go, mentorships are
    pseudonymised (`service_layer.mentoring.erase_member`)."""
    erased = {"helpers": await uow.helpers.erase(cmd.tenant, cmd.member_id),
              "saved_jobs": await uow.saved_jobs.erase(cmd.tenant, cmd.member_id),
              "benefit_redemptions": await uow.benefits.erase_member(cmd.tenant, cmd.member_id),
              # outcomes-survey answers are personal data: deleted (the figures lose one answer)
              "outcome_answers": await uow.outcome_answers.erase(cmd.tenant, cmd.member_id),
              "outcome_invitations": await uow.outcome_surveys.erase_member(cmd.tenant, cmd.member_id)}
    pseudonymised = {**await uow.help_requests.erase(cmd.tenant, cmd.member_id),
                     "jobs": await uow.jobs.erase_poster(cmd.tenant, f"alumnus:{cmd.member_id}")}
    mentoring_erased, mentoring_pseudonymised = await mentoring.erase_member(uow, cmd.tenant, cmd.member_id)
    return {**erased, **mentoring_erased}, {**pseudonymised, **mentoring_pseudonymised}
