"""Commands and queries to the services over NATS request/reply."""

from __future__ import annotations

from nats.aio.client import Client as NatsClient
from nats.errors import MaxPayloadError, NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from pydantic import BaseModel

from alumni_contracts import naming
from alumni_contracts.rpc import Principal, Problem, Reply, problem_type


class NatsBus:
    def __init__(self, nc: NatsClient, timeout: float) -> None:
        self._nc = nc
        self._timeout = timeout

    async def request(self, subject: str, payload: BaseModel, principal: Principal, correlation_id: str,
                      idempotency_key: str | None = None) -> Reply:
        headers = {
            naming.HEADER_TENANT: principal.tenant,
            naming.HEADER_PRINCIPAL: principal.model_dump_json(),
            naming.HEADER_CORRELATION: correlation_id,
        }
        if idempotency_key is not None:
            headers[naming.HEADER_IDEMPOTENCY_KEY] = idempotency_key
        try:
            msg = await self._nc.request(subject, payload.model_dump_json().encode(), timeout=self._timeout,
                                         headers=headers)
        except NoRespondersError:
            return Reply.failure(Problem(type=problem_type("unavailable"), title="Service unavailable",
                                         status=503, detail=f"no service answers {subject}"))
        except MaxPayloadError:
            return Reply.failure(Problem(type=problem_type("too-large"), title="Request body too large", status=413,
                                         detail="the request is larger than a message to the services may be"))
        except NatsTimeout:
            return Reply.failure(Problem(type=problem_type("timeout"), title="Service timeout", status=504,
                                         detail=f"{subject} did not answer in {self._timeout}s"))
        return Reply.model_validate_json(msg.data)

    async def put_file(self, name: str, data: bytes) -> None:
        """Store an upload in the JetStream object store (chunked: larger than a NATS message)."""
        store = await self._nc.jetstream().object_store(naming.IMPORTS_BUCKET)
        await store.put(name, data)
