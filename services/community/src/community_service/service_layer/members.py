"""Community's own projection of members (names, email, cohorts), and its erasure."""

from __future__ import annotations

from community_service.service_layer.commands import ProjectMember
from community_service.service_layer.ports import CommunityUnitOfWork
from servicekit.erasure import EraseMemberData


async def project_member(cmd: ProjectMember, uow: CommunityUnitOfWork) -> None:
    async with uow:
        await uow.members.apply(cmd)
        await uow.commit()


async def erase_member(uow: CommunityUnitOfWork, cmd: EraseMemberData) -> tuple[dict[str, int], dict[str, int]]:
    """The member's copy, helper profile and saved offers go; help requests keep dates and
    statuses (the outcome figures) under a pseudonym, without their free text; the member's own
    job offers are withdrawn and pseudonymised."""
    erased = {"members": await uow.members.erase(cmd.tenant, cmd.member_id),
              "helpers": await uow.helpers.erase(cmd.tenant, cmd.member_id),
              "saved_jobs": await uow.saved_jobs.erase(cmd.tenant, cmd.member_id),
              "memberships": await uow.memberships.erase(cmd.tenant, cmd.member_id),
              "benefit_redemptions": await uow.benefits.erase_member(cmd.tenant, cmd.member_id)}
    pseudonymised = {**await uow.help_requests.erase(cmd.tenant, cmd.member_id),
                     "jobs": await uow.jobs.erase_poster(cmd.tenant, f"alumnus:{cmd.member_id}")}
    return erased, pseudonymised
