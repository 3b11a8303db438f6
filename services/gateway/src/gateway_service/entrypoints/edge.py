"""What every route shares: authentication, forwarding to a service over NATS, and
problem responses. Routes live in one module per area and only parse, forward and shape."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from alumni_contracts.rpc import Principal, Reply
from gateway_service.adapters.auth import AuthError, TokenVerifier
from gateway_service.adapters.bus import NatsBus
from gateway_service.entrypoints.problems import make_problem, problem_response
from servicekit.authz import MemberNotLinked, acting_member, is_staff
from servicekit.logging import bound

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200,
                                              description="Retries with the same key return the first result.")]
MemberId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
TenantSlug = Annotated[str, Path(pattern=r"^[a-z0-9-]{2,32}$")]
ImportId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
IMPORTS_PATH = "/api/v1/imports"
# Payment providers' webhooks: no bearer token (the signature is checked by fundraising).
WEBHOOKS_PREFIX = "/api/v1/payments/webhooks/"
# The email provider's bounce/complaint webhooks: no bearer token either (signed; notifications checks).
EMAIL_WEBHOOKS_PREFIX = "/api/v1/notifications/webhooks/"
SIGNED_WEBHOOKS = (WEBHOOKS_PREFIX, EMAIL_WEBHOOKS_PREFIX)


class ApiError(Exception):
    def __init__(self, response: JSONResponse) -> None:
        self.response = response


# Declares the bearer scheme in the OpenAPI document; the token itself is verified below.
BEARER = HTTPBearer(scheme_name="bearer", bearerFormat="JWT", auto_error=False,
                    description="A JWT from the configured issuer (audience, issuer and expiry checked).")


def auth_problem(exc: AuthError) -> JSONResponse:
    if exc.status == 401:
        problem = make_problem(401, "unauthenticated", "Authentication required", exc.detail)
        return problem_response(problem, {"WWW-Authenticate": "Bearer"})
    return problem_response(make_problem(exc.status, "forbidden", "Forbidden", exc.detail))


async def principal(request: Request,
                    _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None) -> Principal:
    """Dependency: the verified principal of the request, or a 401/403 problem. The edge
    middleware verified it already (before reading the body); verify here when it did not.
    Async: a plain `def` dependency costs every request a hop to the thread pool and back
    (bench/api_load.py), here only to read `request.state`."""
    verified = getattr(request.state, "principal", None)
    if isinstance(verified, Principal):
        return verified
    verifier: TokenVerifier = request.app.state.verifier
    try:
        who = await run_in_threadpool(verifier.verify, request.headers.get("Authorization"))  # a JWKS fetch blocks
    except AuthError as exc:
        raise ApiError(auth_problem(exc)) from None
    request.state.principal = who
    return who


Who = Annotated[Principal, Depends(principal)]


def own_member_id(who: Principal) -> str:
    try:
        return acting_member(who, None)
    except MemberNotLinked as exc:
        raise ApiError(problem_response(make_problem(404, exc.code, exc.title, str(exc)))) from None


def require_staff(who: Principal) -> None:
    if not is_staff(who):
        raise ApiError(problem_response(make_problem(403, "forbidden", "Forbidden", "managers only")))


def bus(request: Request) -> NatsBus:
    bus: NatsBus = request.app.state.bus
    return bus


async def forward(request: Request, subject: str, payload: BaseModel, who: Principal,
                  idempotency_key: str | None = None) -> dict[str, Any]:
    """Send a command or query to its service; a failure becomes the service's problem."""
    with bound(tenant=who.tenant):
        reply: Reply = await bus(request).request(subject, payload, who, request.state.correlation_id,
                                                  idempotency_key)
    if not reply.ok:
        assert reply.problem is not None
        raise ApiError(problem_response(reply.problem))
    return reply.result or {}


def created(result: dict[str, Any], location: str) -> JSONResponse:
    return JSONResponse(result, status_code=201, headers={"Location": location})


def accepted(result: dict[str, Any]) -> JSONResponse:
    return JSONResponse(result, status_code=202, headers={"Location": f"/api/v1/erasures/{result['erasure_id']}"})
