"""Idempotency keys through the gateway, against real servers: the gateway's NATS bus, a
service's request server over core NATS request/reply, and its idempotency records in the
database. Alumnus B replaying alumnus A's `Idempotency-Key` (same body) gets their own
command run — B asking for erasure is erased, not told 202 with A's reply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from pydantic import BaseModel

from alumni_contracts import naming
from alumni_contracts.members import commands as mb
from alumni_contracts.rpc import Principal, Role
from gateway_service.adapters.auth import DevIssuer, TokenVerifier, load_or_create_key
from gateway_service.adapters.bus import NatsBus
from gateway_service.entrypoints.app import create_app
from servicekit.domain import AggregateRoot, new_id
from servicekit.idempotency import idempotency_indexes
from servicekit.mongo import ensure_indexes
from servicekit.rpc import RequestHandler, RequestServer
from servicekit.uow import MongoUnitOfWork

pytestmark = pytest.mark.integration
ISSUER, AUDIENCE = "urn:test-issuer", "alumni-api"


class ErasureStarted(BaseModel):
    erasure_id: str
    member_id: str


async def test_another_alumnus_replaying_a_key_is_erased_not_handed_the_first_reply(
        tmp_path: Path, nats_client: NatsClient, mongo_client: Any, db: Any, db_name: str) -> None:
    await ensure_indexes(db, idempotency_indexes())

    async def request_erasure(_: mb.RequestErasure, who: Principal) -> ErasureStarted:
        assert who.member_id is not None
        async with MongoUnitOfWork(mongo_client, db_name, lambda e: e) as uow:  # type: ignore[arg-type,return-value]
            erasure_id = new_id()
            await uow.db["erasures"].insert_one({"_id": erasure_id, "tenant": who.tenant, "member_id": who.member_id},
                                                session=uow.session)
            uow.track(AggregateRoot(id=erasure_id, tenant=who.tenant))
            await uow.commit()
        return ErasureStarted(erasure_id=erasure_id, member_id=who.member_id)

    subject = naming.command_subject("members", mb.REQUEST_ERASURE)
    spec = RequestHandler(subject, mb.RequestErasure, request_erasure, frozenset({Role.ALUMNUS}), idempotent=True)
    server = RequestServer(db)

    async def serve(msg: Msg) -> None:
        reply = await server.serve(spec, msg.data, dict(msg.headers or {}))
        await msg.respond(reply.model_dump_json(exclude_none=True).encode())

    sub = await nats_client.subscribe(subject, cb=serve)
    issuer = DevIssuer(load_or_create_key(tmp_path / "key.pem"), ISSUER, AUDIENCE)
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, tenants=["demo"], public_key=issuer.key.public_key())

    async def bus_factory() -> NatsBus:
        raise AssertionError("the bus is set below")

    app = create_app(bus_factory, verifier)
    app.state.bus = NatsBus(nats_client, timeout=10)
    alice = {"Authorization": f"Bearer {issuer.issue('demo', 'alice', ['alumnus'], 'm-alice')}",
             "Idempotency-Key": "erase-1"}
    bob = {**alice, "Authorization": f"Bearer {issuer.issue('demo', 'bob', ['alumnus'], 'm-bob')}"}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            first = await client.post("/api/v1/me/erasure", headers=alice)
            stolen = await client.post("/api/v1/me/erasure", headers=bob)
            retried = await client.post("/api/v1/me/erasure", headers=alice)
    finally:
        await sub.unsubscribe()
    assert first.status_code == stolen.status_code == retried.status_code == 202
    assert first.json()["member_id"] == "m-alice" and retried.json() == first.json(), "alice's retry replays"
    assert stolen.json()["member_id"] == "m-bob" and stolen.json()["erasure_id"] != first.json()["erasure_id"]
    assert sorted([d["member_id"] async for d in db["erasures"].find({})]) == ["m-alice", "m-bob"]
