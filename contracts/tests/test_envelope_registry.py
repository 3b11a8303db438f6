import json
from datetime import UTC, datetime

import pytest

from alumni_contracts.common import Cohort, Locale
from alumni_contracts.envelope import CloudEvent
from alumni_contracts.members.v1 import MemberRegistered
from alumni_contracts.registry import REGISTRY, MalformedEvent, UnknownEventType


def member_registered() -> MemberRegistered:
    return MemberRegistered(member_id="m1", first_name="Béatrice", last_name="Dupont", email="b@example.org",
                            locale=Locale.FR, cohort=Cohort(program="MSc", graduation_year=2012),
                            registered_at=datetime(2026, 1, 2, tzinfo=UTC))


def test_wrap_fills_the_cloudevents_attributes() -> None:
    event = CloudEvent.wrap(member_registered(), tenant="demo", subject="m1", aggregate_version=1,
                            correlation_id="c1", causation_id="x")
    doc = json.loads(event.to_json())
    assert doc["specversion"] == "1.0"
    assert doc["type"] == "org.alumni.members.member_registered.v1"
    assert doc["source"] == "/alumni/members"
    assert doc["dataschema"] == "urn:alumni:schema:members:member_registered:v1"
    assert doc["tenant"] == "demo" and doc["correlationid"] == "c1" and doc["causationid"] == "x"
    assert doc["aggregateversion"] == 1
    assert event.nats_subject() == "evt.demo.members.member_registered.v1"
    assert len(event.id) == 36 and event.id[14] == "7"  # UUIDv7


def test_round_trip_through_the_registry() -> None:
    event = CloudEvent.wrap(member_registered(), tenant="demo", subject="m1", aggregate_version=1, correlation_id="c")
    parsed = REGISTRY.parse(event.to_json())
    assert isinstance(parsed.data, MemberRegistered)
    assert parsed == event


def test_tolerant_reader_ignores_unknown_fields() -> None:
    doc = json.loads(CloudEvent.wrap(member_registered(), tenant="demo", subject="m1", aggregate_version=1,
                                     correlation_id="c").to_json())
    doc["newattribute"] = 1
    doc["data"]["added_later"] = "x"
    assert REGISTRY.parse(json.dumps(doc)).data.first_name == "Béatrice"


def test_unknown_type_is_a_clear_permanent_error() -> None:
    with pytest.raises(UnknownEventType, match=r"org\.alumni\.members\.member_registered\.v9"):
        REGISTRY.parse(json.dumps({"type": "org.alumni.members.member_registered.v9"}))


@pytest.mark.parametrize("raw", [b"not json", b"[]", b'{"no": "type"}', b"\xff\xfe"])
def test_malformed_payloads_are_permanent_errors(raw: bytes) -> None:
    with pytest.raises(MalformedEvent):
        REGISTRY.parse(raw)


def test_invalid_data_is_malformed() -> None:
    doc = json.loads(CloudEvent.wrap(member_registered(), tenant="demo", subject="m1", aggregate_version=1,
                                     correlation_id="c").to_json())
    doc["data"]["email"] = "not-an-email"
    with pytest.raises(MalformedEvent, match="email"):
        REGISTRY.parse(json.dumps(doc))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        MemberRegistered(member_id="m1", first_name="A", last_name="B", email="a@example.org", locale=Locale.EN,
                         cohort=Cohort(program="P", graduation_year=2000), registered_at=datetime(2026, 1, 1))
