"""Members: registration, profiles, consents, the directory and the sector list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from alumni_contracts import naming
from alumni_contracts.common import Purpose
from alumni_contracts.members import commands as mb
from gateway_service.entrypoints.edge import (
    IdempotencyKey,
    MemberId,
    Who,
    created,
    forward,
    own_member_id,
    require_staff,
)

router = APIRouter()


@router.post("/api/v1/members", status_code=201, tags=["members"], response_model=mb.MemberRegisteredResult,
             responses={409: {"description": "Email already registered"}, 422: {"description": "Invalid"}})
async def register_member(body: mb.RegisterMember, request: Request, who: Who,
                          idempotency_key: IdempotencyKey = None) -> JSONResponse:
    result = await forward(request, naming.command_subject("members", mb.REGISTER_MEMBER), body, who,
                           idempotency_key)
    return created(result, f"/api/v1/members/{result['member_id']}")


@router.get("/api/v1/members", tags=["members"], response_model=mb.MemberPage)
async def list_members(request: Request, who: Who, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       after: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
                       q: Annotated[str | None, Query(max_length=100, description=(
                           "Name prefix, accents and case ignored; from 3 characters on also first names "
                           "and email addresses."))] = None,
                       order: mb.MemberOrder = mb.MemberOrder.OLDEST) -> dict[str, Any]:
    """Staff list of the tenant's members in registration order, a page at a time: pass the
    `next_cursor` of a page as `after` (with the same `q` and `order`) for the next one."""
    return await forward(request, naming.query_subject("members", mb.LIST_MEMBERS),
                         mb.ListMembers(limit=limit, after=after, q=q, order=order), who)


@router.get("/api/v1/members/{member_id}", tags=["members"], response_model=mb.MemberView)
async def get_member(member_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, naming.query_subject("members", mb.GET_MEMBER),
                         mb.GetMember(member_id=member_id), who)


# -- profiles ------------------------------------------------------------------------

@router.get("/api/v1/me", tags=["profile"], response_model=mb.MemberView)
async def get_me(request: Request, who: Who) -> dict[str, Any]:
    """Your own full record (alumni accounts linked to a member)."""
    return await forward(request, naming.query_subject("members", mb.GET_MEMBER),
                         mb.GetMember(member_id=own_member_id(who)), who)


@router.patch("/api/v1/me", tags=["profile"], response_model=mb.MemberView,
              responses={409: {"description": "Stale version: reload and retry"}})
async def update_me(body: mb.UpdateMyProfile, request: Request, who: Who,
                    idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Edit your profile and choose who sees each section. Send the `version` you read."""
    return await forward(request, naming.command_subject("members", mb.UPDATE_MY_PROFILE), body, who,
                         idempotency_key)


@router.patch("/api/v1/members/{member_id}", tags=["members"], response_model=mb.MemberView,
              responses={409: {"description": "Stale version: reload and retry"}})
async def update_member(member_id: MemberId, body: mb.StaffProfilePatch, request: Request, who: Who,
                        idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Staff edit any member of the tenant, including data-hygiene flags."""
    command = mb.UpdateMember(member_id=member_id, **body.model_dump(exclude_unset=True))
    return await forward(request, naming.command_subject("members", mb.UPDATE_MEMBER), command, who,
                         idempotency_key)


@router.post("/api/v1/members/{member_id}/deceased-suggestion", status_code=202, tags=["members"])
async def suggest_deceased(member_id: MemberId, request: Request, who: Who,
                           idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Anyone may suggest that a member passed away; a manager confirms."""
    return await forward(request, naming.command_subject("members", mb.SUGGEST_DECEASED),
                         mb.SuggestDeceased(member_id=member_id), who, idempotency_key)


@router.post("/api/v1/members/{member_id}/deceased-confirmation", tags=["members"], response_model=mb.MemberView)
async def confirm_deceased(member_id: MemberId, request: Request, who: Who,
                           idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    return await forward(request, naming.command_subject("members", mb.CONFIRM_DECEASED),
                         mb.ConfirmDeceased(member_id=member_id), who, idempotency_key)


# -- consents ------------------------------------------------------------------------

@router.get("/api/v1/me/consents", tags=["consents"], response_model=mb.ConsentLedger)
async def my_consents(request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, naming.query_subject("members", mb.GET_CONSENTS), mb.GetConsents(), who)


@router.put("/api/v1/me/consents/{purpose}", tags=["consents"], response_model=mb.ConsentLedger)
async def set_my_consent(purpose: Purpose, body: mb.ConsentChoice, request: Request, who: Who,
                         idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Grant (`granted: true`) or withdraw (`false`) one purpose; every call is kept in the ledger."""
    command = mb.SetConsent(purpose=purpose, **body.model_dump())
    return await forward(request, naming.command_subject("members", mb.SET_CONSENT), command, who,
                         idempotency_key)


@router.get("/api/v1/members/{member_id}/consents", tags=["consents"], response_model=mb.ConsentLedger)
async def member_consents(member_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    require_staff(who)
    return await forward(request, naming.query_subject("members", mb.GET_CONSENTS),
                         mb.GetConsents(member_id=member_id), who)


@router.put("/api/v1/members/{member_id}/consents/{purpose}", tags=["consents"], response_model=mb.ConsentLedger)
async def set_member_consent(member_id: MemberId, purpose: Purpose, body: mb.ConsentChoice, request: Request,
                             who: Who, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Staff record a consent given outside the platform (paper form, phone)."""
    require_staff(who)
    command = mb.SetConsent(purpose=purpose, member_id=member_id, **body.model_dump())
    return await forward(request, naming.command_subject("members", mb.SET_CONSENT), command, who,
                         idempotency_key)


# -- directory -----------------------------------------------------------------------

@router.get("/api/v1/directory", tags=["directory"], response_model=mb.DirectoryPage,
            response_model_exclude_none=True)
async def search_directory(request: Request, who: Who, query: Annotated[mb.SearchDirectory, Query()]
                           ) -> dict[str, Any]:
    """Alumni who opted in, with only the fields each chose to show you."""
    return await forward(request, naming.query_subject("members", mb.SEARCH_DIRECTORY), query, who)


@router.get("/api/v1/sectors", tags=["directory"], response_model=mb.SectorListOut)
async def get_sectors(request: Request, who: Who) -> dict[str, Any]:
    """The tenant's sector list, for career histories and the directory filter."""
    return await forward(request, naming.query_subject("members", mb.GET_SECTORS), mb.GetSectors(), who)


@router.put("/api/v1/sectors", tags=["directory"], response_model=mb.SectorListOut,
            responses={409: {"description": "Stale version: reload and retry"}})
async def set_sectors(body: mb.SetSectors, request: Request, who: Who,
                      idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Managers replace the list; send the `version` you read."""
    return await forward(request, naming.command_subject("members", mb.SET_SECTORS), body, who, idempotency_key)

