"""The tenant guard: which filters pin a tenant, and the allow-list (`servicekit.tenant_guard`)."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.monitoring import CommandStartedEvent

from servicekit import tenant_guard
from servicekit.tenant_guard import CrossTenant, TenantGuard, Violation, problem_of, tenants_of


@pytest.mark.parametrize(("query", "tenants"), [
    ({"tenant": "demo", "_id": "x"}, {"demo"}),
    ({"tenant": {"$eq": "demo"}}, {"demo"}),
    ({"tenant": {"$in": ["demo"]}}, {"demo"}),
    ({"$and": [{"status": "pending"}, {"tenant": "demo"}]}, {"demo"}),
    ({"$or": [{"tenant": "demo", "a": 1}, {"tenant": "demo", "b": 2}]}, {"demo"}),
    ({"tenant": "demo", "$or": [{"a": 1}, {"b": 2}]}, {"demo"}),
    ({"$or": [{"tenant": "demo"}, {"tenant": "other"}]}, {"demo", "other"}),
    ({"tenant": {"$in": ["demo", "other"]}}, {"demo", "other"}),
])
def test_tenants_a_filter_can_match(query: dict[str, Any], tenants: set[str]) -> None:
    assert tenants_of(query) == tenants


@pytest.mark.parametrize("query", [
    {}, {"_id": "x"}, {"tenant": {"$exists": True}}, {"tenant": {"$ne": "demo"}}, {"tenant": {"$regex": "^d"}},
    {"$or": [{"tenant": "demo"}, {"_id": "x"}]},  # one branch escapes the tenant
    {"$and": [{"status": "pending"}, {"_id": "x"}]},
    {"$nor": [{"tenant": "demo"}]},
    {"payload.tenant": "demo"},
])
def test_filters_that_do_not_pin_a_tenant_are_flagged(query: dict[str, Any]) -> None:
    assert problem_of(query) is not None


def test_a_filter_allowing_two_tenants_is_flagged() -> None:
    assert problem_of({"$or": [{"tenant": "demo"}, {"tenant": "other"}]}) == "`tenant` allows 2 tenants"
    assert problem_of({"tenant": "demo", "$or": [{"tenant": "other"}, {"tenant": "demo"}]}) is None  # only demo


def _event(command: dict[str, Any], database: str = "alumni_members") -> CommandStartedEvent:
    return CommandStartedEvent(command, database, 1, ("localhost", 27017), None)


def _guard(allow: tuple[CrossTenant, ...] = ()) -> tuple[TenantGuard, list[Violation]]:
    found: list[Violation] = []
    return TenantGuard("members", found.append, allow, ignore_test_code=False), found


@pytest.mark.parametrize(("command", "flagged"), [
    ({"find": "members", "filter": {"email": "a@x"}}, 1),
    ({"find": "members", "filter": {"tenant": "demo", "email": "a@x"}}, 0),
    ({"find": "members"}, 1),  # no filter at all
    ({"update": "members", "updates": [{"q": {"tenant": "demo", "_id": 1}, "u": {}},
                                       {"q": {"_id": 2}, "u": {}}]}, 1),  # each statement is checked
    ({"delete": "members", "deletes": [{"q": {"_id": 1}, "limit": 1}]}, 1),
    ({"delete": "members", "deletes": [{"q": {"tenant": "demo"}, "limit": 0}]}, 0),
    ({"aggregate": "members", "pipeline": [{"$match": {"tenant": "demo"}}, {"$group": {"_id": 1}}]}, 0),
    ({"aggregate": "members", "pipeline": [{"$group": {"_id": "$tenant"}}]}, 1),  # no leading $match
    ({"aggregate": "members", "pipeline": [{"$match": {"a": 1}}, {"$match": {"tenant": "demo"}}]}, 1),
    ({"count": "members", "query": {}}, 1),
    ({"distinct": "members", "key": "tenant"}, 1),
    ({"findAndModify": "members", "query": {"tenant": "demo", "_id": 1}, "update": {}}, 0),
    ({"findAndModify": "members", "query": {"_id": 1}, "update": {}}, 1),
    ({"insert": "members", "documents": [{"_id": 1}]}, 0),  # not a query
    ({"tenant_settings": 1}, 0),
    ({"find": "tenant_settings", "filter": {"_id": "demo"}}, 0),  # keyed by the tenant itself
    ({"find": "tenant_settings", "filter": {"sectors_version": 2}}, 1),
])
def test_the_listener_inspects_each_query_command(command: dict[str, Any], flagged: int) -> None:
    guard, found = _guard()
    guard.started(_event(command))
    assert len(found) == flagged
    for v in found:
        assert v.app == "members" and v.collection == command[next(iter(command))]


def test_system_databases_are_not_inspected() -> None:
    guard, found = _guard()
    guard.started(_event({"find": "system.version", "filter": {}}, database="admin"))
    assert found == []


def test_a_violation_records_the_shape_of_the_filter_never_its_values() -> None:
    guard, found = _guard()
    guard.started(_event({"find": "members", "filter": {"email": "jeanne@example.org", "$or": [{"a": "secret"}]}}))
    [v] = found
    assert v.shape == {"email": "?", "$or": [{"a": "?"}]}
    assert "jeanne" not in repr(v) and "secret" not in repr(v)
    assert v.caller.startswith(f"{__name__}.test_a_violation_records_the_shape")


def _sweep(guard: TenantGuard) -> None:
    guard.started(_event({"find": "members", "filter": {"showcase_expires_at": {"$lte": 1}}}))


def test_the_allow_list_names_collection_command_and_caller() -> None:
    sweep = f"{_sweep.__module__}.{_sweep.__qualname__}"
    guard, found = _guard((CrossTenant("members", frozenset({"find"}), frozenset({sweep}), "expiry sweep"),))
    _sweep(guard)
    assert found == []  # allowed: that collection, that command, from that function
    guard.started(_event({"find": "members", "filter": {"showcase_expires_at": {"$lte": 1}}}))
    assert len(found) == 1  # the same query from anywhere else is flagged
    guard, found = _guard((CrossTenant("members", frozenset({"update"}), frozenset({sweep}), "expiry sweep"),))
    _sweep(guard)
    assert len(found) == 1  # another command from that function is flagged
    guard, found = _guard((CrossTenant("erasures", frozenset({"find"}), frozenset({sweep}), "expiry sweep"),))
    _sweep(guard)
    assert len(found) == 1  # and the same command on another collection


def test_queries_from_test_code_are_not_the_services() -> None:
    found: list[Violation] = []
    TenantGuard("members", found.append).started(_event({"find": "members", "filter": {}}))
    assert found == []


def test_every_allow_list_entry_gives_a_reason_and_known_commands() -> None:
    for entry in tenant_guard.ALLOW_LIST:
        assert entry.reason and entry.callers and entry.commands <= tenant_guard.INSPECTED


def test_the_guard_is_off_unless_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.delenv(tenant_guard.ENV, raising=False)
    monkeypatch.setattr(tenant_guard, "_in_process", False)
    assert tenant_guard.configured("members") is None
    path = tmp_path / "violations.jsonl"
    monkeypatch.setenv(tenant_guard.ENV, f"record:{path}")
    guard = tenant_guard.configured("members")
    assert guard is not None
    guard._ignore_test_code = False
    guard.started(_event({"find": "members", "filter": {"email": "x"}}))
    guard.started(_event({"find": "members", "filter": {"tenant": "demo"}}))
    [recorded] = tenant_guard.read_violations(path)
    assert recorded["collection"] == "members" and recorded["problem"] == "no `tenant` predicate"
