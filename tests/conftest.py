"""Cross-service test fixtures: the whole platform, started exactly as `make run` starts it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from alumni_local.runner import Platform, Ports
from servicekit import tenant_guard
from servicekit.topology import TopologySettings

REPO = Path(__file__).resolve().parents[1]
# Quick first retries, but the total spans MongoDB's 60 s transaction lifetime: a SIGKILLed
# consumer's open transaction keeps its inbox key locked until the server reaps it.
PARTNER_WEBHOOKS_ENV = {"NOTIFICATIONS_PARTNER_WEBHOOKS_ALLOW_LOOPBACK": "true",
                        "NOTIFICATIONS_PARTNER_WEBHOOK_MAX_ATTEMPTS": "3",
                        "NOTIFICATIONS_PARTNER_WEBHOOK_BACKOFF_SECONDS": "0.2",
                        "NOTIFICATIONS_PARTNER_WEBHOOK_TIMEOUT_SECONDS": "2",
                        "NOTIFICATIONS_PARTNER_WEBHOOK_SYNC_SECONDS": "1"}
E2E_TOPOLOGY = TopologySettings(max_deliver=8, backoff_seconds=[0.2, 0.5, 1, 2, 5, 15, 60])


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data_dir = tmp_path_factory.mktemp("platform")
    # Every service process checks that its queries name their tenant (`servicekit.tenant_guard`)
    # and appends any that does not to this file; the session fails if it has any.
    violations = data_dir / "tenant-guard.jsonl"
    platform = Platform(data_dir=data_dir, ports=Ports.free(),
                        tenants=["demo", "other"], topology=E2E_TOPOLOGY,
                        extra_env={"NOTIFICATIONS_DELIVERY_POLL_SECONDS": "0.2", "MEMBERS_SHOWCASE_SWEEP_SECONDS": "1",
                                   "NOTIFICATIONS_REMINDER_SWEEP_SECONDS": "1",
                                   # partner webhooks: the test receivers listen on loopback; quick retries
                                   **PARTNER_WEBHOOKS_ENV,
                                   tenant_guard.ENV: f"record:{violations}"})
    try:
        platform.start(timeout=120)
        yield platform
    finally:
        platform.stop()
    found = tenant_guard.read_violations(violations)
    if found:
        # A background loop repeats its query every round: each distinct one once, with a count.
        distinct = Counter(f"[{v['app']}] {v['collection']}.{v['command']} {v['shape']}: {v['problem']} — {v['caller']}"
                           for v in found)
        lines = "\n".join(f"  {n}× {line}" for line, n in distinct.items())
        pytest.fail(f"{len(found)} queries of the services without a tenant predicate ({violations}):\n{lines}",
                    pytrace=False)
