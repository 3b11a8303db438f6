"""The segment contract and the audience projection's pure parts: validation, the matching
rules, and a fold that does not depend on the order (or repetition) of events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from alumni_contracts.segments import MarketingSegment, Segment, segment_key, segment_schema
from servicekit.segments import (
    AmbassadorChange,
    AudienceMember,
    Change,
    ConsentChange,
    GroupChange,
    MembershipChange,
    ProfileChange,
    fold,
    matches,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def member(**kw: Any) -> AudienceMember:
    base: dict[str, Any] = {"member_id": "m1", "cohorts": (("MSc Finance", 2016),), "city": "Saint-Étienne",
                            "country": "FR", "email": "a@example.org", "contactable": True}
    return AudienceMember(**{**base, **kw})


# --- the contract ----------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    {"cohort_years": [1800]},
    {"countries": ["France"]},
    {"countries": ["fr"]},
    {"membership_states": ["gold"]},
    {"consent_purpose": "spam"},
    {"programs": ["   "]},
    {"programs": ["--"]},
    {"groups": ["a.b"]},
    {"cohort_years": list(range(1900, 2101))},  # 201 values: more than a segment needs
    {"unknown": 1},  # strict: mass assignment refused
    {"cohort_years": ["2016"]} | {"countries": [3]},
])
def test_a_bad_segment_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Segment.model_validate(bad)


def test_a_segment_is_normalised_and_described() -> None:
    s = Segment.model_validate({"cohort_years": [2016, 2016, 2017], "programs": [" MSc Finance "],
                                "consent_purpose": "newsletter"})
    assert s.cohort_years == [2016, 2017] and s.programs == ["MSc Finance"]
    assert s.describe() == "cohort_years=[2016, 2017], programs=['MSc Finance'], consent_purpose=newsletter"
    assert Segment().describe() == "all alumni"


def test_a_marketing_segment_requires_a_consent_purpose() -> None:
    with pytest.raises(ValidationError):
        MarketingSegment.model_validate({"cohort_years": [2016]})
    assert MarketingSegment.model_validate({"consent_purpose": "newsletter"}).consent_purpose.value == "newsletter"


def test_the_schema_is_published_with_an_id() -> None:
    schema = segment_schema()
    assert schema["$id"] == "urn:alumni:schema:shared:segment:v1" and schema["additionalProperties"] is False


def test_keys_fold_case_accents_and_separators() -> None:
    assert segment_key("Saint-Étienne") == segment_key("saint etienne") == "saint etienne"
    assert segment_key("MSc  FINANCE") == "msc finance"


# --- matching --------------------------------------------------------------------------------

def test_criteria_are_and_of_ors() -> None:
    m = member(groups=frozenset({"g1"}), ambassador=True, membership_state="active", granted=frozenset({"newsletter"}))
    assert matches(Segment(), m)
    assert matches(Segment(cohort_years=[2015, 2016], cities=["saint etienne"], countries=["FR", "BE"]), m)
    assert not matches(Segment(cohort_years=[2016], countries=["BE"]), m)
    assert matches(Segment(groups=["g0", "g1"], ambassadors_only=True), m)
    assert matches(Segment.model_validate({"membership_states": ["active", "lifetime"]}), m)
    assert not matches(Segment.model_validate({"membership_states": ["lapsed"]}), m)
    assert matches(Segment.model_validate({"consent_purpose": "newsletter"}), m)
    assert not matches(Segment.model_validate({"consent_purpose": "partners"}), m)


def test_year_and_program_apply_to_the_same_cohort() -> None:
    m = member(cohorts=(("MSc Finance", 2016), ("MBA", 2020)))
    assert matches(Segment(cohort_years=[2016], programs=["msc finance"]), m)
    assert matches(Segment(cohort_years=[2020], programs=["MBA"]), m)
    assert not matches(Segment(cohort_years=[2016], programs=["MBA"]), m)


def test_deceased_unknown_and_never_members_are_not_selected() -> None:
    assert not matches(Segment(), member(deceased=True))
    assert not matches(Segment(), member(known=False))  # only a consent heard of: not an alumnus yet
    assert not matches(Segment.model_validate({"membership_states": ["active"]}), member(membership_state=None))
    assert not matches(Segment(cities=["Lyon"]), member(city=None))


# --- the fold: order- and repetition-tolerant ------------------------------------------------

HISTORY: list[Change] = [
    ProfileChange("m1", 1, "Béa", "Dupont", "b@example.org", "fr", (("MSc Finance", 2016),), has_location=False),
    ProfileChange("m1", 3, "Béa", "Martin", "b@example.org", "fr", (("MSc Finance", 2016),), city="Lyon",
                  country="FR"),
    ProfileChange("m1", 6, "Béa", "Martin", "b@example.org", "en", (("MSc Finance", 2016), ("MBA", 2021)),
                  city="Paris", country="FR"),
    ConsentChange("m1", 2, "newsletter", True),
    ConsentChange("m1", 5, "newsletter", False),
    ConsentChange("m1", 7, "newsletter", True),
    ConsentChange("m1", 4, "partners", True),
    AmbassadorChange("m1", 8, True),
    AmbassadorChange("m1", 9, False),
    GroupChange("m1", "g1", True, T0, 1),
    GroupChange("m1", "g1", False, T0 + timedelta(days=1), 2),
    GroupChange("m1", "g2", True, T0 + timedelta(days=2), 1),
    MembershipChange("m1", "ms1", "active", T0, 1),
    MembershipChange("m1", "ms1", "in_grace", T0 + timedelta(days=365), 2),
    MembershipChange("m1", "ms1", "lapsed", T0 + timedelta(days=395), 3),
    MembershipChange("m1", "ms2", "active", T0 + timedelta(days=400), 1),
]


def replay(changes: list[Change]) -> dict[str, Any] | None:
    doc: dict[str, Any] | None = None
    for c in changes:
        doc = fold(doc, "demo", c) or doc
    return doc


def test_the_history_in_order_gives_the_latest_state() -> None:
    doc = replay(HISTORY)
    assert doc is not None
    m = AudienceMember.of(doc)
    assert (m.city, m.locale, m.last_name, m.ambassador, m.membership_state) == ("Paris", "en", "Martin", False,
                                                                                   "active")
    assert m.granted == {"newsletter", "partners"} and m.groups == {"g2"} and m.contactable
    assert m.cohorts == (("MSc Finance", 2016), ("MBA", 2021))


def test_a_repeated_or_stale_event_changes_nothing() -> None:
    doc = replay(HISTORY)
    for change in HISTORY:
        assert fold(doc, "demo", change) is None


def test_a_registration_after_a_profile_update_keeps_the_city() -> None:
    doc = fold(None, "demo", HISTORY[1])
    assert fold(doc, "demo", HISTORY[0]) is None
    doc = fold(None, "demo", ConsentChange("m1", 2, "newsletter", True))
    assert doc is not None and not AudienceMember.of(doc).known


@settings(max_examples=60, deadline=None)
@given(st.permutations(HISTORY), st.lists(st.sampled_from(HISTORY), max_size=6))
def test_any_order_with_redeliveries_converges(order: list[Change], again: list[Change]) -> None:
    assert replay(list(order) + again) == replay(HISTORY)


def test_a_bounced_or_deceased_member_is_not_contactable() -> None:
    bounced = fold(None, "demo", ProfileChange("m2", 1, "A", "B", "a@x.org", "fr", (("MBA", 2010),),
                                               email_bounced=True))
    no_email = fold(None, "demo", ProfileChange("m3", 1, "A", "B", None, "fr", (("MBA", 2010),)))
    dead = fold(None, "demo", ProfileChange("m4", 1, "A", "B", "a@x.org", "fr", (("MBA", 2010),), deceased=True))
    assert bounced and no_email and dead
    assert not any(AudienceMember.of(d).contactable for d in (bounced, no_email, dead))
    assert not matches(Segment(), AudienceMember.of(dead))
