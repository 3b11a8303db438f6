"""`segment_filter` (what the database selects) agrees with `matches` (the rule in Python), on
the MongoDB stand-in, for any segment over a population built by the projection's own fold."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymongo import MongoClient

from alumni_contracts.common import Purpose
from alumni_contracts.members.membership_v1 import MembershipState
from alumni_contracts.segments import Segment
from servicekit.segments import (
    AUDIENCE,
    AmbassadorChange,
    AudienceMember,
    Change,
    ConsentChange,
    GroupChange,
    MembershipChange,
    ProfileChange,
    fold,
    matches,
    segment_filter,
)

pytestmark = pytest.mark.integration

YEARS = [2010, 2012, 2016, 2020]
PROGRAMS = ["MSc Finance", "MBA", "Grande École"]
CITIES = ["Lyon", "Saint-Étienne", "Paris", None]
COUNTRIES = ["FR", "BE", None]
GROUPS = ["g1", "g2", "g3"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def population(rng: random.Random, tenant: str, size: int) -> list[dict[str, Any]]:
    docs = []
    for i in range(size):
        mid = f"{tenant}-m{i:03d}"
        changes: list[Change] = []
        if rng.random() < 0.95:  # a few only heard of through a consent: not alumni yet
            cohorts = tuple((rng.choice(PROGRAMS), rng.choice(YEARS)) for _ in range(rng.choice([1, 1, 2])))
            changes.append(ProfileChange(mid, 2, "A", "B", f"{mid}@x.org" if rng.random() < 0.9 else None, "fr",
                                         cohorts, email_bounced=rng.random() < 0.1, deceased=rng.random() < 0.05,
                                         city=rng.choice(CITIES), country=rng.choice(COUNTRIES)))
        for purpose in rng.sample(list(Purpose), rng.randint(0, 3)):
            changes.append(ConsentChange(mid, 3, purpose.value, rng.random() < 0.7))
        if rng.random() < 0.2:
            changes.append(AmbassadorChange(mid, 4, True))
        for g in rng.sample(GROUPS, rng.randint(0, 2)):
            changes.append(GroupChange(mid, g, rng.random() < 0.8, T0, 1))
        if rng.random() < 0.6:
            changes.append(MembershipChange(mid, "ms", rng.choice(list(MembershipState)).value, T0, 1))
        doc: dict[str, Any] | None = None
        for c in changes:
            doc = fold(doc, tenant, c) or doc
        if doc is None:
            doc = fold(None, tenant, AmbassadorChange(mid, 1, False))
        assert doc is not None
        docs.append(doc)
    return docs


@pytest.fixture(scope="module")
def audience(mongo_uri: str) -> Iterator[tuple[Any, dict[str, AudienceMember]]]:
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_uri)
    db = client["segment_filter_property"]
    rng = random.Random(7)
    docs = population(rng, "demo", 250)
    db[AUDIENCE].insert_many(docs + population(rng, "other", 60))  # another tenant, same shapes
    yield db, {d["_id"]: AudienceMember.of(d) for d in docs}
    client.drop_database(db.name)
    client.close()


segments = st.builds(
    Segment,
    cohort_years=st.lists(st.sampled_from([*YEARS, 1999]), max_size=3),
    programs=st.lists(st.sampled_from(["msc finance", "MBA", "grande ecole", "PhD"]), max_size=2),
    cities=st.lists(st.sampled_from(["lyon", "SAINT ETIENNE", "Paris", "Nice"]), max_size=2),
    countries=st.lists(st.sampled_from(["FR", "BE", "DE"]), max_size=2),
    groups=st.lists(st.sampled_from([*GROUPS, "g9"]), max_size=2),
    ambassadors_only=st.booleans(),
    membership_states=st.lists(st.sampled_from(list(MembershipState)), max_size=3),
    consent_purpose=st.none() | st.sampled_from(list(Purpose)),
)


@settings(max_examples=80, deadline=None)
@given(segment=segments)
def test_the_database_selects_exactly_whom_matches_accepts(audience: tuple[Any, dict[str, AudienceMember]],
                                                            segment: Segment) -> None:
    db, members = audience
    selected = {d["_id"] for d in db[AUDIENCE].find(segment_filter(segment, "demo"), {"_id": 1})}
    expected = {mid for mid, m in members.items() if matches(segment, m)}
    assert selected == expected, segment.describe()


def test_the_population_exercises_every_criterion(audience: tuple[Any, dict[str, AudienceMember]]) -> None:
    db, members = audience
    everyone = {d["_id"] for d in db[AUDIENCE].find(segment_filter(Segment(), "demo"), {"_id": 1})}
    assert 150 < len(everyone) < 250  # deceased and consent-only members excluded, other tenant too
    assert all(mid.startswith("demo-") for mid in everyone)
    narrow = Segment(cohort_years=[2016], programs=["MBA"], consent_purpose=Purpose.NEWSLETTER)
    found = {d["_id"] for d in db[AUDIENCE].find(segment_filter(narrow, "demo"), {"_id": 1})}
    assert 0 < len(found) < 30 and found == {mid for mid, m in members.items() if matches(narrow, m)}
