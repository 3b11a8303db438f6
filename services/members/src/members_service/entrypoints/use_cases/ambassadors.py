"""Use cases of ambassadors: members the office appoints to welcome cohorts, programs, cities."""

from __future__ import annotations

from typing import Any

from alumni_contracts.members import commands as c
from alumni_contracts.rpc import STAFF
from members_service.domain.ambassador import AmbassadorScope
from members_service.domain.profile import Cohort
from members_service.entrypoints import views
from members_service.entrypoints.use_cases.common import actor, command
from members_service.service_layer import ambassadors
from servicekit.bus import Caller, UseCase


def _appoint(req: c.AppointAmbassador, who: Caller) -> ambassadors.AppointAmbassador:
    scope = AmbassadorScope(tuple(Cohort(k.program, k.graduation_year) for k in req.cohorts),
                            tuple(req.programs), tuple(req.cities))
    return ambassadors.AppointAmbassador(who.tenant, req.member_id, actor(who), scope)


USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=command(c.APPOINT_AMBASSADOR), request=c.AppointAmbassador, roles=STAFF, idempotent=True,
            message=_appoint, reply=views.member_view, description="Appoint an ambassador, or change their scope."),
    UseCase(subject=command(c.REVOKE_AMBASSADOR), request=c.RevokeAmbassador, roles=STAFF, idempotent=True,
            message=lambda req, who: ambassadors.RevokeAmbassador(who.tenant, req.member_id, actor(who)),
            reply=views.member_view, description="Revoke an ambassador."),
]
