"""Schemathesis against the gateway's own OpenAPI document, in process (ASGI), with the fake
bus of the unit tests: every operation, positive and negative examples, every check —
including `ignored_auth`, which replays successful calls without and with a broken token.

Bounded: a few examples per operation, no shrinking, and the whole module well under a
minute. The fake bus answers a handful of queries and commands with valid results (so
`ignored_auth` and the response-schema checks see successes) and every other one with the
404 problem a service answers for an unknown id.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, settings
from pydantic import BaseModel
from schemathesis import GenerationMode

from alumni_contracts import naming
from alumni_contracts.events import commands as ev
from alumni_contracts.fundraising import commands as fr
from alumni_contracts.members import commands as mb
from alumni_contracts.notifications import commands as nc
from alumni_contracts.rpc import Principal, Problem, Reply, problem_type
from gateway_service.adapters.auth import DevIssuer, TokenVerifier
from gateway_service.entrypoints.app import create_app

ISSUER, AUDIENCE = "urn:test-issuer", "alumni-api"

_members = {name: {"items": []} for name in (mb.LIST_IMPORTS, mb.LIST_MEMBERS, mb.SEARCH_DIRECTORY,
                                             mb.PUBLIC_SHOWCASE, mb.LIST_GROUPS, mb.MY_GROUPS)}
RESULTS: dict[str, dict[str, Any]] = {
    **{naming.query_subject("members", name): result for name, result in _members.items()},
    naming.command_subject("members", mb.REGISTER_MEMBER): {"member_id": "m1"},
    naming.query_subject("members", mb.GET_SECTORS): {"version": 0, "sectors": []},
    naming.command_subject("events", ev.SCHEDULE_EVENT): {"event_id": "e1"},
    naming.command_subject("fundraising", fr.RECORD_DONATION): {"donation_id": "d1"},
    naming.command_subject("fundraising", fr.RECEIVE_PAYMENT_WEBHOOK): {"outcome": "processed"},
    naming.query_subject("fundraising", fr.LIST_PAYMENTS): {"items": []},
    naming.query_subject("notifications", nc.LIST_MY_NOTIFICATIONS): {"items": [], "unread": 0},
    naming.query_subject("notifications", nc.GET_MY_PREFERENCES): {"preferences": {}, "consents": {}},
    naming.query_subject("notifications", nc.GET_CONTACTABILITY): {"cohorts": [], "alumni": 0, "contactable": 0,
                                                                   "ratio": 0.0},
    naming.command_subject("notifications", nc.RECEIVE_BOUNCE_WEBHOOK): {"outcome": "processed"},
}


class SchemaBus:
    async def request(self, subject: str, payload: BaseModel, principal: Principal, correlation_id: str,
                      idempotency_key: str | None = None) -> Reply:
        if subject in RESULTS:
            return Reply(ok=True, result=RESULTS[subject])
        return Reply.failure(Problem(type=problem_type("not-found"), title="Not found", status=404))

    async def put_file(self, name: str, data: bytes) -> None:
        return None


def _app_and_token() -> tuple[Any, str]:
    issuer = DevIssuer(rsa.generate_private_key(public_exponent=65537, key_size=2048), ISSUER, AUDIENCE)
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, tenants=["demo"], public_key=issuer.key.public_key())
    bus = SchemaBus()

    async def bus_factory() -> SchemaBus:
        return bus

    app = create_app(bus_factory, verifier, max_body_bytes=16 * 1024, max_upload_bytes=64 * 1024)  # type: ignore[arg-type]
    app.state.bus = bus  # the ASGI client does not run the lifespan
    return app, issuer.issue("demo", "schemathesis", ["manager"], member_id="m1")


APP, TOKEN = _app_and_token()
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=4,
                                no_shrink=True, deterministic=True)
# Every check stays on; two take statuses the API documents for good reasons:
# - a schema-valid request can still break a rule across fields that JSON Schema cannot say
#   (an event ending before it starts, `year` together with `year_from`, a showcase consent
#   without its scope, an empty CSV upload): the gateway answers 422 with the field errors;
# - a schema-violating request can also be refused for its size first (413).
checks = schema.config.checks  # new lists: the defaults are shared class attributes
checks.positive_data_acceptance.expected_statuses = [*checks.positive_data_acceptance.expected_statuses, "422"]
checks.negative_data_rejection.expected_statuses = [*checks.negative_data_rejection.expected_statuses, "413"]


@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_every_operation_conforms_to_the_openapi_document(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
