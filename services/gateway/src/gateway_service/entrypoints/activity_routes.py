"""Activity of the other services: donations (events moved to `events_routes`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from alumni_contracts import naming
from alumni_contracts.fundraising import commands as fr
from gateway_service.entrypoints.edge import (
    IdempotencyKey,
    Who,
    created,
    forward,
)

router = APIRouter()


@router.post("/api/v1/donations", status_code=201, tags=["fundraising"],
             response_model=fr.DonationRecordedResult)
async def record_donation(body: fr.RecordDonation, request: Request, who: Who,
                          idempotency_key: IdempotencyKey = None) -> JSONResponse:
    result = await forward(request, naming.command_subject("fundraising", fr.RECORD_DONATION), body, who,
                           idempotency_key)
    return created(result, f"/api/v1/donations/{result['donation_id']}")
