"""Use cases of erasure (GDPR art. 17); the export is servicekit's (`data_export`)."""

from __future__ import annotations

from typing import Any

from alumni_contracts.members import commands as c
from alumni_contracts.privacy import ERASURE_DEADLINE_DAYS
from alumni_contracts.rpc import ALUMNI_AND_STAFF
from alumni_contracts.subscriptions import erasure_confirmers
from members_service.domain.erasure import Erasure
from members_service.entrypoints import views
from members_service.entrypoints.use_cases.common import actor, command, query
from members_service.service_layer import privacy
from servicekit.authz import Ownership
from servicekit.bus import UseCase
from servicekit.domain import utcnow


def _status(erasure: Erasure) -> c.ErasureStatus:
    return views.erasure_status(erasure, utcnow())


USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=command(c.REQUEST_ERASURE), request=c.RequestErasure, roles=ALUMNI_AND_STAFF,
            ownership=Ownership.SELF, idempotent=True,
            message=lambda req, who: privacy.RequestErasure(tenant=who.tenant, member_id=who.target, actor=actor(who),
                                                        confirmers=erasure_confirmers(),
                                                        deadline_days=ERASURE_DEADLINE_DAYS),
            reply=_status, description="Erase a member everywhere (GDPR art. 17); returns the status."),
    UseCase(subject=query(c.GET_ERASURE), request=c.GetErasure, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: privacy.GetErasure(who.tenant, req.erasure_id, actor(who)), reply=_status,
            description="Status of an erasure: which services confirmed, deadline, completion."),
]
