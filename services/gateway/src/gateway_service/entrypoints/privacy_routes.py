"""GDPR rights: export assembled from every service, erasure and its status."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from alumni_contracts import naming, privacy
from alumni_contracts.members import commands as mb
from alumni_contracts.rpc import Principal
from gateway_service.entrypoints.edge import (
    IdempotencyKey,
    MemberId,
    Who,
    accepted,
    forward,
    own_member_id,
    require_staff,
)

router = APIRouter()


async def export(request: Request, who: Principal, member_id: str) -> dict[str, Any]:
    """Ask every service holding member data, concurrently; all must answer (an export
    missing a service would look complete and not be)."""
    query = privacy.ExportMemberData(member_id=member_id)
    answers = await asyncio.gather(*(
        forward(request, naming.query_subject(service, privacy.EXPORT_MEMBER_DATA), query, who)
        for service in privacy.DATA_HOLDERS))
    return {"member_id": member_id, "tenant": who.tenant, "generated_at": datetime.now(UTC).isoformat(),
            "services": {a["service"]: a["records"] for a in answers}}


@router.get("/api/v1/me/export", tags=["privacy"])
async def export_me(request: Request, who: Who) -> JSONResponse:
    """Everything the platform holds about you, from every service, as JSON (GDPR art. 15 and 20)."""
    body = await export(request, who, own_member_id(who))
    return JSONResponse(body, headers={"Content-Disposition": 'attachment; filename="my-data.json"'})


@router.get("/api/v1/members/{member_id}/export", tags=["privacy"])
async def export_member(member_id: MemberId, request: Request, who: Who) -> JSONResponse:
    """Staff: everything about one member (to answer an access request received by mail)."""
    require_staff(who)
    return JSONResponse(await export(request, who, member_id))


@router.post("/api/v1/me/erasure", status_code=202, tags=["privacy"], response_model=mb.ErasureStatus)
async def erase_me(request: Request, who: Who, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Erase your data everywhere (GDPR art. 17). Irreversible. Follow it at the returned
    status URL; accounting records (donations) are kept under a pseudonym, as the law requires."""
    result = await forward(request, naming.command_subject("members", mb.REQUEST_ERASURE), mb.RequestErasure(),
                           who, idempotency_key)
    return accepted(result)


@router.post("/api/v1/members/{member_id}/erasure", status_code=202, tags=["privacy"],
             response_model=mb.ErasureStatus)
async def erase_member(member_id: MemberId, request: Request, who: Who,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require_staff(who)
    result = await forward(request, naming.command_subject("members", mb.REQUEST_ERASURE),
                           mb.RequestErasure(member_id=member_id), who, idempotency_key)
    return accepted(result)


@router.get("/api/v1/erasures/{erasure_id}", tags=["privacy"], response_model=mb.ErasureStatus)
async def erasure_status(erasure_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    """Which services confirmed, the deadline, completion (staff; or the erased member)."""
    return await forward(request, naming.query_subject("members", mb.GET_ERASURE),
                         mb.GetErasure(erasure_id=erasure_id), who)
