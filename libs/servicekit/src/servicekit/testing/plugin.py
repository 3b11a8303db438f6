"""pytest fixtures shared by every test tree (registered as the `servicekit` pytest plugin).

Servers are session-scoped (stopping SecantusDB takes seconds); each test gets its own
database names and a freshly declared topology with short backoffs.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import nats
import pytest
import pytest_asyncio
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from pymongo import AsyncMongoClient
from uuid6 import uuid7

from servicekit import tenant_guard
from servicekit.mongo import Document, create_client
from servicekit.testing.recorder import EventRecorder
from servicekit.testing.servers import provide_mongo, provide_nats
from servicekit.topology import TopologySettings, apply, reset

FAST_TOPOLOGY = TopologySettings(max_deliver=4, backoff_seconds=[0.2, 0.4, 0.8], duplicate_window_seconds=120)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cross_tenant(reason): the test queries a scratch collection without "
                                       "a tenant on purpose (the tenant guard does not fail it)")
    # Every client the tests create (the services' included) checks that queries name their
    # tenant; `SERVICEKIT_TENANT_GUARD=off` turns it off.
    if os.environ.get(tenant_guard.ENV) != "off":
        tenant_guard.enable_in_process()


@pytest.fixture(autouse=True)
def tenant_predicates(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a test during which a service sent a query without its tenant predicate
    (DESIGN §4, §6; cross-tenant operations by design are in `tenant_guard.ALLOW_LIST`).
    A test of a generic primitive on a scratch collection says so with
    `@pytest.mark.cross_tenant("why")`."""
    tenant_guard.RECORDED.clear()
    yield
    found, tenant_guard.RECORDED[:] = list(tenant_guard.RECORDED), []
    if found and request.node.get_closest_marker("cross_tenant") is None:
        lines = "\n".join(f"  {v.collection}.{v.command} {v.shape}: {v.problem} — {v.caller}" for v in found)
        pytest.fail(f"{len(found)} quer{'y' if len(found) == 1 else 'ies'} without a tenant predicate:\n{lines}",
                    pytrace=False)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp: Path = tmp_path_factory.mktemp("servers")
    with ExitStack() as stack:
        yield {"nats": provide_nats(stack, tmp), "mongo": provide_mongo(stack, tmp)}


@pytest.fixture(scope="session")
def nats_url(servers: dict[str, str]) -> str:
    return servers["nats"]


@pytest.fixture(scope="session")
def mongo_uri(servers: dict[str, str]) -> str:
    return servers["mongo"]


@pytest_asyncio.fixture
async def mongo_client(mongo_uri: str) -> AsyncIterator[AsyncMongoClient[Document]]:
    client = create_client(mongo_uri, "tests")
    yield client
    await client.close()


@pytest.fixture
def db_name() -> str:
    return f"test_{uuid7().hex}"


@pytest_asyncio.fixture
async def db(mongo_client: AsyncMongoClient[Document], db_name: str) -> AsyncIterator[Any]:
    yield mongo_client[db_name]
    await mongo_client.drop_database(db_name)


@pytest_asyncio.fixture
async def nats_client(nats_url: str) -> AsyncIterator[NatsClient]:
    nc = await nats.connect(nats_url, name="tests")
    yield nc
    await nc.drain()


@pytest_asyncio.fixture
async def js(nats_client: NatsClient) -> JetStreamContext:
    return nats_client.jetstream()


@pytest_asyncio.fixture
async def topology(js: JetStreamContext) -> TopologySettings:
    """A freshly declared topology (every stream empty) with short backoffs."""
    await reset(js)
    await apply(js, FAST_TOPOLOGY)
    return FAST_TOPOLOGY


@pytest_asyncio.fixture
async def event_recorder(nats_client: NatsClient) -> AsyncIterator[EventRecorder]:
    recorder = await EventRecorder(nats_client).start()
    yield recorder
    await recorder.stop()


def pytest_report_header(config: pytest.Config) -> str:
    sources = []
    sources.append("nats: " + ("external" if os.environ.get("ALUMNI_TEST_NATS_URL") else "embedded/containers"))
    sources.append("mongo: " + ("external" if os.environ.get("ALUMNI_TEST_MONGO_URI") else "embedded/containers"))
    return "servers: " + ", ".join(sources)
