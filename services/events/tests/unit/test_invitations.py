"""Invitations through the bootstrapped service with in-memory adapters: computed once, sent in
batches (the first with the command, the rest by the sweep, each batch once), one
`member_invited` per invitee, answers broadcast once, and the preview count."""

from __future__ import annotations

from typing import Any

import pytest

from alumni_contracts.events import v1
from alumni_contracts.segments import Segment
from events_service.domain.model import InvitationsAlreadyIssued
from events_service.domain.registrations import InvalidRegistrationChange
from events_service.service_layer.invitations import BATCH_SIZE, SendPendingInvitations

from .fakes import FakeEventsUnitOfWork
from .test_registrations import MANAGER, Service, alumnus

COHORT = Segment(cohort_years=[2016])


async def sweep(s: Service) -> Any:
    return await s.parts.bus.handle(SendPendingInvitations())  # type: ignore[attr-defined]


async def test_a_large_invitation_is_computed_once_and_sent_in_batches_each_once() -> None:
    s = Service()
    members = [f"m{i:04d}" for i in range(2 * BATCH_SIZE + 50)]
    s.store.audience["demo"] = list(members)
    event_id = await s.event(capacity=10, title="Retrouvailles 2016", title_en="Class of 2016 reunion")
    await s.call("register", MANAGER, event_id=event_id, member_id=members[3])  # has a row: not invited

    result = await s.call("issue_invitations", MANAGER, event_id=event_id, segment=COHORT)
    assert result.invited == len(members) - 1
    # The command's own transaction wrote the first batch only (no transaction of 450 rows).
    first = s.published(v1.MemberInvited)
    assert len(first) == BATCH_SIZE
    assert first[0].title == "Retrouvailles 2016" and first[0].title_en == "Class of 2016 reunion"
    assert max(u.commits for u in s.uows) == 1

    s.store.audience["demo"].append("late")  # joins after the computation: never invited
    await s.call("register", MANAGER, event_id=event_id, member_id=members[-1])  # registers before their batch
    assert await sweep(s) == BATCH_SIZE + 50 - 1 - 1  # the rest: 449 computed, 200 sent, one registered since
    assert await sweep(s) == 0, "a batch is sent once"

    invited = [e.member_id for e in s.published(v1.MemberInvited)]
    assert len(invited) == len(set(invited)) == len(members) - 2
    assert "late" not in invited and members[3] not in invited and members[-1] not in invited
    rows = [r for r in s.store.registrations.values() if r.status.value == "invited"]
    assert len(rows) == len(members) - 2
    # A retry of the command neither recomputes nor re-sends.
    again = await s.call("issue_invitations", MANAGER, event_id=event_id, segment=COHORT)
    assert again.invited == result.invited and await sweep(s) == 0
    assert len(s.published(v1.MemberInvited)) == len(members) - 2
    with pytest.raises(InvitationsAlreadyIssued):
        await s.call("issue_invitations", MANAGER, event_id=event_id, segment=Segment(cohort_years=[2017]))


async def test_batches_of_a_cancelled_event_are_not_sent() -> None:
    s = Service()
    s.store.audience["demo"] = [f"m{i:04d}" for i in range(BATCH_SIZE + 10)]
    event_id = await s.event()
    await s.call("issue_invitations", MANAGER, event_id=event_id, segment=COHORT)
    await s.call("cancel_event", MANAGER, event_id=event_id, reason="Salle indisponible")
    assert await sweep(s) == 0
    assert len(s.published(v1.MemberInvited)) == BATCH_SIZE
    assert await sweep(s) == 0 and not [b for b in s.store.batches.values() if b["sent_at"] is None]


async def test_preview_counts_who_would_be_invited_now() -> None:
    s = Service()
    s.store.audience["demo"] = ["m1", "m2", "m3"]
    event_id = await s.event()
    await s.call("register", MANAGER, event_id=event_id, member_id="m3")
    preview = await s.call("preview_invitations", MANAGER, event_id=event_id, segment=COHORT)
    assert (preview.count, preview.matching) == (2, 3)
    assert s.published(v1.MemberInvited) == [], "a preview sends nothing"


async def test_answers_are_broadcast_once_and_a_registrant_must_cancel_first() -> None:
    s = Service()
    s.store.audience["demo"] = ["m1", "m2"]
    event_id = await s.event(visibility="invited")
    await s.call("issue_invitations", MANAGER, event_id=event_id, segment=COHORT)
    assert (await s.call("answer_invitation", alumnus("m1"), event_id=event_id, answer="declined")).status == "declined"
    await s.call("answer_invitation", alumnus("m1"), event_id=event_id, answer="declined")  # the link clicked twice
    assert [(a.member_id, a.answer) for a in s.published(v1.InvitationAnswered)] == [("m1", "declined")]
    await s.call("answer_invitation", alumnus("m1"), event_id=event_id, answer="interested")
    assert [a.answer for a in s.published(v1.InvitationAnswered)] == ["declined", "interested"]
    # One who declined may still register (the seat is a registration); a registrant cannot decline.
    assert (await s.call("register", alumnus("m1"), event_id=event_id)).status == "registered"
    with pytest.raises(InvalidRegistrationChange):
        await s.call("answer_invitation", alumnus("m1"), event_id=event_id, answer="declined")
    listed = await s.call("event_registrations", MANAGER, event_id=event_id, status="invited")
    assert [r.member_id for r in listed.items] == ["m2"]


async def test_an_erased_member_leaves_the_pending_batches() -> None:
    from events_service.service_layer.handlers import erase_attendee
    from servicekit.erasure import EraseMemberData

    s = Service()
    members = [f"m{i:04d}" for i in range(BATCH_SIZE + 3)]
    s.store.audience["demo"] = list(members)
    event_id = await s.event()
    await s.call("issue_invitations", MANAGER, event_id=event_id, segment=COHORT)
    uow = FakeEventsUnitOfWork(s.store)
    erased, _ = await erase_attendee(uow, EraseMemberData(tenant="demo", erasure_id="er-1", member_id=members[-1]))
    assert erased["invitation_batches"] == 1
    assert await sweep(s) == 2
    assert members[-1] not in {e.member_id for e in s.published(v1.MemberInvited)}
