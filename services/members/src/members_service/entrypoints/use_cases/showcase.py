"""Use cases of the showcase: members' published stories, and the public page."""

from __future__ import annotations

from typing import Any

from alumni_contracts.members import commands as c
from alumni_contracts.rpc import ALUMNI_AND_STAFF, EVERYONE
from members_service.domain.showcase import ShowcaseChannel, ShowcaseProfile
from members_service.entrypoints import views
from members_service.entrypoints.use_cases.common import actor, command, query
from members_service.service_layer import showcase as showcase_service
from servicekit.authz import Ownership
from servicekit.bus import Caller, UseCase


def _set(req: c.SetShowcase, who: Caller) -> showcase_service.SetShowcase:
    showcase = ShowcaseProfile(quote=req.quote, story=req.story, photo_url=str(req.photo_url) if req.photo_url else None,
                               employer=req.employer, job_title=req.job_title)
    return showcase_service.SetShowcase(who.tenant, who.target, actor(who), showcase)


USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=command(c.SET_SHOWCASE), request=c.SetShowcase, roles=ALUMNI_AND_STAFF, ownership=Ownership.SELF,
            idempotent=True, message=_set, reply=views.member_view,
            description="Write one's showcase text (published only under a showcase consent)."),
    UseCase(subject=command("remove_showcase"), request=c.RemoveShowcase, roles=ALUMNI_AND_STAFF,
            ownership=Ownership.SELF, idempotent=True,
            message=lambda req, who: showcase_service.SetShowcase(who.tenant, who.target, actor(who), None),
            reply=views.member_view, description="Remove one's showcase text: unpublished at once."),
    UseCase(subject=query(c.PUBLIC_SHOWCASE), request=c.PublicShowcaseQuery, roles=EVERYONE,
            message=lambda req, who: showcase_service.PublicShowcaseQuery(who.tenant, ShowcaseChannel(req.channel.value)),
            reply=lambda entries: c.ShowcasePage(items=[views.showcase_entry(e) for e in entries]),
            description="Published showcase entries of one channel, consented fields only (public)."),
]
