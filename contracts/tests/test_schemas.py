"""The committed JSON Schemas are the published contract: drift or breaking changes fail."""

import copy
import json
from pathlib import Path

import pytest

from alumni_contracts.schemas import all_schemas, breaking_changes, render

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


@pytest.mark.parametrize("rel", sorted(all_schemas()))
def test_published_schema_is_still_compatible(rel: str) -> None:
    committed = SCHEMAS / rel
    assert committed.exists(), f"{rel} is not committed: run `make schemas`"
    published = json.loads(committed.read_text())
    broken = breaking_changes(published, all_schemas()[rel])
    assert not broken, f"{rel} changed incompatibly ({'; '.join(broken)}): publish a v2 instead"


@pytest.mark.parametrize("rel", sorted(all_schemas()))
def test_committed_schema_matches_the_model(rel: str) -> None:
    assert (SCHEMAS / rel).read_text() == render(all_schemas()[rel]), f"{rel} drifted: run `make schemas`"


def test_no_orphan_schema_files() -> None:
    committed = {str(p.relative_to(SCHEMAS)) for p in SCHEMAS.rglob("*.json")}
    assert committed == set(all_schemas())


def _member_schema() -> dict:
    return copy.deepcopy(all_schemas()["members/member_registered.v1.json"])


def test_removing_a_field_is_breaking() -> None:
    new = _member_schema()
    del new["$defs"]["MemberRegistered"]["properties"]["email"]
    assert any("email: removed" in p for p in breaking_changes(_member_schema(), new))


def test_changing_a_type_is_breaking() -> None:
    new = _member_schema()
    new["$defs"]["Cohort"]["properties"]["graduation_year"] = {"type": "string"}
    assert any("graduation_year: type changed" in p for p in breaking_changes(_member_schema(), new))


def test_making_a_required_field_optional_is_breaking() -> None:
    new = _member_schema()
    new["required"].remove("tenant")
    assert any("tenant: no longer required" in p for p in breaking_changes(_member_schema(), new))


def test_narrowing_an_enum_is_breaking() -> None:
    new = _member_schema()
    new["$defs"]["Locale"]["enum"] = ["fr"]
    assert any("enum values removed" in p for p in breaking_changes(_member_schema(), new))


def test_adding_an_optional_field_is_compatible() -> None:
    new = _member_schema()
    new["$defs"]["MemberRegistered"]["properties"]["nickname"] = {"type": "string"}
    assert breaking_changes(_member_schema(), new) == []
