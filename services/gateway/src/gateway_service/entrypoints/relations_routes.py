"""The relational side: showcase (and its public endpoint), ambassadors, groups."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from alumni_contracts import naming
from alumni_contracts.members import commands as mb
from alumni_contracts.rpc import Principal, Role
from gateway_service.entrypoints.edge import (
    IdempotencyKey,
    MemberId,
    TenantSlug,
    Who,
    created,
    forward,
    require_staff,
)

router = APIRouter()


@router.put("/api/v1/me/showcase", tags=["showcase"], response_model=mb.MemberView)
async def set_my_showcase(body: mb.ShowcaseText, request: Request, who: Who,
                          idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Your showcase text. Published only while your showcase consent (fields, channels,
    expiry) covers it: `PUT /api/v1/me/consents/showcase` with a `scope`."""
    command = mb.SetShowcase(**body.model_dump(mode="json", exclude_none=True))
    return await forward(request, naming.command_subject("members", mb.SET_SHOWCASE), command, who,
                         idempotency_key)


@router.delete("/api/v1/me/showcase", tags=["showcase"], response_model=mb.MemberView)
async def remove_my_showcase(request: Request, who: Who) -> dict[str, Any]:
    """Remove your showcase text: unpublished at once."""
    return await forward(request, naming.command_subject("members", "remove_showcase"), mb.RemoveShowcase(), who)


@router.put("/api/v1/members/{member_id}/showcase", tags=["showcase"], response_model=mb.MemberView)
async def set_member_showcase(member_id: MemberId, body: mb.ShowcaseText, request: Request, who: Who,
                              idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Staff write the text on the alumnus' behalf (publication still needs their consent)."""
    require_staff(who)
    command = mb.SetShowcase(member_id=member_id, **body.model_dump(mode="json", exclude_none=True))
    return await forward(request, naming.command_subject("members", mb.SET_SHOWCASE), command, who,
                         idempotency_key)


@router.delete("/api/v1/members/{member_id}/showcase", tags=["showcase"], response_model=mb.MemberView)
async def remove_member_showcase(member_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    require_staff(who)
    return await forward(request, naming.command_subject("members", "remove_showcase"),
                         mb.RemoveShowcase(member_id=member_id), who)


@router.get("/api/v1/public/{tenant}/showcase", tags=["showcase"], response_model=mb.ShowcasePage,
            response_model_exclude_none=True)
async def public_showcase(tenant: TenantSlug, request: Request,
                          channel: mb.ShowcaseChannel = mb.ShowcaseChannel.WEBSITE) -> dict[str, Any]:
    """Public, unauthenticated: notable alumni of a tenant, with only the fields each one
    consented to for this channel, and only until their consent expires."""
    visitor = Principal(tenant=tenant, subject="anonymous", roles=frozenset({Role.PUBLIC}))
    return await forward(request, naming.query_subject("members", mb.PUBLIC_SHOWCASE),
                         mb.PublicShowcaseQuery(channel=channel), visitor)


@router.put("/api/v1/members/{member_id}/ambassador", tags=["ambassadors"], response_model=mb.MemberView)
async def appoint_ambassador(member_id: MemberId, body: mb.AmbassadorScopeIn, request: Request, who: Who,
                             idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Managers appoint an ambassador, or change their scope (cohorts, programs, cities;
    all empty: the whole network)."""
    command = mb.AppointAmbassador(member_id=member_id, **body.model_dump())
    return await forward(request, naming.command_subject("members", mb.APPOINT_AMBASSADOR), command, who,
                         idempotency_key)


@router.delete("/api/v1/members/{member_id}/ambassador", tags=["ambassadors"], response_model=mb.MemberView)
async def revoke_ambassador(member_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, naming.command_subject("members", mb.REVOKE_AMBASSADOR),
                         mb.RevokeAmbassador(member_id=member_id), who)


# -- groups and chapters ---------------------------------------------------------------

@router.get("/api/v1/groups", tags=["groups"], response_model=mb.GroupList)
async def list_groups(request: Request, who: Who, kind: mb.GroupKind | None = None) -> dict[str, Any]:
    """Cohort groups (one per cohort, automatic), regional chapters and clubs."""
    return await forward(request, naming.query_subject("members", mb.LIST_GROUPS), mb.ListGroups(kind=kind), who)


@router.post("/api/v1/groups", status_code=201, tags=["groups"], response_model=mb.GroupOut)
async def create_group(body: mb.NewGroup, request: Request, who: Who,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Managers create a regional chapter or a club."""
    result = await forward(request, naming.command_subject("members", mb.CREATE_GROUP),
                           mb.CreateGroup(**body.model_dump()), who, idempotency_key)
    return created(result, f"/api/v1/groups/{result['group_id']}")


@router.get("/api/v1/me/groups", tags=["groups"], response_model=mb.MyGroupList)
async def my_groups(request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, naming.query_subject("members", mb.MY_GROUPS), mb.MyGroups(), who)


@router.get("/api/v1/groups/{group_id}", tags=["groups"], response_model=mb.GroupMembers)
async def group_members(group_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    """The group and its active members (alumni see the members listed in the directory)."""
    return await forward(request, naming.query_subject("members", mb.GROUP_MEMBERS),
                         mb.GroupRef(group_id=group_id), who)


@router.put("/api/v1/groups/{group_id}/membership", tags=["groups"], response_model=mb.MembershipOut)
async def join_group(group_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    """Join (open groups; invitation groups once invited; cohort groups of one's cohorts)."""
    return await forward(request, naming.command_subject("members", mb.JOIN_GROUP),
                         mb.GroupRef(group_id=group_id), who)


@router.delete("/api/v1/groups/{group_id}/membership", tags=["groups"], response_model=mb.MembershipOut)
async def leave_group(group_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
    """Leave the group, or decline an invitation."""
    return await forward(request, naming.command_subject("members", mb.LEAVE_GROUP),
                         mb.GroupRef(group_id=group_id), who)


@router.post("/api/v1/groups/{group_id}/invitations", status_code=201, tags=["groups"],
             response_model=mb.MembershipOut)
async def invite_to_group(group_id: MemberId, body: mb.Invitation, request: Request, who: Who,
                          idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """The group's moderators and managers (and staff) invite a member."""
    result = await forward(request, naming.command_subject("members", mb.INVITE_TO_GROUP),
                           mb.InviteToGroup(group_id=group_id, member_id=body.member_id), who, idempotency_key)
    return JSONResponse(result, status_code=201)


@router.put("/api/v1/groups/{group_id}/members/{member_id}/role", tags=["groups"], response_model=mb.MembershipOut)
async def set_group_role(group_id: MemberId, member_id: MemberId, body: mb.RoleBody, request: Request,
                         who: Who) -> dict[str, Any]:
    """The group's managers (and staff) make a member moderator or manager."""
    return await forward(request, naming.command_subject("members", mb.SET_GROUP_ROLE), mb.SetGroupRole(
        group_id=group_id, member_id=member_id, role=body.role), who)

