"""The tenant guard: proof that every query names its tenant (DESIGN §4 and §6).

A PyMongo command listener that inspects every `find`, `update`, `delete`, `aggregate` (its
first `$match`), `count`, `distinct` and `findAndModify` a service sends to its database and
records those whose filter does not pin exactly one tenant: a top-level `tenant` equal to one
value (`"t"`, `{"$eq": "t"}` or `{"$in": ["t"]}`), or an `$and` with such a branch, or an `$or`
whose every branch pins the same tenant. The operations that are cross-tenant by design are
declared once, in `ALLOW_LIST`, with the reason, by collection, command and the function that
issues them — a new query elsewhere on the same collection is still checked.

Off by default (production does not pay for it). `create_client` installs it when the guard is
configured: in-process by the pytest plugin (`enable_in_process`, violations kept in memory
and checked after each test), or for separate processes (the end-to-end platform) by the
environment variable `SERVICEKIT_TENANT_GUARD=record:<path>` — each violation is appended to
the file as one JSON line, and the test session fails if the file has any.

Queries issued by test code itself (files under a `tests/` directory or `servicekit.testing`)
are not the services' and are ignored; the caller is the innermost frame outside PyMongo.
Filter values are never recorded, only the filter's shape (they may hold personal data).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from pymongo import monitoring

ENV = "SERVICEKIT_TENANT_GUARD"
INSPECTED = frozenset({"find", "update", "delete", "aggregate", "count", "distinct", "findAndModify"})
SYSTEM_DATABASES = frozenset({"admin", "config", "local"})
TENANT = "tenant"
# Collections whose tenant lives under another field: one document per tenant, keyed by it.
TENANT_FIELDS: dict[str, str] = {"tenant_settings": "_id"}


@dataclass(frozen=True)
class CrossTenant:
    """Queries on `collection` without a tenant, allowed when issued by one of `callers`
    (`module.QualifiedName` of the function; its nested comprehensions and closures included)."""

    collection: str
    commands: frozenset[str]
    callers: frozenset[str]
    reason: str


def _allow(collection: str, commands: str, callers: str, reason: str) -> CrossTenant:
    return CrossTenant(collection, frozenset(commands.split()), frozenset(callers.split()), reason)


_LEASES = " ".join(f"servicekit.leases.LeasedQueue.{method}"
                   for method in ("claim", "complete", "renew", "renew_one", "release", "retry_later"))
_NAMED_LEASE = " ".join(f"servicekit.leases.NamedLease.{method}" for method in ("acquire", "ran", "release"))

# THE list of queries that are cross-tenant by design. Everything else names its tenant.
ALLOW_LIST: tuple[CrossTenant, ...] = (
    _allow("outbox", "find update", _LEASES,
           "the relay publishes every tenant's records (each record's subject carries its tenant): it claims "
           "due records by status and date, then settles them by id and the lease token only its claim knows"),
    _allow("outbox", "aggregate find", "servicekit.outbox.outbox_status",
           "`alumni-ops outbox status`: the operator's view of the whole service"),
    _allow("notifications", "find update", _LEASES,
           "the mailer delivers every tenant's queue, like the outbox relay (claim by due date, settle by id "
           "and lease token)"),
    _allow("import_jobs", "find update", _LEASES,
           "the import worker claims any tenant's job in a working state, then renews and releases it by id "
           "and its lease token; the job it runs is then read by (tenant, id)"),
    _allow("receipt_jobs", "find update", _LEASES,
           "the yearly-receipt worker (fundraising) claims any tenant's running job, then renews and releases "
           "it by id and its lease token; the job it runs is then read by (tenant, id)"),
    _allow("receipt_pending_lines", "delete",
           "fundraising_service.adapters.mongo_receipts.MongoReceiptProfiles.release",
           "held gifts are deleted by `_id` alone: every id starts with `<tenant>:` (checked before the query), "
           "and naming `tenant` beside `_id: {$in}` makes the stand-in scan the collection"),
    _allow("leases", "find update", _NAMED_LEASE,
           "one lease per (service, sweep) so that one replica runs each cross-tenant sweep: no tenant data"),
    _allow("import_jobs", "find", "members_service.adapters.mongo_imports.MongoImportJobRepository.expired",
           "retention sweep: import reports past `report_expires_at`, in every tenant (each is then deleted "
           "by tenant and id)"),
    _allow("inbox", "find", "servicekit.inbox.seen",
           "the inbox is keyed by (consumer, event id): event ids are UUIDv7 minted by the producer and "
           "JetStream deduplicates them stream-wide, not per tenant; the lookup returns only `_id`"),
    _allow("members", "find", "members_service.adapters.mongo_showcase.MongoShowcaseRepository.expiring",
           "showcase expiry sweep over every tenant (each expiry is then handled by tenant and id)"),
    _allow("erasures", "find", "members_service.adapters.mongo_erasures.MongoErasureRepository.overdue",
           "erasure deadline watch over every tenant"),
    _allow("jobs", "find", "community_service.adapters.mongo_repository.MongoJobRepository.due_expiry",
           "job-offer expiry sweep over every tenant: finds due (tenant, id) pairs, each then handled by tenant and id"),
    _allow("help_requests", "find", "community_service.adapters.mongo_repository.MongoHelpRequestRepository.due",
           "help-request scheduler over every tenant: finds due (tenant, id) pairs, each then handled by tenant and id"),
    _allow("recurring_gifts", "find", "fundraising_service.adapters.gift_repository.MongoRecurringGiftRepository.due",
           "recurring-gift charge scheduler over every tenant: finds due (tenant, id) pairs, each then claimed and "
           "charged by tenant and id"),
    _allow("dues_memberships", "find", "members_service.adapters.mongo_dues_memberships.MongoDuesMembershipRepository.due",
           "membership scheduler over every tenant: finds due (tenant, id) pairs, each then handled by tenant and id"),
    _allow("newsletters", "find", "notifications_service.adapters.newsletters.due_newsletters",
           "the newsletter fan-out sweep looks for every tenant's due newsletters (then works per tenant)"),
    _allow("dues_memberships", "find", "notifications_service.adapters.mongo_repository.reminder_candidates",
           "dues reminder sweep over every tenant: memberships near or past their end, each then queued and "
           "recorded by tenant and id"),
    _allow("partner_webhooks", "find", "notifications_service.adapters.partner_webhooks_repository.MongoDeliveryLog.active",
           "the partner webhook dispatcher runs one consumer per active subscription of every tenant (each "
           "delivery then reads and writes by tenant and id)"),
    _allow("partner_webhooks", "find", "notifications_service.adapters.partner_webhooks_repository.reseal_all",
           "the operator's re-key command re-encrypts every tenant's signing secrets (each row is then rewritten "
           "by tenant, id and version)"),
    _allow("members", "distinct", "members_service.adapters.mongo_name_order_sketch.NameOrderSketches.refresh_due",
           "which tenants exist, to rebuild each tenant's directory sketch (the rebuild reads by tenant)"),
    _allow("directory_sketches", "find", "members_service.adapters.mongo_name_order_sketch.NameOrderSketches.refresh_due",
           "which tenants still have a sketch (an erasure deletes them): projects `tenant` only"),
    _allow("members", "find", "members_service.adapters.mongo_search_keys.rekey_members",
           "start-up migration of the search keys of every tenant's members (each update names its tenant)"),
    _allow("schema_versions", "find update", "members_service.adapters.mongo_search_keys.rekey_members",
           "the service's own migration markers: no tenant data"),
    _allow("invitation_batches", "find", "events_service.adapters.mongo_repository.MongoInvitationBatches.pending",
           "invitation sweep over every tenant: unsent batches by due date, each then sent and marked by tenant and id"),
    _allow("registrations", "find", "events_service.adapters.mongo_repository.MongoRegistrationRepository.expired_holds",
           "seat-hold sweep over every tenant: lapsed offers and unpaid holds, each then released by tenant and id"),
    _allow("events", "find", "events_service.adapters.mongo_repository.MongoSeatLedger.stale_claims",
           "seat-claim sweep over every tenant's current events (each claim then settled by tenant and id)"),
)


@dataclass(frozen=True)
class Violation:
    app: str
    database: str
    collection: str
    command: str
    problem: str
    shape: Any  # the filter with its values replaced by "?"
    caller: str  # module.function (file:line)


def shape(value: Any) -> Any:
    """The filter's structure without its values (which may be personal data)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [shape(v) for v in value[:3]]
    return "?"


def _values(condition: Any) -> frozenset[Any] | None:
    """The tenants one field condition allows, or None when it does not pin them."""
    if isinstance(condition, str):
        return frozenset({condition})
    if isinstance(condition, dict):
        if set(condition) == {"$eq"} and isinstance(condition["$eq"], str):
            return frozenset({condition["$eq"]})
        if set(condition) == {"$in"} and isinstance(condition["$in"], list | tuple) \
                and all(isinstance(v, str) for v in condition["$in"]):
            return frozenset(condition["$in"])
    return None


def tenants_of(query: Any, field: str = TENANT) -> frozenset[Any] | None:
    """The tenants a filter can match, or None when it does not constrain them."""
    if not isinstance(query, dict):
        return None
    found: frozenset[Any] | None = None

    def narrow(allowed: frozenset[Any] | None) -> None:
        nonlocal found
        if allowed is not None:
            found = allowed if found is None else found & allowed

    if field in query:
        narrow(_values(query[field]))
    for branch in query.get("$and", []) if isinstance(query.get("$and"), list) else []:
        narrow(tenants_of(branch, field))
    branches = query.get("$or")
    if isinstance(branches, list) and branches:
        each = [tenants_of(b, field) for b in branches]
        if all(t is not None for t in each):
            narrow(frozenset().union(*(t for t in each if t is not None)))
    return found


def problem_of(query: Any, field: str = TENANT) -> str | None:
    tenants = tenants_of(query, field)
    if tenants is None:
        return f"no `{field}` predicate"
    if len(tenants) > 1:
        return f"`{field}` allows {len(tenants)} tenants"
    return None


def filters_of(command_name: str, command: Mapping[str, Any]) -> list[Any]:
    """The filters a command applies (several for a bulk update or delete)."""
    if command_name == "find":
        return [command.get("filter", {})]
    if command_name == "update":
        return [u.get("q", {}) for u in command.get("updates", [])]
    if command_name == "delete":
        return [d.get("q", {}) for d in command.get("deletes", [])]
    if command_name == "aggregate":
        pipeline = command.get("pipeline") or [{}]
        first = pipeline[0] if isinstance(pipeline[0], dict) else {}
        return [first.get("$match", {}) if "$match" in first else {"$no_leading_match": True}]
    if command_name in ("count", "distinct", "findAndModify"):
        return [command.get("query", {})]
    return []


_SKIPPED_MODULES = ("pymongo.", "bson.", "asyncio.", "contextlib", "servicekit.tenant_guard")


def _caller(frame: FrameType | None) -> tuple[str, str, bool]:
    """(module.qualname, file:line, is test code) of the innermost frame outside PyMongo."""
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if not module.startswith(_SKIPPED_MODULES) and module not in ("pymongo", "asyncio"):
            code = frame.f_code
            path = code.co_filename
            parts = Path(path).parts
            test_code = "tests" in parts or module.startswith("servicekit.testing") or module.startswith("test_")
            return f"{module}.{code.co_qualname}", f"{path}:{frame.f_lineno}", test_code
        frame = frame.f_back
    return "?", "?", False


def _allowed(entry: CrossTenant, collection: str, command: str, caller: str) -> bool:
    return entry.collection == collection and command in entry.commands and any(
        caller == c or caller.startswith(c + ".<locals>.") for c in entry.callers)


class TenantGuard(monitoring.CommandListener):
    def __init__(self, app: str, sink: Callable[[Violation], None],
                 allow: Iterable[CrossTenant] = ALLOW_LIST, ignore_test_code: bool = True) -> None:
        self.app, self._sink, self._allow = app, sink, tuple(allow)
        self._ignore_test_code = ignore_test_code

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        if name not in INSPECTED or event.database_name in SYSTEM_DATABASES:
            return
        collection = event.command.get(name)
        if not isinstance(collection, str):
            return  # a database-level aggregate: no collection of the service
        field = TENANT_FIELDS.get(collection, TENANT)
        found = [(q, p) for q in filters_of(name, event.command) if (p := problem_of(q, field))]
        if not found:
            return
        caller, where, test_code = _caller(sys._getframe(1))
        if (test_code and self._ignore_test_code) or any(_allowed(e, collection, name, caller) for e in self._allow):
            return
        for query, problem in found:
            self._sink(Violation(self.app, event.database_name, collection, name, problem, shape(query),
                                 f"{caller} ({where})"))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


# -- where violations go ---------------------------------------------------------------------

RECORDED: list[Violation] = []  # in-process mode (the pytest plugin)
_in_process = False
_lock = threading.Lock()


def enable_in_process(enabled: bool = True) -> None:
    """Clients created from now on in this process record violations in `RECORDED`."""
    global _in_process
    _in_process = enabled


class FileSink:
    """Appends each violation as one JSON line (several processes may share the file)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, violation: Violation) -> None:
        line = json.dumps(asdict(violation), sort_keys=True, default=str) + "\n"
        with _lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)


def configured(app: str) -> TenantGuard | None:
    """The guard `create_client` installs, if any (None by default: production)."""
    value = os.environ.get(ENV, "")
    if value.startswith("record:") and len(value) > len("record:"):
        return TenantGuard(app, FileSink(value.removeprefix("record:")))
    if _in_process:
        return TenantGuard(app, RECORDED.append)
    return None


def read_violations(path: str | Path) -> list[dict[str, Any]]:
    """The violations a `record:<path>` guard wrote (none if the file does not exist)."""
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]
