"""A service's message bus and the declarations of its use cases.

`MessageBus` maps each command or query type to the one handler that handles it, with its
dependencies injected; each service's `bootstrap.py` builds it (with fakes in unit tests).
A `UseCase` declares once everything about one request/reply operation: its subject, request
contract, the roles allowed, the ownership rule, whether it is idempotent, how the command is
built from the request and the caller, and how the handler's result becomes the reply. A
service's list of `UseCase`s is the one place that says what it does; `serve` turns it into
the `RequestHandler`s that the one generic request/reply adapter (`servicekit.rpc`) serves.

Every request/reply operation of every service is declared this way: each service's
`entrypoints/use_cases` (a module; in members a package, one module per slice) lists its
`UseCase`s as `USE_CASES`, and `bootstrap.py` wires their handlers with `MessageBus.wire`. No
service writes a `RequestHandler` by hand; the per-member export (`servicekit.data_export`)
is the one generic use case, which every service adds with `export_handler`, declared and
served the same way.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from alumni_contracts.rpc import Principal, Role
from servicekit.authz import Ownership, acting_member, is_staff
from servicekit.rpc import RequestHandler

Handler = Callable[[Any], Awaitable[Any]]
Req = TypeVar("Req", bound=BaseModel)


class UnknownMessage(LookupError):
    """No handler for this message type: a wiring error, found by the tests through bootstrap."""


@dataclass(frozen=True)
class Fresh:
    """A dependency built anew for each message (a unit of work)."""

    factory: Callable[[], Any]


def fresh(factory: Callable[[], Any]) -> Fresh:
    return Fresh(factory)


class MessageBus:
    """Command/query type → handler. Handlers take the message and return its result."""

    def __init__(self, handlers: Mapping[type, Handler]) -> None:
        self._handlers = dict(handlers)

    @classmethod
    def wire(cls, handlers: Iterable[Callable[..., Awaitable[Any]]], others: Mapping[type, Handler] | None = None,
             **dependencies: Any) -> MessageBus:
        """Register handlers by the type of their first parameter; every other parameter is
        injected by name from `dependencies` (a `Fresh` one is built per message); parameters
        with a default that no dependency names keep their default (the clock). `others`:
        handlers already closed over their dependencies."""
        table: dict[type, Handler] = {}
        for handler in handlers:
            message_type, bound = _inject(handler, dependencies)
            if message_type in table:
                raise ValueError(f"two handlers for {message_type.__name__}")
            table[message_type] = bound
        for message_type, handler in (others or {}).items():
            if message_type in table:
                raise ValueError(f"two handlers for {message_type.__name__}")
            table[message_type] = handler
        return cls(table)

    @property
    def message_types(self) -> frozenset[type]:
        return frozenset(self._handlers)

    async def handle(self, message: object) -> Any:
        handler = self._handlers.get(type(message))
        if handler is None:
            raise UnknownMessage(f"no handler for {type(message).__name__}")
        return await handler(message)


def _inject(handler: Callable[..., Awaitable[Any]], dependencies: Mapping[str, Any]) -> tuple[type, Handler]:
    hints = typing.get_type_hints(handler)
    params = list(inspect.signature(handler).parameters.values())
    message_type = hints[params[0].name]
    wanted: list[str] = []
    for p in params[1:]:
        if p.name in dependencies:
            wanted.append(p.name)
        elif p.default is inspect.Parameter.empty:
            raise TypeError(f"{handler.__qualname__}: no dependency named {p.name!r}")

    shared = {name: dependencies[name] for name in wanted if not isinstance(dependencies[name], Fresh)}
    per_message = [(name, dependencies[name].factory) for name in wanted if isinstance(dependencies[name], Fresh)]

    async def bound(message: Any) -> Any:
        return await handler(message, **shared, **{name: make() for name, make in per_message})

    return message_type, bound


@dataclass(frozen=True)
class Caller:
    """Who calls a use case, as its command builder sees them."""

    principal: Principal
    member_id: str | None = None  # the member acted on, by the use case's ownership rule

    @property
    def tenant(self) -> str:
        return self.principal.tenant

    @property
    def subject(self) -> str:
        return self.principal.subject

    @property
    def staff(self) -> bool:
        return is_staff(self.principal)

    @property
    def own_member_id(self) -> str | None:
        return self.principal.member_id

    @property
    def target(self) -> str:
        """The member acted on (use cases declared with an ownership rule)."""
        assert self.member_id is not None, "declare an ownership rule to act on a member"
        return self.member_id


def _same(result: Any) -> BaseModel:
    assert isinstance(result, BaseModel)
    return result


@dataclass(frozen=True, kw_only=True)
class UseCase(Generic[Req]):
    """One request/reply operation of a service, declared once."""

    subject: str
    request: type[Req]
    roles: frozenset[Role]
    message: Callable[[Req, Caller], object]  # the command or query the bus handles
    reply: Callable[[Any], BaseModel] = _same  # the handler's result → the reply contract
    idempotent: bool = False  # a command: one transaction with its idempotency key and reply
    ownership: Ownership = Ownership.NONE
    member_field: str = "member_id"  # the request field naming a member (ownership rules)
    description: str = ""

    def caller(self, request: Req, who: Principal) -> Caller:
        if self.ownership is Ownership.NONE:
            return Caller(who)
        return Caller(who, acting_member(who, getattr(request, self.member_field, None), self.ownership))


def serve(use_cases: Iterable[UseCase[Any]], bus: MessageBus) -> list[RequestHandler]:
    """The request handlers of these declarations, each calling the bus; refuses a subject
    declared twice or a declaration naming no role."""
    declared = list(use_cases)
    check_declarations(declared)
    return [_handler(u, bus) for u in declared]


def check_declarations(use_cases: Sequence[UseCase[Any]]) -> None:
    seen: set[str] = set()
    for u in use_cases:
        if u.subject in seen:
            raise ValueError(f"use case {u.subject} declared twice")
        if not u.roles:
            raise ValueError(f"use case {u.subject} names no role")
        seen.add(u.subject)


def _handler(use_case: UseCase[Any], bus: MessageBus) -> RequestHandler:
    async def handle(request: Any, who: Principal) -> BaseModel:
        return use_case.reply(await bus.handle(use_case.message(request, use_case.caller(request, who))))

    return RequestHandler(use_case.subject, use_case.request, handle, use_case.roles, idempotent=use_case.idempotent,
                          description=use_case.description)

