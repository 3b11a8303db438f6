"""Cross-service test fixtures: the whole platform, started exactly as `make run` starts it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alumni_local.runner import Platform, Ports
from servicekit.testing.plugin import FAST_TOPOLOGY

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    platform = Platform(data_dir=tmp_path_factory.mktemp("platform"), ports=Ports.free(),
                        tenants=["demo", "other"], topology=FAST_TOPOLOGY,
                        extra_env={"NOTIFICATIONS_DELIVERY_POLL_SECONDS": "0.2"})
    try:
        platform.start(timeout=120)
        yield platform
    finally:
        platform.stop()
