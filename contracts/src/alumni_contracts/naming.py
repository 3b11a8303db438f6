"""Every public name of the platform is built and validated here, and only here.

Subjects, streams, durable consumers, CloudEvents `type`/`source`/`dataschema`, and the
headers carried on commands. The topology tooling, the services and the tests all call these
functions, so a name can never be spelt two ways.
"""

from __future__ import annotations

import re

SERVICES = ("members", "events", "fundraising", "notifications", "community")
_TENANT = re.compile(r"^[a-z0-9-]{2,32}$")
_TOKEN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_NATS_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

MAX_NAME_LENGTH = 32
DLQ_STREAM = "DLQ"
# JetStream object store holding uploaded import files until their import completes.
IMPORTS_BUCKET = "imports"
DEAD_LETTER_PREFIX = "dlq"
MAX_DELIVERIES_ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>"
TERMINATED_ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.>"

# Headers on commands and queries (core NATS request/reply).
HEADER_TENANT = "Alumni-Tenant"
HEADER_PRINCIPAL = "Alumni-Principal"
HEADER_CORRELATION = "Alumni-Correlation-Id"
HEADER_IDEMPOTENCY_KEY = "Idempotency-Key"
# Headers on events (JetStream); the id doubles as the deduplication key.
HEADER_MSG_ID = "Nats-Msg-Id"
# Headers on dead letters.
HEADER_DEAD_REASON = "Alumni-Dead-Reason"
HEADER_DEAD_SUBJECT = "Alumni-Dead-Subject"
HEADER_DEAD_STREAM_SEQ = "Alumni-Dead-Stream-Seq"
HEADER_DEAD_CONSUMER = "Alumni-Dead-Consumer"
HEADER_DEAD_DELIVERIES = "Alumni-Dead-Deliveries"


class InvalidName(ValueError):
    """A tenant, service or message name that does not follow the conventions."""


def validate_tenant(tenant: str) -> str:
    if not _TENANT.fullmatch(tenant):
        raise InvalidName(f"tenant id {tenant!r} must match [a-z0-9-]{{2,32}}")
    return tenant


def import_object_name(tenant: str, import_id: str) -> str:
    """The uploaded file of an import in `IMPORTS_BUCKET`: `<tenant>.<import id>`. The gateway
    stores it under this name and members recomputes it: a file belongs to the tenant that
    uploaded it (tenants have no `.`, so no tenant's names are a prefix of another's)."""
    return f"{validate_tenant(tenant)}.{import_id}"


def validate_service(service: str) -> str:
    if service not in SERVICES:
        raise InvalidName(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    return service


def validate_token(token: str, what: str = "name") -> str:
    if not _TOKEN.fullmatch(token):
        raise InvalidName(f"{what} {token!r} must be snake_case ascii")
    return token


def validate_nats_name(name: str) -> str:
    """Stream and durable names become directory names on the server."""
    if not _NATS_NAME.fullmatch(name):
        raise InvalidName(
            f"{name!r} is not a valid stream/consumer name: letters, digits, '-' and '_' only,"
            f" at most {MAX_NAME_LENGTH} characters"
        )
    return name


def event_subject(tenant: str, service: str, event_name: str, version: int) -> str:
    validate_tenant(tenant)
    validate_service(service)
    validate_token(event_name, "event name")
    return f"evt.{tenant}.{service}.{event_name}.v{version}"


def event_filter(service: str, event_name: str, version: int, tenant: str = "*") -> str:
    """Subject filter for one event across tenants (or one tenant)."""
    if tenant != "*":
        validate_tenant(tenant)
    validate_service(service)
    validate_token(event_name, "event name")
    return f"evt.{tenant}.{service}.{event_name}.v{version}"


def tenant_of_subject(subject: str) -> str:
    parts = subject.split(".")
    if len(parts) != 5 or parts[0] != "evt":
        raise InvalidName(f"{subject!r} is not an event subject")
    return validate_tenant(parts[1])


def command_subject(service: str, command: str) -> str:
    return f"cmd.{validate_service(service)}.{validate_token(command, 'command')}"


def query_subject(service: str, query: str) -> str:
    return f"qry.{validate_service(service)}.{validate_token(query, 'query')}"


def stream_name(service: str) -> str:
    return validate_nats_name(f"EVT_{validate_service(service).upper()}")


def stream_subjects(service: str) -> list[str]:
    return [f"evt.*.{validate_service(service)}.>"]


def durable_name(consumer: str, event_name: str) -> str:
    """`<consumer>-<event-name>`, e.g. `notifications-member-registered` (≤ 32 chars)."""
    validate_token(consumer, "consumer")
    validate_token(event_name, "event name")
    return validate_nats_name(f"{consumer}-{event_name}".replace("_", "-"))


def dead_letter_subject(stream: str, durable: str) -> str:
    return f"{DEAD_LETTER_PREFIX}.{validate_nats_name(stream)}.{validate_nats_name(durable)}"


def dlq_subjects() -> list[str]:
    return [MAX_DELIVERIES_ADVISORY, TERMINATED_ADVISORY, f"{DEAD_LETTER_PREFIX}.>"]


def event_type(service: str, event_name: str, version: int) -> str:
    return f"org.alumni.{validate_service(service)}.{validate_token(event_name)}.v{version}"


def event_source(service: str) -> str:
    return f"/alumni/{validate_service(service)}"


def dataschema(service: str, event_name: str, version: int) -> str:
    return f"urn:alumni:schema:{validate_service(service)}:{validate_token(event_name)}:v{version}"


def schema_path(service: str, event_name: str, version: int) -> str:
    """Where the committed JSON Schema of one event version lives, under contracts/schemas/."""
    return f"{service}/{event_name}.v{version}.json"
