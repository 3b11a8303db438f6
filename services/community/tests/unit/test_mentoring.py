"""Mentoring programs: the explainable compatibility score and the matching plan (pure, with
properties: never over capacity, deterministic), then the use cases through `bootstrap(...)` with
an in-memory unit of work — program lifecycle, enrolment rules, suggestions, confirmation (by a
manager, or by the mentee in a self-selected program), the mentorship lifecycle with check-ins
and the closing survey, events, privacy, figures with small-group suppression, erasure."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alumni_contracts.community import mentoring as mc
from alumni_contracts.community import v1
from community_service.domain.mentoring import (
    TOPICS,
    InvalidMentoring,
    MentoringConflict,
    NoRoomLeft,
    NotYourMentorship,
    Participant,
    ProgramNotOpen,
    Role,
    compatibility,
    plan,
    suggest,
)
from community_service.service_layer.mentoring import (
    MentorshipNotFound,
    ProgramNotFound,
    StaffMatches,
)
from servicekit.domain import ConcurrencyConflict
from servicekit.erasure import EraseMemberData, erase_member_data

from .test_help_requests import MANAGER, World, alumnus


def person(member_id: str, role: Role, topics: tuple[str, ...] = ("first_job",), capacity: int = 1,
           languages: tuple[str, ...] = ("fr",), sector: str = "", city: str = "", load: int = 0) -> Participant:
    return Participant(tenant="demo", program_id="p", member_id=member_id, role=role, topics=topics,
                       capacity=capacity, languages=languages, sector=sector, city=city, load=load)


# -- the score and the plan (pure) ---------------------------------------------------------------

def test_the_score_explains_every_point() -> None:
    mentor = person("m", Role.MENTOR, ("first_job", "industry", "leadership"), capacity=2, languages=("fr", "en"),
                    sector="Finance", city="Paris")
    mentee = person("e", Role.MENTEE, ("industry", "first_job"), languages=("en",), sector="finance ", city="paris")
    fit = compatibility(mentor, mentee)
    assert fit is not None
    reasons = {r.criterion: (r.points, r.detail) for r in fit.reasons}
    assert reasons == {"topics": (6.0, "industry, first_job"), "sector": (2.0, "Finance"), "city": (1.0, "Paris"),
                       "language": (1.0, "en"), "capacity": (1.0, "2/2")}
    assert fit.score == sum(p for p, _ in reasons.values()) == 11.0
    half = compatibility(person("m", Role.MENTOR, ("first_job",), capacity=2, load=1), person("e", Role.MENTEE))
    assert half is not None and dict((r.criterion, r.points) for r in half.reasons)["capacity"] == 0.5


def test_no_common_language_no_room_or_oneself_is_never_suggested() -> None:
    mentee = person("e", Role.MENTEE, languages=("fr",))
    assert compatibility(person("m", Role.MENTOR, languages=("de",)), mentee) is None
    assert compatibility(person("m", Role.MENTOR, capacity=1, load=1), mentee) is None
    assert compatibility(person("e", Role.MENTOR), mentee) is None
    ranked = suggest(mentee, [person("b", Role.MENTOR), person("a", Role.MENTOR), person("c", Role.MENTOR,
                                                                                       topics=("other",))], set())
    assert [c.mentor_id for c in ranked] == ["a", "b", "c"], "best score first, ties by member id"
    assert [c.mentor_id for c in suggest(mentee, [person("a", Role.MENTOR)], {("a", "e")})] == [], "already paired"


def test_the_plan_spreads_mentees_within_capacity() -> None:
    star = person("star", Role.MENTOR, ("first_job", "industry"), capacity=1, sector="finance")
    other = person("other", Role.MENTOR, ("first_job",), capacity=2)
    mentees = [person(f"e{i}", Role.MENTEE, ("first_job", "industry"), sector="finance") for i in range(3)]
    chosen = plan([star, other], mentees, set())
    assert [(c.mentee_id, c.mentor_id) for c in chosen] == [("e0", "star"), ("e1", "other"), ("e2", "other")]
    assert plan([star], [person("e", Role.MENTEE, load=1)], set()) == [], "a mentee with a mentor is not planned"


participants = st.lists(st.tuples(st.sampled_from(sorted(TOPICS)), st.sampled_from(["fr", "en", "de"]),
                                  st.integers(1, 3), st.integers(0, 3), st.sampled_from(["", "finance", "retail"])),
                        max_size=12)


@settings(max_examples=150, deadline=None)
@given(mentors=participants, mentees=participants, seed=st.integers(0, 1000))
def test_plan_property_never_over_capacity_and_deterministic(mentors: list[Any], mentees: list[Any],
                                                             seed: int) -> None:
    ms = [person(f"m{i}", Role.MENTOR, (t,), capacity=cap, languages=(lang,), sector=sec, load=min(load, cap))
          for i, (t, lang, cap, load, sec) in enumerate(mentors)]
    es = [person(f"e{i}", Role.MENTEE, (t,), languages=(lang,), sector=sec, load=min(load, 1))
          for i, (t, lang, _, load, sec) in enumerate(mentees)]
    chosen = plan(ms, es, set())
    for m in ms:
        assert sum(c.mentor_id == m.member_id for c in chosen) <= m.room, "never over a mentor's room"
    assert len({c.mentee_id for c in chosen}) == len(chosen), "one mentor per mentee"
    assert all(e.room > 0 for e in es if e.member_id in {c.mentee_id for c in chosen})
    rng = random.Random(seed)
    shuffled_ms, shuffled_es = ms[:], es[:]
    rng.shuffle(shuffled_ms)
    rng.shuffle(shuffled_es)
    assert plan(shuffled_ms, shuffled_es, set()) == chosen, "the order of the inputs does not matter"


# -- through bootstrap ---------------------------------------------------------------------------

async def program(w: World, matching: str = "manager", open_it: bool = True, **kw: Any) -> mc.ProgramOut:
    out: mc.ProgramOut = await w.call(mc.CREATE_PROGRAM, mc.CreateProgram(
        name_fr="Premier emploi 2027", name_en="First job 2027", matching=mc.MatchingMode(matching),
        starts_on=date(2027, 1, 1), ends_on=date(2027, 6, 30), **kw), MANAGER)
    if open_it:
        out = await w.call(mc.PROGRAM_ACTION, mc.ProgramAction(program_id=out.program_id, action="open"), MANAGER)
    return out


async def enrol(w: World, program_id: str, member_id: str, role: str, topics: tuple[str, ...] = ("first_job",),
                capacity: int = 1, year: int = 2025, tenant: str = "demo", **kw: Any) -> mc.ProgramOut:
    await w.member(member_id, year, tenant)
    out: mc.ProgramOut = await w.call(mc.ENROL, mc.Enrol(
        program_id=program_id, role=mc.ParticipantRole(role), topics=[v1.MentoringTopic(t) for t in topics],
        capacity=capacity, languages=kw.pop("languages", ["fr"]), **kw), alumnus(member_id, tenant))
    return out


def events(w: World, kind: type) -> list[Any]:
    return [e.data for e in w.uow.published if isinstance(e.data, kind)]


async def test_program_match_accept_check_in_close_with_events_and_privacy() -> None:
    w = World()
    p = await program(w)
    assert p.status == "open" and p.mentors == 0
    await enrol(w, p.program_id, "mentor", "mentor", ("first_job", "industry"), capacity=2, sector="finance")
    mine = await enrol(w, p.program_id, "mentee", "mentee", ("first_job",), sector="Finance",
                       availability="1 h/mois")
    assert mine.my_enrolment is not None and mine.my_enrolment.capacity == 1
    staff_view = await w.call(mc.GET_PROGRAM, mc.ProgramRef(program_id=p.program_id), MANAGER)
    assert (staff_view.mentors, staff_view.mentees) == (1, 1)

    suggestions = await w.call(mc.SUGGEST_MATCHES, mc.SuggestionsQuery(program_id=p.program_id), MANAGER)
    [pair] = suggestions.plan
    assert (pair.mentor.member_id, pair.mentee.member_id) == ("mentor", "mentee")
    assert {r.criterion for r in pair.reasons} == {"topics", "sector", "language", "capacity"}
    assert pair.mentor.first_name == "Mentor" and pair.mentor.room == 2
    assert (await w.call(mc.SUGGEST_MATCHES, mc.SuggestionsQuery(program_id=p.program_id),
                         alumnus("mentee"))).options == [], "manager-confirmed: mentees do not pick"

    with pytest.raises(StaffMatches):
        await w.call(mc.CONFIRM_MATCH, mc.ConfirmMatch(program_id=p.program_id, mentor_id="mentor"),
                     alumnus("mentee"))
    m = await w.call(mc.CONFIRM_MATCH, mc.ConfirmMatch(program_id=p.program_id, mentor_id="mentor",
                                                       mentee_id="mentee"), MANAGER)
    assert m.status == "pending" and m.matched_by == "manager" and m.contact is None
    [matched] = events(w, v1.MentorshipMatched)
    assert matched.shared_topics == ["first_job"] and matched.mentor_id == "mentor"
    with pytest.raises(MentoringConflict):
        await w.call(mc.CONFIRM_MATCH, mc.ConfirmMatch(program_id=p.program_id, mentor_id="mentor",
                                                       mentee_id="mentee"), MANAGER)

    await w.member("stranger")
    for who in (alumnus("stranger"), alumnus("mentee", tenant="other")):
        with pytest.raises(MentorshipNotFound):
            await w.call(mc.GET_MENTORSHIP, mc.MentorshipRef(mentorship_id=m.mentorship_id), who)
    assert (await w.call(mc.LIST_MENTORSHIPS, mc.ListMentorships(), alumnus("stranger"))).items == []
    pending = await w.call(mc.GET_MENTORSHIP, mc.MentorshipRef(mentorship_id=m.mentorship_id), alumnus("mentee"))
    assert pending.contact is None and pending.my_role == "mentee", "no contact before activation"
    with pytest.raises(NotYourMentorship):
        await w.call(mc.RESPOND_TO_MATCH, mc.RespondToMatch(mentorship_id=m.mentorship_id, accept=True),
                     alumnus("mentee"))
    with pytest.raises(MentoringConflict):
        await w.call(mc.CHECK_IN, mc.CheckIn(mentorship_id=m.mentorship_id, on=date(2027, 1, 5), note="x"),
                     alumnus("mentee"))

    active = await w.call(mc.RESPOND_TO_MATCH, mc.RespondToMatch(mentorship_id=m.mentorship_id, accept=True),
                          alumnus("mentor"))
    assert active.status == "active" and active.contact.email == "mentee@example.org"
    seen = await w.call(mc.GET_MENTORSHIP, mc.MentorshipRef(mentorship_id=m.mentorship_id), alumnus("mentee"))
    assert seen.contact.member_id == "mentor" and seen.contact.last_name == "Durand"
    for who, day in (("mentee", 10), ("mentor", 20)):
        out = await w.call(mc.CHECK_IN, mc.CheckIn(mentorship_id=m.mentorship_id, on=date(2027, 1, day),
                                                   note=f"notes de {who}"), alumnus(who))
    assert [(c.author_id, c.on.day) for c in out.check_ins] == [("mentee", 10), ("mentor", 20)]
    with pytest.raises(MentorshipNotFound):
        await w.call(mc.CHECK_IN, mc.CheckIn(mentorship_id=m.mentorship_id, on=date(2027, 1, 2), note="intrus"),
                     alumnus("stranger"))

    closed = await w.call(mc.CLOSE_MENTORSHIP, mc.CloseMentorship(
        mentorship_id=m.mentorship_id, outcome=v1.MentorshipOutcome.COMPLETED, satisfaction=5, goals_met=True,
        comment="Un CDI signé"), alumnus("mentee"))
    assert closed.status == "completed" and closed.contact is not None
    [ended] = events(w, v1.MentorshipClosed)
    assert ended.outcome == "completed" and ended.check_ins == 2 and not hasattr(ended, "comment")
    with pytest.raises(MentoringConflict):  # one survey per side
        await w.call(mc.CLOSE_MENTORSHIP, mc.CloseMentorship(
            mentorship_id=m.mentorship_id, outcome=v1.MentorshipOutcome.COMPLETED, satisfaction=4,
            goals_met=True), alumnus("mentee"))
    both = await w.call(mc.CLOSE_MENTORSHIP, mc.CloseMentorship(
        mentorship_id=m.mentorship_id, outcome=v1.MentorshipOutcome.COMPLETED, satisfaction=4, goals_met=True),
        alumnus("mentor"))
    assert sorted(s.role for s in both.surveys) == ["mentee", "mentor"]
    assert len(events(w, v1.MentorshipClosed)) == 1, "the second survey is not a second closing"
    after = await w.call(mc.GET_PROGRAM, mc.ProgramRef(program_id=p.program_id), alumnus("mentor"))
    assert after.my_enrolment.load == 0, "the mentor's place is free again"


async def test_enrolment_rules_and_program_lifecycle() -> None:
    w = World()
    draft = await program(w, open_it=False, max_mentees_per_mentor=2)
    await w.member("al")
    with pytest.raises(ProgramNotFound):  # a draft is the managers' business
        await enrol(w, draft.program_id, "al", "mentor")
    assert (await w.call(mc.LIST_PROGRAMS, mc.ProgramsQuery(), alumnus("al"))).items == []
    await w.call(mc.PROGRAM_ACTION, mc.ProgramAction(program_id=draft.program_id, action="open"), MANAGER)
    with pytest.raises(InvalidMentoring):
        await enrol(w, draft.program_id, "al", "mentor", capacity=3)
    await enrol(w, draft.program_id, "al", "mentor", capacity=2)
    with pytest.raises(MentoringConflict):
        await enrol(w, draft.program_id, "al", "mentee")
    await w.call(mc.PROGRAM_ACTION, mc.ProgramAction(program_id=draft.program_id, action="close"), MANAGER)
    with pytest.raises(ProgramNotOpen):
        await enrol(w, draft.program_id, "al", "mentor", capacity=1)
    with pytest.raises(MentoringConflict):
        await w.call(mc.PROGRAM_ACTION, mc.ProgramAction(program_id=draft.program_id, action="open"), MANAGER)
    listed = await w.call(mc.LIST_PROGRAMS, mc.ProgramsQuery(), alumnus("al"))
    assert [p.status for p in listed.items] == ["closed"] and listed.items[0].my_enrolment.role == "mentor"
    with pytest.raises(ProgramNotFound):
        await w.call(mc.GET_PROGRAM, mc.ProgramRef(program_id=draft.program_id), alumnus("al", tenant="other"))


async def test_self_selected_capacity_decline_and_abandon() -> None:
    w = World()
    p = await program(w, matching="mentee")
    await enrol(w, p.program_id, "solo", "mentor", capacity=1)
    await enrol(w, p.program_id, "deaf", "mentor", languages=["de"])
    for e in ("e1", "e2"):
        await enrol(w, p.program_id, e, "mentee")
    options = await w.call(mc.SUGGEST_MATCHES, mc.SuggestionsQuery(program_id=p.program_id), alumnus("e1"))
    assert [o.mentor.member_id for o in options.options] == ["solo"], "no common language, no suggestion"
    assert options.plan == [] and options.options[0].mentor.first_name == "Solo"
    picked = await w.call(mc.CONFIRM_MATCH, mc.ConfirmMatch(program_id=p.program_id, mentor_id="solo"),
                          alumnus("e1"))
    assert picked.matched_by == "mentee" and picked.mentee_id == "e1"
    with pytest.raises(NoRoomLeft):
        await w.call(mc.CONFIRM_MATCH, mc.ConfirmMatch(program_id=p.program_id, mentor_id="solo"), alumnus("e2"))
    assert (await w.call(mc.SUGGEST_MATCHES, mc.SuggestionsQuery(program_id=p.program_id),
                         alumnus("e2"))).options == [], "a full mentor is not suggested"
    with pytest.raises(MentoringConflict):  # never started: cannot be completed
        await w.call(mc.CLOSE_MENTORSHIP, mc.CloseMentorship(
            mentorship_id=picked.mentorship_id, outcome=v1.MentorshipOutcome.COMPLETED, satisfaction=3,
            goals_met=False), alumnus("e1"))
    declined = await w.call(mc.RESPOND_TO_MATCH, mc.RespondToMatch(mentorship_id=picked.mentorship_id,
                                                                   accept=False), alumnus("solo"))
    assert declined.status == "abandoned" and declined.contact is None
    assert events(w, v1.MentorshipClosed)[0].outcome == "abandoned"
    again = await w.call(mc.CONFIRM_MATCH, mc.ConfirmMatch(program_id=p.program_id, mentor_id="solo"),
                         alumnus("e2"))
    assert again.status == "pending", "the declined place went back to the mentor"


async def test_a_stale_participant_loses_the_race() -> None:
    w = World()
    p = await program(w)
    await enrol(w, p.program_id, "m", "mentor")
    first = await w.uow.participants.get("demo", p.program_id, "m")
    second = await w.uow.participants.get("demo", p.program_id, "m")
    assert first is not None and second is not None
    first.take()
    await w.uow.participants.save(first)
    second.take()
    with pytest.raises(ConcurrencyConflict):
        await w.uow.participants.save(second)


async def test_figures_suppress_small_groups_on_every_grouping() -> None:
    w = World()
    big = await program(w, max_mentees_per_mentor=1)
    small = await program(w)
    for i in range(6):
        await enrol(w, big.program_id, f"mentor{i}", "mentor")
        await enrol(w, big.program_id, f"mentee{i}", "mentee", year=2025 if i else 2019)
        m = await w.call(mc.CONFIRM_MATCH, mc.ConfirmMatch(program_id=big.program_id, mentor_id=f"mentor{i}",
                                                           mentee_id=f"mentee{i}"), MANAGER)
        await w.call(mc.RESPOND_TO_MATCH, mc.RespondToMatch(mentorship_id=m.mentorship_id, accept=True),
                     alumnus(f"mentor{i}"))
        await w.call(mc.CLOSE_MENTORSHIP, mc.CloseMentorship(
            mentorship_id=m.mentorship_id, outcome=v1.MentorshipOutcome.COMPLETED if i < 4 else
            v1.MentorshipOutcome.ABANDONED, satisfaction=4, goals_met=i < 3), alumnus(f"mentee{i}"))
    await enrol(w, small.program_id, "lone-mentor", "mentor")
    await enrol(w, small.program_id, "lone-mentee", "mentee")
    await w.call(mc.CONFIRM_MATCH, mc.ConfirmMatch(program_id=small.program_id, mentor_id="lone-mentor",
                                                   mentee_id="lone-mentee"), MANAGER)
    f = await w.call(mc.MENTORING_FIGURES, mc.FiguresQuery(), MANAGER)
    assert f.min_group_size == 5 and f.total.relationships == 7
    rows = {r.group: r for r in f.by_program}
    assert rows[big.program_id].completion_rate == round(4 / 6, 3)
    assert rows[big.program_id].mentees_per_mentor == 1.0 and rows[big.program_id].mean_satisfaction == 4.0
    assert rows[big.program_id].goals_met_rate == 0.5 and rows[big.program_id].label.startswith("Premier emploi")
    assert rows[small.program_id].suppressed and rows[small.program_id].relationships is None
    cohorts = {r.group: r for r in f.by_cohort}
    assert not cohorts["2025"].suppressed and cohorts["2025"].by_status == {"completed": 3, "abandoned": 2,
                                                                            "pending": 1}
    assert cohorts["2019"].suppressed and cohorts["2019"].by_status is None
    only_small = await w.call(mc.MENTORING_FIGURES, mc.FiguresQuery(program_id=small.program_id), MANAGER)
    assert only_small.total.suppressed and only_small.total.by_status is None
    assert (await w.call(mc.MENTORING_FIGURES, mc.FiguresQuery(cohort_year=2019), MANAGER)).total.suppressed


async def test_erasure_drops_enrolments_and_pseudonymises_mentorships() -> None:
    from .test_help_requests import _eraser

    w = World()
    p = await program(w)
    await enrol(w, p.program_id, "mentor", "mentor", capacity=2)
    await enrol(w, p.program_id, "gone", "mentee")
    m = await w.call(mc.CONFIRM_MATCH, mc.ConfirmMatch(program_id=p.program_id, mentor_id="mentor",
                                                       mentee_id="gone"), MANAGER)
    await w.call(mc.RESPOND_TO_MATCH, mc.RespondToMatch(mentorship_id=m.mentorship_id, accept=True),
                 alumnus("mentor"))
    await w.call(mc.CHECK_IN, mc.CheckIn(mentorship_id=m.mentorship_id, on=date(2027, 2, 1), note="privé"),
                 alumnus("gone"))
    await erase_member_data(EraseMemberData("demo", "er-m", "gone"), w.uow, _eraser())
    assert await w.uow.participants.get("demo", p.program_id, "gone") is None
    kept = w.uow.mentorships.rows[("demo", m.mentorship_id)]
    assert kept.mentee_id == "erased" and kept.status.value == "abandoned" and kept.check_ins[0].note == ""
    mentor = await w.uow.participants.get("demo", p.program_id, "mentor")
    assert mentor is not None and mentor.load == 0, "the mentor's place is freed"
    [confirmed] = [e.data for e in w.uow.published if e.data.event_name == "member_data_erased"]
    assert confirmed.pseudonymised["mentorships"] == 1
