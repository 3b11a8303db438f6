"""The edge of every HTTP request, as one pure ASGI middleware (outermost of the app's own).

In order: a bounded correlation id (the client's when it is a short token, else a new one),
bound to every log line; security headers on every response; rate limits (a verified token
has its own bucket, keyed by tenant and subject; anything else is keyed by client address);
authentication *before* the body is read on the routes that need it; body limits enforced
while the body streams in (chunked or with a lying `Content-Length`), answered with a 413
problem as soon as the limit is passed; and any unhandled exception — from a route or from
this edge itself — becomes a 500 problem+json and one structured log line with the
correlation id, never a plain-text traceback.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alumni_contracts.envelope import new_event_id
from alumni_contracts.fundraising.commands import MAX_WEBHOOK_PAYLOAD
from alumni_contracts.rpc import Principal
from gateway_service.adapters.auth import AuthError, TokenVerifier
from gateway_service.adapters.rate_limit import RateLimiter
from gateway_service.entrypoints.edge import IMPORTS_PATH, SIGNED_WEBHOOKS, auth_problem
from gateway_service.entrypoints.problems import make_problem, problem_response
from servicekit.logging import bound, get_logger

log = get_logger(__name__)

CORRELATION_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
API_PREFIX = "/api/v1/"
PUBLIC_PREFIX = "/api/v1/public/"
UNAUTHENTICATED = frozenset({"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/oauth2-redirect"})


def correlation_id_from(value: str | None) -> str:
    """The client's correlation id when it is a bounded token, else a new one: the value goes
    into CloudEvents, NATS headers and partners' systems."""
    if value is not None and CORRELATION_ID.fullmatch(value):
        return value
    return new_event_id()


class BodyTooLarge(Exception):
    pass


@dataclass
class EdgeConfig:
    verifier: TokenVerifier
    max_body_bytes: int
    max_upload_bytes: int
    api_limiter: RateLimiter | None = None
    public_limiter: RateLimiter | None = None
    webhook_limiter: RateLimiter | None = None
    rate_limit_exempt_subjects: frozenset[str] = field(default_factory=frozenset)


class Edge:
    def __init__(self, app: ASGIApp, *, config: EdgeConfig) -> None:
        self.app, self.config = app, config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        correlation_id = correlation_id_from(headers.get("x-correlation-id"))
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        path: str = scope["path"]
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                ours = [(b"x-correlation-id", correlation_id.encode()), (b"x-content-type-options", b"nosniff")]
                if path.startswith(API_PREFIX) and not path.startswith(PUBLIC_PREFIX):
                    ours.append((b"cache-control", b"no-store"))  # personal data and exports
                replaced = {name for name, _ in ours}
                out = [(k, v) for k, v in message.get("headers", []) if k.lower() not in replaced] + ours
                message = {**message, "headers": out}
            await send(message)

        with bound(correlation_id=correlation_id, path=path):
            try:
                await self._handle(scope, receive, send_with_headers, headers)
            except Exception:
                log.exception("unhandled error", method=scope.get("method"))
                if not started:
                    await problem_response(make_problem(500, "internal", "Internal error",
                                                        f"correlation id {correlation_id}"))(
                        scope, receive, send_with_headers)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        path: str = scope["path"]
        needs_auth = self._needs_auth(path)
        who: Principal | AuthError | None = None
        authorization = headers.get("authorization")
        if needs_auth or (path.startswith(API_PREFIX) and authorization):
            who = await self._verify(authorization)
            if isinstance(who, Principal):
                scope["state"]["principal"] = who
        limited = self._too_many(scope, path, who)
        if limited is not None:
            await limited(scope, receive, send)
            return
        if needs_auth and isinstance(who, AuthError):  # refused before a byte of the body is read
            await auth_problem(who)(scope, receive, send)
            return
        limit = self.config.max_upload_bytes if (scope["method"], path) == ("POST", IMPORTS_PATH) \
            else MAX_WEBHOOK_PAYLOAD if path.startswith(SIGNED_WEBHOOKS) else self.config.max_body_bytes
        too_large = problem_response(make_problem(413, "too-large", "Request body too large",
                                                  f"at most {limit} bytes"))
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await too_large(scope, receive, send)
            return
        await self._limited_body(scope, receive, send, limit, too_large)

    async def _limited_body(self, scope: Scope, receive: Receive, send: Send, limit: int,
                            too_large: Response) -> None:
        received, overflow, started = 0, False, False

        async def counting_receive() -> Message:
            nonlocal received, overflow
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflow = True
                    raise BodyTooLarge(limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if overflow:  # whatever the app made of the interrupted body, the answer is 413
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not overflow:
                raise
        if overflow and not started:
            await too_large(scope, receive, send)

    @staticmethod
    def _needs_auth(path: str) -> bool:
        """Every API route but the public showcase, the payment providers' signed webhooks and
        the API's own documentation takes a bearer token (unknown API paths too: without a
        token, the answer is 401, not 404)."""
        return path.startswith(API_PREFIX) and not path.startswith((PUBLIC_PREFIX, *SIGNED_WEBHOOKS)) \
            and path not in UNAUTHENTICATED

    async def _verify(self, authorization: str | None) -> Principal | AuthError:
        verifier = self.config.verifier
        if not authorization:  # no thread hop for the common refusal
            return AuthError(401, "a bearer token is required")
        try:
            return await run_in_threadpool(verifier.verify, authorization)  # a JWKS fetch blocks
        except AuthError as exc:
            return exc

    def _too_many(self, scope: Scope, path: str, who: Principal | AuthError | None) -> Response | None:
        if not path.startswith(API_PREFIX):
            return None
        client = scope.get("client")
        address = f"address:{client[0] if client else 'unknown'}"
        limiter: RateLimiter | None
        if path.startswith(PUBLIC_PREFIX):
            limiter, key = self.config.public_limiter, address
        elif path.startswith(SIGNED_WEBHOOKS):  # its own bucket: a flood there starves nobody else
            limiter, key = self.config.webhook_limiter, address
        elif isinstance(who, Principal):  # only a verified token gets its own bucket
            if who.subject in self.config.rate_limit_exempt_subjects:
                return None
            limiter, key = self.config.api_limiter, f"principal:{who.tenant}:{who.subject}"
        else:  # no token, or an invalid one: a new junk token per request changes nothing
            limiter, key = self.config.api_limiter, address
        wait = limiter.allow(key) if limiter else 0.0
        if not wait:
            return None
        # One figure for the header and the text: whole seconds, at least 1 (never "retry in 0.0 s").
        seconds = max(1, math.ceil(wait))
        return problem_response(make_problem(429, "rate-limited", "Too many requests", f"retry in {seconds} s"),
                                {"Retry-After": str(seconds)})



def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        name = key.decode("latin-1").lower()
        out.setdefault(name, value.decode("latin-1"))
    return out

