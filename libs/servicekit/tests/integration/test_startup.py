"""A service started before its dependencies waits for them instead of crashing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import nats
import pytest

from alumni_contracts.envelope import CloudEvent
from alumni_contracts.subscriptions import subscriptions_of
from servicekit.devservers import free_port, start_nats
from servicekit.runtime import Infrastructure, ServiceHost, ServiceParts
from servicekit.settings import ServiceSettings
from servicekit.topology import TopologySettings, apply

pytestmark = pytest.mark.integration


async def test_service_waits_for_nats_and_the_topology(tmp_path: Path, mongo_uri: str, db_name: str,
                                                       mongo_client: Any) -> None:
    port = free_port()
    handled: list[str] = []

    async def on_member_registered(event: CloudEvent[Any]) -> None:
        handled.append(event.id)

    def build(infra: Infrastructure) -> ServiceParts:
        return ServiceParts(events=[(sub, on_member_registered) for sub in subscriptions_of("events")])

    settings = ServiceSettings(nats_url=f"nats://127.0.0.1:{port}", mongo_uri=mongo_uri, mongo_db=db_name,
                               http_port=0)
    host = ServiceHost("events", settings, build)
    starting = asyncio.create_task(host.start())
    await asyncio.sleep(1.5)
    assert not starting.done(), "no NATS yet: still waiting, not crashed"

    server = await asyncio.to_thread(start_nats, tmp_path / "late-nats", port)
    try:
        await asyncio.sleep(1.5)
        assert not starting.done(), "NATS is up but the topology is not declared: still waiting"
        nc = await nats.connect(server.url)
        await apply(nc.jetstream(), TopologySettings())
        await asyncio.wait_for(starting, 20)
        await nc.drain()
    finally:
        if starting.done():
            await host.stop()
        else:
            starting.cancel()
        server.stop()
        await mongo_client.drop_database(db_name)
