"""Commands and queries over core NATS request/reply.

The entry point of a service registers `RequestHandler`s; this module does the rest the same
way for every service: read tenant and principal from the headers (the gateway verified them;
the service checks again), validate the payload into the request model (field-level errors as
a 422 problem), honour the idempotency key, retry transient transaction errors, and map
domain errors to problems. Handlers receive a validated model and a principal and return a
result model; they never see bytes or headers.

A command (`idempotent=True`) runs in a transaction the server owns: it reserves the
idempotency key, calls the handler — whose units of work join the transaction — stores the
reply under the key and commits, so a change is never committed without its reply. Queries
run without one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from faststream.nats import NatsBroker, NatsMessage
from pydantic import BaseModel, ValidationError
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from alumni_contracts import naming
from alumni_contracts.envelope import new_event_id
from alumni_contracts.rpc import FieldError, Principal, Problem, Reply, Role, problem_type
from servicekit import authz, context, idempotency, metrics
from servicekit.domain import ReportedError
from servicekit.logging import bound, get_logger
from servicekit.mongo import Document
from servicekit.retry import is_transient_transaction_error, retry_transient
from servicekit.uow import DuplicateRequest, request_transaction

log = get_logger(__name__)
MAX_IDEMPOTENCY_KEY = 200


@dataclass(frozen=True)
class RequestHandler:
    """What the server serves: `servicekit.bus.serve` makes these from a service's `UseCase`
    declarations (a hand-written one is for servicekit's own handlers and tests)."""

    subject: str
    request_model: type[BaseModel]
    handler: Callable[[Any, Principal], Awaitable[BaseModel]]
    roles: frozenset[Role]
    idempotent: bool = False
    description: str = ""


def problem(status: int, slug: str, title: str, detail: str | None = None, **extra: Any) -> Problem:
    return Problem(type=problem_type(slug), title=title, status=status, detail=detail, **extra)


def validation_problem(exc: ValidationError) -> Problem:
    errors = [FieldError(loc=[str(p) if not isinstance(p, int) else p for p in e["loc"]],
                         msg=e["msg"], type=e["type"]) for e in exc.errors()]
    return problem(422, "validation", "Invalid request", f"{len(errors)} invalid field(s)", errors=errors)


def _principal(headers: dict[str, str]) -> Principal | Problem:
    tenant = headers.get(naming.HEADER_TENANT)
    raw = headers.get(naming.HEADER_PRINCIPAL)
    if not tenant or not raw:
        return problem(401, "unauthenticated", "Authentication required", "tenant and principal headers are required")
    try:
        principal = Principal.model_validate_json(raw)
    except ValidationError:
        return problem(401, "unauthenticated", "Authentication required", "malformed principal")
    if principal.tenant != tenant:
        return problem(403, "forbidden", "Forbidden", "principal does not belong to this tenant")
    return principal


class RequestServer:
    """Serves the request handlers of one service; its database holds the idempotency keys."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db

    async def serve(self, spec: RequestHandler, payload: bytes, headers: dict[str, str]) -> Reply:
        operation = spec.subject
        principal = _principal(headers)
        if isinstance(principal, Problem):
            return self._done(operation, Reply.failure(principal))
        if not authz.allowed(principal, spec.roles):
            return self._done(operation, Reply.failure(problem(
                403, "forbidden", "Forbidden", f"requires one of the roles: {', '.join(sorted(spec.roles))}")))
        try:
            request = spec.request_model.model_validate_json(payload or b"{}")
        except ValidationError as exc:
            return self._done(operation, Reply.failure(validation_problem(exc)))

        key = self._idempotency_key(spec, principal, headers, payload)
        if isinstance(key, Problem):
            return self._done(operation, Reply.failure(key))
        if key is not None:
            earlier = await self._earlier_reply(key)
            if earlier is not None:
                return self._done(operation, earlier, "replayed")

        # The request is the message being handled: its id is the causation id of what it produces.
        ctx = context.MessageContext(
            correlation_id=headers.get(naming.HEADER_CORRELATION) or new_event_id(),
            causation_id=new_event_id(), tenant=principal.tenant, principal=principal, idempotency=key)
        with bound(tenant=principal.tenant, correlation_id=ctx.correlation_id, causation_id=ctx.causation_id,
                   operation=operation), context.handling(ctx):
            reply = await self._call(spec, request, principal, key)
        return self._done(operation, reply)

    async def _call(self, spec: RequestHandler, request: BaseModel, principal: Principal,
                    key: context.IdempotencyKey | None) -> Reply:
        try:
            if spec.idempotent:
                return await retry_transient(lambda: self._in_transaction(spec, request, principal, key))
            return Reply.success(await retry_transient(lambda: spec.handler(request, principal)))
        except ReportedError as exc:  # business rejections and concurrency conflicts
            return Reply.failure(problem(exc.status, exc.code, exc.title, str(exc) or None))
        except DuplicateRequest:
            assert key is not None
            earlier = await self._earlier_reply(key)
            return earlier or Reply.failure(self._in_progress())
        except PyMongoError:
            log.exception("database error")
            return Reply.failure(problem(503, "unavailable", "Service unavailable", "database error; retry later"))
        except Exception:
            log.exception("unexpected error")
            return Reply.failure(problem(500, "internal", "Internal error"))

    async def _in_transaction(self, spec: RequestHandler, request: BaseModel, principal: Principal,
                              key: context.IdempotencyKey | None) -> Reply:
        """One attempt of a command: key, change and reply in one transaction."""
        async with request_transaction(self._db.client) as tx:
            if key is not None:
                await self._reserve(key, tx.session)
            reply = Reply.success(await spec.handler(request, principal))
            if key is not None:
                await idempotency.complete(self._db, key, reply.model_dump(mode="json"), tx.session)
            await tx.commit()
        return reply

    async def _reserve(self, key: context.IdempotencyKey, session: AsyncClientSession) -> None:
        """The transaction's first write: a duplicate key means another request committed the key
        first, a write conflict that another is running with it right now."""
        try:
            await idempotency.reserve(self._db, key, session)
        except DuplicateKeyError:
            raise DuplicateRequest(key.key) from None
        except PyMongoError as exc:
            if is_transient_transaction_error(exc):
                raise DuplicateRequest(key.key) from exc
            raise

    def _idempotency_key(self, spec: RequestHandler, principal: Principal, headers: dict[str, str],
                         payload: bytes) -> context.IdempotencyKey | Problem | None:
        raw = headers.get(naming.HEADER_IDEMPOTENCY_KEY)
        if raw is None or not spec.idempotent:
            return None
        if not raw or len(raw) > MAX_IDEMPOTENCY_KEY or not raw.isprintable():
            return problem(400, "bad-idempotency-key", "Invalid Idempotency-Key",
                           f"1 to {MAX_IDEMPOTENCY_KEY} printable characters")
        return context.IdempotencyKey(principal.tenant, principal.subject, spec.subject, raw,
                                      idempotency.request_hash(payload))

    async def _earlier_reply(self, key: context.IdempotencyKey) -> Reply | None:
        record = await idempotency.find(self._db, key)
        if record is None:
            return None
        if record["request_hash"] != key.request_hash:
            return Reply.failure(problem(422, "idempotency-key-reused", "Idempotency-Key reused",
                                         "this key was used with a different request body"))
        if record["reply"] is None:
            return Reply.failure(self._in_progress())
        reply = record["reply"]
        # JSON text since replies became searchable by erasures; a document in rows of earlier versions.
        return Reply.model_validate(reply) if isinstance(reply, dict) else Reply.model_validate_json(reply)

    def _in_progress(self) -> Problem:
        return problem(409, "request-in-progress", "Request in progress",
                       "a request with this Idempotency-Key is being processed; retry shortly")

    def _done(self, operation: str, reply: Reply, outcome: str | None = None) -> Reply:
        label = outcome or ("ok" if reply.ok else str(reply.problem.status if reply.problem else "error"))
        metrics.REQUESTS_SERVED.labels(operation, label).inc()
        return reply


def attach_request_handlers(broker: NatsBroker, server: RequestServer, specs: Iterable[RequestHandler],
                            queue: str, concurrency: int = 1) -> None:
    """`concurrency`: requests of one subject served at once. A core NATS subscription with a
    callback (FastStream's default subscriber) awaits each request before taking the next, so
    with 1 every request of a subject waits behind the ones before it: under load the wait,
    not the work, made the latency (bench/api_load.py)."""
    for spec in specs:
        _attach(broker, server, spec, queue, concurrency)


def _attach(broker: NatsBroker, server: RequestServer, spec: RequestHandler, queue: str, concurrency: int) -> None:
    @broker.subscriber(spec.subject, queue=queue, title=spec.subject, description=spec.description,
                       max_workers=concurrency)
    async def _on_request(msg: NatsMessage) -> bytes:
        headers = {k: v for k, v in (msg.headers or {}).items() if isinstance(v, str)}
        reply = await server.serve(spec, msg.body, headers)
        return reply.model_dump_json(exclude_none=True).encode()
