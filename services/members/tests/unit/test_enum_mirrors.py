"""Every enum mirrored between alumni_contracts and the members domain maps both ways.

The domain may not import contracts, so these pairs are converted by value in `entrypoints/`
and `service_layer/contract_mapping.py`: a value added on one side only would be a 500 at
`Domain(v.value)` (or an event that fails validation). Add a pair here with every new mirror.
"""

from __future__ import annotations

from typing import Any

import pytest

from alumni_contracts import common
from alumni_contracts.members import commands as c
from alumni_contracts.members import v1
from members_service.domain.consent import Channel, Purpose
from members_service.domain.csv_import import ImportField
from members_service.domain.groups import GroupKind, GroupRole, JoinPolicy, MembershipStatus
from members_service.domain.import_plan import Decision, RowStatus
from members_service.domain.model import HygieneFlag
from members_service.domain.profile import DeceasedStatus, Section, Visibility
from members_service.domain.showcase import ShowcaseChannel, ShowcaseField
from servicekit.testing.enums import assert_mirrored, mirror_mismatches


def field(model: Any, name: str) -> Any:
    return model.model_fields[name].annotation


MIRRORS: list[tuple[Any, Any, dict[str, Any]]] = [
    (c.Section, Section, {}),
    (c.Visibility, Visibility, {}),
    (c.ShowcaseField, ShowcaseField, {}),
    (c.ShowcaseChannel, ShowcaseChannel, {}),
    (c.DeceasedStatus, DeceasedStatus, {}),
    (c.ImportField, ImportField, {}),
    (c.ImportRowStatus, RowStatus, {}),
    (c.ImportDecision, Decision, {}),
    (c.GroupKind, GroupKind, {}),
    (c.JoinPolicy, JoinPolicy, {}),
    (c.GroupRole, GroupRole, {}),
    (common.Purpose, Purpose, {}),
    (common.ConsentChannel, Channel, {}),
    (field(c.MemberView, "hygiene"), HygieneFlag, {}),
    # Cohort groups are created by the platform, never through the API.
    (field(c.CreateGroup, "kind"), GroupKind, {"domain_only": {"cohort"}}),
    (field(c.MembershipOut, "status"), MembershipStatus, {}),
    (field(v1.GroupCreated, "kind"), GroupKind, {}),
    (field(v1.GroupMembershipChanged, "status"), MembershipStatus, {}),
    (field(v1.GroupMembershipChanged, "role"), GroupRole, {}),
]


@pytest.mark.parametrize(("contract", "domain", "exceptions"), MIRRORS,
                         ids=[f"{getattr(d, '__name__', d)}-{i}" for i, (_, d, _) in enumerate(MIRRORS)])
def test_mirrored_enums_map_both_ways(contract: Any, domain: Any, exceptions: dict[str, Any]) -> None:
    assert_mirrored(contract, domain, **exceptions)


def test_the_check_catches_a_value_added_on_one_side() -> None:
    from enum import StrEnum

    class Grown(StrEnum):
        PUBLIC = "public"
        ALUMNI = "alumni"
        STAFF = "staff"
        PARTNERS = "partners"  # new in the contract, forgotten in the domain

    class Kept(StrEnum):
        PUBLIC = "public"
        ALUMNI = "alumni"
        STAFF = "staff"

    assert mirror_mismatches(Grown, Kept) == ["contract Grown value 'partners' has no domain Kept value"]
    assert mirror_mismatches(Kept, Grown) == ["domain Grown value 'partners' has no contract Kept value"]
