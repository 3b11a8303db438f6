"""Dues KPIs by cohort and program (members' `membership_kpis`), and their rebuild (staff)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from alumni_contracts import naming
from alumni_contracts.members import kpis as mk
from gateway_service.entrypoints.edge import IdempotencyKey, Who, forward, require_staff

router = APIRouter()
KPIS = "/api/v1/membership-kpis"


@router.get(KPIS, tags=["membership"], response_model=mk.MembershipKpis)
async def membership_kpis(request: Request, who: Who, query: Annotated[mk.MembershipKpisQuery, Query()]
                          ) -> dict[str, Any]:
    """Dues KPIs by cohort (`by=cohort`) or program (`by=program`), staff only: participation,
    renewal, new-graduate conversion, lifetime share, reactivation, net revenue by plan and
    month. Definitions: README, "Dues KPIs"."""
    require_staff(who)
    return await forward(request, naming.query_subject("members", mk.MEMBERSHIP_KPIS), query, who)


@router.post(KPIS + "/rebuild", tags=["membership"], response_model=mk.MembershipKpisRebuilt)
async def rebuild_membership_kpis(request: Request, who: Who, idempotency_key: IdempotencyKey = None
                                  ) -> dict[str, Any]:
    """Recompute the tenant's dues KPIs from the register and the stored memberships (staff)."""
    require_staff(who)
    return await forward(request, naming.command_subject("members", mk.REBUILD_MEMBERSHIP_KPIS),
                         mk.RebuildMembershipKpis(), who, idempotency_key)
