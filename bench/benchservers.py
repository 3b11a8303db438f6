"""The servers a benchmark runs against: the URIs given, or embedded ones started for the run
(SecantusDB, nats-server) in a temporary directory and stopped afterwards."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from servicekit.devservers import start_nats, start_secantus


@contextmanager
def servers(mongo_uri: str | None, nats_url: str | None, with_nats: bool = True) -> Iterator[tuple[str, str]]:
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        if not mongo_uri:
            mongo = start_secantus(Path(tmp) / "mongo")
            stack.callback(mongo.stop)
            mongo_uri = mongo.url
        if with_nats and not nats_url:
            nats_server = start_nats(Path(tmp) / "nats")
            stack.callback(nats_server.stop)
            nats_url = nats_server.url
        yield mongo_uri, nats_url or ""
