from dataclasses import dataclass

import pytest

from servicekit.domain import AggregateRoot, DomainEvent
from servicekit.messaging import RetryPolicy
from servicekit.retry import backoff_delay


@dataclass(frozen=True)
class Happened(DomainEvent):
    n: int


def test_aggregate_versions_its_events() -> None:
    agg = AggregateRoot(id="a", tenant="demo", version=3)
    agg.record(Happened(1))
    agg.record(Happened(2))
    assert agg.version == 5
    assert [(e.n, v) for e, v in agg.pending_events()] == [(1, 4), (2, 5)]  # type: ignore[attr-defined]
    assert len(agg.pending_events()) == 2, "kept until persisted, so a failed commit can run again"
    assert agg.persisted_version == 3
    agg.mark_persisted()
    assert agg.persisted_version == 5 and agg.pending_events() == []


@pytest.mark.parametrize(("attempt", "expected"), [(1, 0.5), (2, 1.0), (3, 2.0), (10, 60.0)])
def test_backoff_doubles_and_caps(attempt: int, expected: float) -> None:
    assert backoff_delay(attempt, 0.5, 60.0, jitter=0) == expected


def test_retry_policy_follows_the_consumer_backoff() -> None:
    policy = RetryPolicy(max_deliver=4, backoff=(0.2, 0.4, 0.8))
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [0.2, 0.4, 0.8, 0.8]


def test_default_topology_outlasts_an_abandoned_transaction() -> None:
    from servicekit.topology import TopologySettings

    assert TopologySettings().covers_transaction_lifetime()
    assert not TopologySettings(max_deliver=4, backoff_seconds=[0.2, 0.4, 0.8]).covers_transaction_lifetime()
