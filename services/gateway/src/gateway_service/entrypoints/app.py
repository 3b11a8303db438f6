"""The REST API v1 and the console. Thin: authenticate, validate, forward, shape the reply."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib.resources import files
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from alumni_contracts import naming, privacy
from alumni_contracts.common import ConsentChannel, Locale, Purpose
from alumni_contracts.envelope import new_event_id
from alumni_contracts.events import commands as ev
from alumni_contracts.fundraising import commands as fr
from alumni_contracts.members import commands as mb
from alumni_contracts.rpc import Principal, Reply, Role
from gateway_service.adapters.auth import AuthError, TokenVerifier
from gateway_service.adapters.bus import NatsBus
from gateway_service.entrypoints.problems import make_problem, on_http_error, on_validation_error, problem_response
from servicekit.logging import bound, get_logger

log = get_logger(__name__)
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200,
                                              description="Retries with the same key return the first result.")]
MemberId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
TenantSlug = Annotated[str, Path(pattern=r"^[a-z0-9-]{2,32}$")]
ImportId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
IMPORTS_PATH = "/api/v1/imports"


class ApiError(Exception):
    def __init__(self, response: JSONResponse) -> None:
        self.response = response


def principal(request: Request) -> Principal:
    """Dependency: the verified principal of the request, or a 401/403 problem."""
    verifier: TokenVerifier = request.app.state.verifier
    try:
        who = verifier.verify(request.headers.get("Authorization"))
    except AuthError as exc:
        if exc.status == 401:
            problem = make_problem(401, "unauthenticated", "Authentication required", exc.detail)
            raise ApiError(problem_response(problem, {"WWW-Authenticate": "Bearer"})) from None
        raise ApiError(problem_response(make_problem(exc.status, "forbidden", "Forbidden", exc.detail))) from None
    request.state.principal = who
    return who


Who = Annotated[Principal, Depends(principal)]


class ConsentChoice(BaseModel):
    """Body of a consent call: the choice and the exact text the member saw."""

    model_config = ConfigDict(extra="forbid")

    granted: bool
    text_version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,40}$")]
    language: Locale
    channel: ConsentChannel = ConsentChannel.WEB
    scope: mb.ShowcaseScopeIn | None = None


def own_member_id(who: Principal) -> str:
    if who.member_id is None:
        raise ApiError(problem_response(make_problem(404, "member-not-found", "Member not found",
                                                     "this account is not linked to a member")))
    return who.member_id


def require_staff(who: Principal) -> None:
    if not who.has_any(Role.MANAGER, Role.ADMIN):
        raise ApiError(problem_response(make_problem(403, "forbidden", "Forbidden", "managers only")))


def create_app(bus_factory: Callable[[], Awaitable[NatsBus]], verifier: TokenVerifier, *,
               max_body_bytes: int = 64 * 1024, max_upload_bytes: int = 64 * 1024 * 1024,
               dev_mailbox_url: str | None = None,
               on_shutdown: Callable[[], Awaitable[None]] | None = None) -> FastAPI:
    state: dict[str, NatsBus] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["bus"] = await bus_factory()
        yield
        if on_shutdown is not None:
            await on_shutdown()

    app = FastAPI(title="Alumni platform API", version="1.0.0", lifespan=lifespan,
                  openapi_url="/api/v1/openapi.json", docs_url="/api/v1/docs", redoc_url=None,
                  description="REST API v1 of the alumni platform. Errors are RFC 9457 problem+json; "
                              "every POST honours an `Idempotency-Key` header.")
    app.state.verifier = verifier
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(ValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return exc.response

    @app.middleware("http")
    async def edge(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        limit = max_upload_bytes if (request.method, request.url.path) == ("POST", IMPORTS_PATH) else max_body_bytes
        if length is not None and (not length.isdigit() or int(length) > limit):
            return problem_response(make_problem(413, "too-large", "Request body too large", f"at most {limit} bytes"))
        correlation_id = request.headers.get("X-Correlation-Id") or new_event_id()
        request.state.correlation_id = correlation_id
        with bound(correlation_id=correlation_id, path=request.url.path):
            response = await call_next(request)
        response.headers["X-Correlation-Id"] = correlation_id
        return response

    async def forward(request: Request, subject: str, payload: BaseModel, who: Principal,
                      idempotency_key: str | None = None) -> dict[str, Any]:
        with bound(tenant=who.tenant):
            reply: Reply = await state["bus"].request(subject, payload, who, request.state.correlation_id,
                                                      idempotency_key)
        if not reply.ok:
            assert reply.problem is not None
            raise ApiError(problem_response(reply.problem))
        return reply.result or {}

    def created(result: dict[str, Any], location: str) -> JSONResponse:
        return JSONResponse(result, status_code=201, headers={"Location": location})

    @app.get("/health", tags=["ops"])
    async def health() -> JSONResponse:
        bus_ok = "bus" in state
        return JSONResponse({"service": "gateway", "status": "ready" if bus_ok else "starting"},
                            status_code=200 if bus_ok else 503)

    @app.post("/api/v1/members", status_code=201, tags=["members"], response_model=mb.MemberRegisteredResult,
              responses={409: {"description": "Email already registered"}, 422: {"description": "Invalid"}})
    async def register_member(body: mb.RegisterMember, request: Request, who: Who,
                              idempotency_key: IdempotencyKey = None) -> JSONResponse:
        result = await forward(request, naming.command_subject("members", mb.REGISTER_MEMBER), body, who,
                               idempotency_key)
        return created(result, f"/api/v1/members/{result['member_id']}")

    @app.get("/api/v1/members", tags=["members"], response_model=mb.MemberPage)
    async def list_members(request: Request, who: Who, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                           after: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None
                           ) -> dict[str, Any]:
        return await forward(request, naming.query_subject("members", mb.LIST_MEMBERS),
                             mb.ListMembers(limit=limit, after=after), who)

    @app.get("/api/v1/members/{member_id}", tags=["members"], response_model=mb.MemberView)
    async def get_member(member_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
        return await forward(request, naming.query_subject("members", mb.GET_MEMBER),
                             mb.GetMember(member_id=member_id), who)

    # -- profiles ------------------------------------------------------------------------

    @app.get("/api/v1/me", tags=["profile"], response_model=mb.MemberView)
    async def get_me(request: Request, who: Who) -> dict[str, Any]:
        """Your own full record (alumni accounts linked to a member)."""
        return await forward(request, naming.query_subject("members", mb.GET_MEMBER),
                             mb.GetMember(member_id=own_member_id(who)), who)

    @app.patch("/api/v1/me", tags=["profile"], response_model=mb.MemberView,
               responses={409: {"description": "Stale version: reload and retry"}})
    async def update_me(body: mb.UpdateMyProfile, request: Request, who: Who,
                        idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        """Edit your profile and choose who sees each section. Send the `version` you read."""
        return await forward(request, naming.command_subject("members", mb.UPDATE_MY_PROFILE), body, who,
                             idempotency_key)

    @app.patch("/api/v1/members/{member_id}", tags=["members"], response_model=mb.MemberView,
               responses={409: {"description": "Stale version: reload and retry"}})
    async def update_member(member_id: MemberId, body: mb.StaffProfilePatch, request: Request, who: Who,
                            idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        """Staff edit any member of the tenant, including data-hygiene flags."""
        command = mb.UpdateMember(member_id=member_id, **body.model_dump(exclude_unset=True))
        return await forward(request, naming.command_subject("members", mb.UPDATE_MEMBER), command, who,
                             idempotency_key)

    @app.post("/api/v1/members/{member_id}/deceased-suggestion", status_code=202, tags=["members"])
    async def suggest_deceased(member_id: MemberId, request: Request, who: Who,
                               idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        """Anyone may suggest that a member passed away; a manager confirms."""
        return await forward(request, naming.command_subject("members", mb.SUGGEST_DECEASED),
                             mb.SuggestDeceased(member_id=member_id), who, idempotency_key)

    @app.post("/api/v1/members/{member_id}/deceased-confirmation", tags=["members"], response_model=mb.MemberView)
    async def confirm_deceased(member_id: MemberId, request: Request, who: Who,
                               idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        return await forward(request, naming.command_subject("members", mb.CONFIRM_DECEASED),
                             mb.ConfirmDeceased(member_id=member_id), who, idempotency_key)

    # -- consents ------------------------------------------------------------------------

    @app.get("/api/v1/me/consents", tags=["consents"], response_model=mb.ConsentLedger)
    async def my_consents(request: Request, who: Who) -> dict[str, Any]:
        return await forward(request, naming.query_subject("members", mb.GET_CONSENTS), mb.GetConsents(), who)

    @app.put("/api/v1/me/consents/{purpose}", tags=["consents"], response_model=mb.ConsentLedger)
    async def set_my_consent(purpose: Purpose, body: ConsentChoice, request: Request, who: Who,
                             idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        """Grant (`granted: true`) or withdraw (`false`) one purpose; every call is kept in the ledger."""
        command = mb.SetConsent(purpose=purpose, **body.model_dump())
        return await forward(request, naming.command_subject("members", mb.SET_CONSENT), command, who,
                             idempotency_key)

    @app.get("/api/v1/members/{member_id}/consents", tags=["consents"], response_model=mb.ConsentLedger)
    async def member_consents(member_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
        require_staff(who)
        return await forward(request, naming.query_subject("members", mb.GET_CONSENTS),
                             mb.GetConsents(member_id=member_id), who)

    @app.put("/api/v1/members/{member_id}/consents/{purpose}", tags=["consents"], response_model=mb.ConsentLedger)
    async def set_member_consent(member_id: MemberId, purpose: Purpose, body: ConsentChoice, request: Request,
                                 who: Who, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        """Staff record a consent given outside the platform (paper form, phone)."""
        require_staff(who)
        command = mb.SetConsent(purpose=purpose, member_id=member_id, **body.model_dump())
        return await forward(request, naming.command_subject("members", mb.SET_CONSENT), command, who,
                             idempotency_key)

    # -- directory -----------------------------------------------------------------------

    @app.get("/api/v1/directory", tags=["directory"], response_model=mb.DirectoryPage,
             response_model_exclude_none=True)
    async def search_directory(request: Request, who: Who, query: Annotated[mb.SearchDirectory, Query()]
                               ) -> dict[str, Any]:
        """Alumni who opted in, with only the fields each chose to show you."""
        return await forward(request, naming.query_subject("members", mb.SEARCH_DIRECTORY), query, who)

    @app.get("/api/v1/sectors", tags=["directory"], response_model=mb.SectorListOut)
    async def get_sectors(request: Request, who: Who) -> dict[str, Any]:
        """The tenant's sector list, for career histories and the directory filter."""
        return await forward(request, naming.query_subject("members", mb.GET_SECTORS), mb.GetSectors(), who)

    @app.put("/api/v1/sectors", tags=["directory"], response_model=mb.SectorListOut,
             responses={409: {"description": "Stale version: reload and retry"}})
    async def set_sectors(body: mb.SetSectors, request: Request, who: Who,
                          idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        """Managers replace the list; send the `version` you read."""
        return await forward(request, naming.command_subject("members", mb.SET_SECTORS), body, who, idempotency_key)

    # -- showcase and ambassadors --------------------------------------------------------

    @app.put("/api/v1/me/showcase", tags=["showcase"], response_model=mb.MemberView)
    async def set_my_showcase(body: mb.ShowcaseText, request: Request, who: Who,
                              idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        """Your showcase text. Published only while your showcase consent (fields, channels,
        expiry) covers it: `PUT /api/v1/me/consents/showcase` with a `scope`."""
        command = mb.SetShowcase(**body.model_dump(mode="json", exclude_none=True))
        return await forward(request, naming.command_subject("members", mb.SET_SHOWCASE), command, who,
                             idempotency_key)

    @app.delete("/api/v1/me/showcase", tags=["showcase"], response_model=mb.MemberView)
    async def remove_my_showcase(request: Request, who: Who) -> dict[str, Any]:
        """Remove your showcase text: unpublished at once."""
        return await forward(request, naming.command_subject("members", "remove_showcase"), mb.RemoveShowcase(), who)

    @app.put("/api/v1/members/{member_id}/showcase", tags=["showcase"], response_model=mb.MemberView)
    async def set_member_showcase(member_id: MemberId, body: mb.ShowcaseText, request: Request, who: Who,
                                  idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        """Staff write the text on the alumnus' behalf (publication still needs their consent)."""
        require_staff(who)
        command = mb.SetShowcase(member_id=member_id, **body.model_dump(mode="json", exclude_none=True))
        return await forward(request, naming.command_subject("members", mb.SET_SHOWCASE), command, who,
                             idempotency_key)

    @app.delete("/api/v1/members/{member_id}/showcase", tags=["showcase"], response_model=mb.MemberView)
    async def remove_member_showcase(member_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
        require_staff(who)
        return await forward(request, naming.command_subject("members", "remove_showcase"),
                             mb.RemoveShowcase(member_id=member_id), who)

    @app.get("/api/v1/public/{tenant}/showcase", tags=["showcase"], response_model=mb.ShowcasePage,
             response_model_exclude_none=True)
    async def public_showcase(tenant: TenantSlug, request: Request,
                              channel: mb.ShowcaseChannel = mb.ShowcaseChannel.WEBSITE) -> dict[str, Any]:
        """Public, unauthenticated: notable alumni of a tenant, with only the fields each one
        consented to for this channel, and only until their consent expires."""
        visitor = Principal(tenant=tenant, subject="anonymous", roles=frozenset({Role.PUBLIC}))
        return await forward(request, naming.query_subject("members", mb.PUBLIC_SHOWCASE),
                             mb.PublicShowcaseQuery(channel=channel), visitor)

    @app.put("/api/v1/members/{member_id}/ambassador", tags=["ambassadors"], response_model=mb.MemberView)
    async def appoint_ambassador(member_id: MemberId, body: mb.AmbassadorScopeIn, request: Request, who: Who,
                                 idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        """Managers appoint an ambassador, or change their scope (cohorts, programs, cities;
        all empty: the whole network)."""
        command = mb.AppointAmbassador(member_id=member_id, **body.model_dump())
        return await forward(request, naming.command_subject("members", mb.APPOINT_AMBASSADOR), command, who,
                             idempotency_key)

    @app.delete("/api/v1/members/{member_id}/ambassador", tags=["ambassadors"], response_model=mb.MemberView)
    async def revoke_ambassador(member_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
        return await forward(request, naming.command_subject("members", mb.REVOKE_AMBASSADOR),
                             mb.RevokeAmbassador(member_id=member_id), who)

    # -- GDPR: access and erasure ----------------------------------------------------------

    async def export(request: Request, who: Principal, member_id: str) -> dict[str, Any]:
        """Ask every service holding member data, concurrently; all must answer (an export
        missing a service would look complete and not be)."""
        query = privacy.ExportMemberData(member_id=member_id)
        answers = await asyncio.gather(*(
            forward(request, naming.query_subject(service, privacy.EXPORT_MEMBER_DATA), query, who)
            for service in privacy.DATA_HOLDERS))
        return {"member_id": member_id, "tenant": who.tenant, "generated_at": datetime.now(UTC).isoformat(),
                "services": {a["service"]: a["records"] for a in answers}}

    @app.get("/api/v1/me/export", tags=["privacy"])
    async def export_me(request: Request, who: Who) -> JSONResponse:
        """Everything the platform holds about you, from every service, as JSON (GDPR art. 15 and 20)."""
        body = await export(request, who, own_member_id(who))
        return JSONResponse(body, headers={"Content-Disposition": 'attachment; filename="my-data.json"'})

    @app.get("/api/v1/members/{member_id}/export", tags=["privacy"])
    async def export_member(member_id: MemberId, request: Request, who: Who) -> JSONResponse:
        """Staff: everything about one member (to answer an access request received by mail)."""
        require_staff(who)
        return JSONResponse(await export(request, who, member_id))

    @app.post("/api/v1/me/erasure", status_code=202, tags=["privacy"], response_model=mb.ErasureStatus)
    async def erase_me(request: Request, who: Who, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Erase your data everywhere (GDPR art. 17). Irreversible. Follow it at the returned
        status URL; accounting records (donations) are kept under a pseudonym, as the law requires."""
        result = await forward(request, naming.command_subject("members", mb.REQUEST_ERASURE), mb.RequestErasure(),
                               who, idempotency_key)
        return accepted(result)

    @app.post("/api/v1/members/{member_id}/erasure", status_code=202, tags=["privacy"],
              response_model=mb.ErasureStatus)
    async def erase_member(member_id: MemberId, request: Request, who: Who,
                           idempotency_key: IdempotencyKey = None) -> JSONResponse:
        require_staff(who)
        result = await forward(request, naming.command_subject("members", mb.REQUEST_ERASURE),
                               mb.RequestErasure(member_id=member_id), who, idempotency_key)
        return accepted(result)

    @app.get("/api/v1/erasures/{erasure_id}", tags=["privacy"], response_model=mb.ErasureStatus)
    async def erasure_status(erasure_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
        """Which services confirmed, the deadline, completion (staff; or the erased member)."""
        return await forward(request, naming.query_subject("members", mb.GET_ERASURE),
                             mb.GetErasure(erasure_id=erasure_id), who)

    def accepted(result: dict[str, Any]) -> JSONResponse:
        return JSONResponse(result, status_code=202, headers={"Location": f"/api/v1/erasures/{result['erasure_id']}"})

    # -- groups and chapters ---------------------------------------------------------------

    @app.get("/api/v1/groups", tags=["groups"], response_model=mb.GroupList)
    async def list_groups(request: Request, who: Who, kind: mb.GroupKind | None = None) -> dict[str, Any]:
        """Cohort groups (one per cohort, automatic), regional chapters and clubs."""
        return await forward(request, naming.query_subject("members", mb.LIST_GROUPS), mb.ListGroups(kind=kind), who)

    @app.post("/api/v1/groups", status_code=201, tags=["groups"], response_model=mb.GroupOut)
    async def create_group(body: mb.NewGroup, request: Request, who: Who,
                           idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Managers create a regional chapter or a club."""
        result = await forward(request, naming.command_subject("members", mb.CREATE_GROUP),
                               mb.CreateGroup(**body.model_dump()), who, idempotency_key)
        return created(result, f"/api/v1/groups/{result['group_id']}")

    @app.get("/api/v1/me/groups", tags=["groups"], response_model=mb.MyGroupList)
    async def my_groups(request: Request, who: Who) -> dict[str, Any]:
        return await forward(request, naming.query_subject("members", mb.MY_GROUPS), mb.MyGroups(), who)

    @app.get("/api/v1/groups/{group_id}", tags=["groups"], response_model=mb.GroupMembers)
    async def group_members(group_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
        """The group and its active members (alumni see the members listed in the directory)."""
        return await forward(request, naming.query_subject("members", mb.GROUP_MEMBERS),
                             mb.GroupRef(group_id=group_id), who)

    @app.put("/api/v1/groups/{group_id}/membership", tags=["groups"], response_model=mb.MembershipOut)
    async def join_group(group_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
        """Join (open groups; invitation groups once invited; cohort groups of one's cohorts)."""
        return await forward(request, naming.command_subject("members", mb.JOIN_GROUP),
                             mb.GroupRef(group_id=group_id), who)

    @app.delete("/api/v1/groups/{group_id}/membership", tags=["groups"], response_model=mb.MembershipOut)
    async def leave_group(group_id: MemberId, request: Request, who: Who) -> dict[str, Any]:
        """Leave the group, or decline an invitation."""
        return await forward(request, naming.command_subject("members", mb.LEAVE_GROUP),
                             mb.GroupRef(group_id=group_id), who)

    @app.post("/api/v1/groups/{group_id}/invitations", status_code=201, tags=["groups"],
              response_model=mb.MembershipOut)
    async def invite_to_group(group_id: MemberId, body: mb.Invitation, request: Request, who: Who,
                              idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """The group's moderators and managers (and staff) invite a member."""
        result = await forward(request, naming.command_subject("members", mb.INVITE_TO_GROUP),
                               mb.InviteToGroup(group_id=group_id, member_id=body.member_id), who, idempotency_key)
        return JSONResponse(result, status_code=201)

    @app.put("/api/v1/groups/{group_id}/members/{member_id}/role", tags=["groups"], response_model=mb.MembershipOut)
    async def set_group_role(group_id: MemberId, member_id: MemberId, body: mb.RoleBody, request: Request,
                             who: Who) -> dict[str, Any]:
        """The group's managers (and staff) make a member moderator or manager."""
        return await forward(request, naming.command_subject("members", mb.SET_GROUP_ROLE), mb.SetGroupRole(
            group_id=group_id, member_id=member_id, role=body.role), who)

    # -- CSV import ------------------------------------------------------------------------

    @app.post(IMPORTS_PATH, status_code=201, tags=["imports"], response_model=mb.ImportView,
              openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {
                  "type": "string", "format": "binary"}}}}})
    async def upload_import(request: Request, who: Who,
                            filename: Annotated[str, Query(min_length=1, max_length=200)] = "import.csv",
                            encoding: Annotated[mb.Encoding | None, Query()] = None,
                            delimiter: Annotated[mb.Delimiter | None, Query()] = None,
                            idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Upload a CSV file (the raw bytes as the body, e.g. `curl --data-binary @alumni.csv`).
        UTF-8 or Windows-1252, `;` or `,` separated: detected unless given. Returns the columns,
        a suggested mapping and the first rows; nothing is imported yet."""
        require_staff(who)
        received = bytearray()
        async for part in request.stream():  # a chunked body has no Content-Length: count as it comes
            received += part
            if len(received) > max_upload_bytes:
                raise ApiError(problem_response(make_problem(413, "too-large", "File too large",
                                                             f"at most {max_upload_bytes} bytes")))
        data = bytes(received)
        if not data.strip():
            raise ApiError(problem_response(make_problem(422, "invalid-file", "The file cannot be read",
                                                         "the body is empty: send the CSV file as the body")))
        import_id = new_event_id()
        object_name = f"{who.tenant}.{import_id}"
        await state["bus"].put_file(object_name, data)
        command = mb.CreateImport(import_id=import_id, object_name=object_name, filename=filename, size=len(data),
                                  encoding=encoding, delimiter=delimiter)
        result = await forward(request, naming.command_subject("members", mb.CREATE_IMPORT), command, who,
                               idempotency_key)
        return created(result, f"{IMPORTS_PATH}/{result['import_id']}")

    @app.get(IMPORTS_PATH, tags=["imports"], response_model=mb.ImportList)
    async def list_imports(request: Request, who: Who,
                           limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
        return await forward(request, naming.query_subject("members", mb.LIST_IMPORTS), mb.ListImports(limit=limit),
                             who)

    @app.get(IMPORTS_PATH + "/{import_id}", tags=["imports"], response_model=mb.ImportView)
    async def get_import(import_id: ImportId, request: Request, who: Who) -> dict[str, Any]:
        """State, progress (`done` of `total`, `progress_percent`) and the report (`counts`)."""
        return await forward(request, naming.query_subject("members", mb.GET_IMPORT),
                             mb.GetImport(import_id=import_id), who)

    @app.put(IMPORTS_PATH + "/{import_id}/mapping", status_code=202, tags=["imports"], response_model=mb.ImportView)
    async def validate_import(import_id: ImportId, body: mb.ColumnMapping, request: Request, who: Who,
                              idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Set the column mapping and check every row (the preview and dry run): nothing is
        written to the register. Follow the progress at `GET /api/v1/imports/{id}`."""
        command = mb.ValidateImport(import_id=import_id, mapping=body.mapping)
        result = await forward(request, naming.command_subject("members", mb.VALIDATE_IMPORT), command, who,
                               idempotency_key)
        return JSONResponse(result, status_code=202)

    @app.get(IMPORTS_PATH + "/{import_id}/rows", tags=["imports"], response_model=mb.ImportRowsPage)
    async def import_rows(import_id: ImportId, request: Request, who: Who,
                          status: mb.ImportRowStatus | None = None,
                          after_line: Annotated[int, Query(ge=0)] = 0,
                          limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
        """The preview's rows: `status=error` for the errors with their line numbers,
        `status=review` for the possible duplicates to decide."""
        return await forward(request, naming.query_subject("members", mb.IMPORT_ROWS), mb.ImportRowsQuery(
            import_id=import_id, status=status, after_line=after_line, limit=limit), who)

    @app.put(IMPORTS_PATH + "/{import_id}/rows/{line}/decision", tags=["imports"], response_model=mb.ImportRowOut)
    async def decide_import_row(import_id: ImportId, line: Annotated[int, Path(ge=2)], body: mb.DecisionBody,
                                request: Request, who: Who) -> dict[str, Any]:
        """Merge review: `merge` into the matched member, `create` a new member, or `skip`."""
        return await forward(request, naming.command_subject("members", mb.DECIDE_IMPORT_ROW), mb.DecideImportRow(
            import_id=import_id, line=line, decision=body.decision), who)

    @app.post(IMPORTS_PATH + "/{import_id}/commit", status_code=202, tags=["imports"], response_model=mb.ImportView)
    async def commit_import(import_id: ImportId, body: mb.CommitBody, request: Request, who: Who,
                            idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Write the validated rows, in the background; resumable, and idempotent (a second
        import of the same file changes nothing)."""
        result = await forward(request, naming.command_subject("members", mb.COMMIT_IMPORT), mb.CommitImport(
            import_id=import_id, undecided=body.undecided), who, idempotency_key)
        return JSONResponse(result, status_code=202)

    @app.delete(IMPORTS_PATH + "/{import_id}", tags=["imports"], response_model=mb.ImportView)
    async def abandon_import(import_id: ImportId, request: Request, who: Who) -> dict[str, Any]:
        """Drop an import that was not committed: its rows and its file are deleted."""
        return await forward(request, naming.command_subject("members", mb.ABANDON_IMPORT),
                             mb.AbandonImport(import_id=import_id), who)

    @app.post("/api/v1/events", status_code=201, tags=["events"], response_model=ev.EventScheduledResult)
    async def schedule_event(body: ev.ScheduleEvent, request: Request, who: Who,
                             idempotency_key: IdempotencyKey = None) -> JSONResponse:
        result = await forward(request, naming.command_subject("events", ev.SCHEDULE_EVENT), body, who,
                               idempotency_key)
        return created(result, f"/api/v1/events/{result['event_id']}")

    @app.post("/api/v1/donations", status_code=201, tags=["fundraising"],
              response_model=fr.DonationRecordedResult)
    async def record_donation(body: fr.RecordDonation, request: Request, who: Who,
                              idempotency_key: IdempotencyKey = None) -> JSONResponse:
        result = await forward(request, naming.command_subject("fundraising", fr.RECORD_DONATION), body, who,
                               idempotency_key)
        return created(result, f"/api/v1/donations/{result['donation_id']}")

    @app.get("/api/v1/dev/mailbox", tags=["development"], include_in_schema=dev_mailbox_url is not None)
    async def dev_mailbox(who: Who) -> JSONResponse:
        """Development only: what the local SMTP sink received (managers)."""
        if dev_mailbox_url is None:
            raise StarletteHTTPException(404, "no development mailbox configured")
        if not who.has_any(Role.MANAGER, Role.ADMIN):
            raise ApiError(problem_response(make_problem(403, "forbidden", "Forbidden", "managers only")))
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(dev_mailbox_url)
        return JSONResponse(response.json())

    console_html = files("gateway_service").joinpath("static/console.html").read_text(encoding="utf-8")

    @app.get("/", include_in_schema=False)
    @app.get("/console", include_in_schema=False)
    async def console() -> HTMLResponse:
        return HTMLResponse(console_html)

    return app
