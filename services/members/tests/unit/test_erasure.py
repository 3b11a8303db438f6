"""The members side of a GDPR erasure: request, confirmations, completion, status access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alumni_contracts.members.v1 import MemberErased, MemberErasureRequested, ShowcaseUnpublished
from members_service.domain.erasure import ErasureNotFound, ErasureState
from members_service.domain.groups import Membership, MembershipStatus
from members_service.domain.model import MemberNotFound
from members_service.domain.showcase import ShowcaseField
from members_service.service_layer import privacy
from members_service.service_layer.privacy import ConfirmErasure, GetErasure, RequestErasure
from servicekit.personal_data import subject_hash

from .fakes import FakeMembers, FakeMembersUnitOfWork
from .test_profiles_and_consents import MANAGER, alumnus, registered
from .test_showcase_ambassadors_sectors import published, scope

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
CONFIRMERS = ("events", "fundraising", "notifications")


async def test_request_erases_members_records_at_once_and_asks_the_others() -> None:
    store = FakeMembers()
    member = await published(store, scope(ShowcaseField.QUOTE))
    for owner in (member.id, "someone-else"):
        store.memberships[f"g1:{owner}"] = Membership(id=f"g1:{owner}", tenant="demo", group_id="g1", member_id=owner,
                                                      status=MembershipStatus.ACTIVE)
    uow = FakeMembersUnitOfWork(store)
    erasure = await privacy.request_erasure(RequestErasure("demo", member.id, alumnus(member), CONFIRMERS, 30), uow,
                                             clock=lambda: NOW)
    assert member.id not in store.rows, "the member record is gone"
    assert list(store.memberships) == ["g1:someone-else"], "the groups slice erased the member's memberships only"
    assert store.erased_import_rows == [member.id], "the imports slice erased its copies of the row"
    assert store.forgotten_directories == ["demo"], "the directory forgot its sketch (it holds names)"
    events = {type(e.data): e.data for e in uow.published}
    assert events[ShowcaseUnpublished].reason == "erased"
    requested = events[MemberErasureRequested]
    assert requested.member_id == member.id and requested.deadline == NOW + timedelta(days=30)
    assert erasure.confirmations == {"members": NOW, "events": None, "fundraising": None, "notifications": None}
    assert erasure.member_ref == subject_hash("demo", member.id)


async def test_last_confirmation_completes_forgets_the_member_and_tells_partners() -> None:
    store = FakeMembers()
    member = await registered(store)
    erasure = await privacy.request_erasure(RequestErasure("demo", member.id, MANAGER, CONFIRMERS, 30),
                                             FakeMembersUnitOfWork(store), clock=lambda: NOW)
    for service in ("events", "events", "fundraising"):  # a redelivered confirmation changes nothing
        uow = FakeMembersUnitOfWork(store)
        await privacy.confirm_erasure(ConfirmErasure("demo", erasure.id, service), uow, clock=lambda: NOW)
        assert uow.published == [] and uow.scrubbed == []
    uow = FakeMembersUnitOfWork(store)
    done = await privacy.confirm_erasure(ConfirmErasure("demo", erasure.id, "notifications"), uow, clock=lambda: NOW)
    [erased] = [e.data for e in uow.published]
    assert isinstance(erased, MemberErased) and erased.member_id == member.id
    assert uow.scrubbed == [("demo", member.id)], "members scrubs its own delivery records last"
    assert done.state is ErasureState.COMPLETED and done.member_id is None and not done.overdue(NOW + timedelta(days=99))
    with pytest.raises(ErasureNotFound):
        await privacy.confirm_erasure(ConfirmErasure("other", erasure.id, "events"), FakeMembersUnitOfWork(store))


async def test_only_the_member_or_staff_erase_and_read_the_status() -> None:
    store = FakeMembers()
    zoe = await registered(store)
    other = await registered(store, "other@example.org")
    with pytest.raises(MemberNotFound):
        await privacy.request_erasure(RequestErasure("demo", zoe.id, alumnus(other), CONFIRMERS, 30),
                                       FakeMembersUnitOfWork(store))
    erasure = await privacy.request_erasure(RequestErasure("demo", zoe.id, alumnus(zoe), CONFIRMERS, 30),
                                             FakeMembersUnitOfWork(store), clock=lambda: NOW)
    assert (await privacy.get_erasure(GetErasure("demo", erasure.id, alumnus(zoe)), FakeMembersUnitOfWork(store))) \
        is erasure
    assert await privacy.get_erasure(GetErasure("demo", erasure.id, MANAGER), FakeMembersUnitOfWork(store))
    with pytest.raises(ErasureNotFound):
        await privacy.get_erasure(GetErasure("demo", erasure.id, alumnus(other)), FakeMembersUnitOfWork(store))
    assert erasure.overdue(NOW + timedelta(days=31))
    assert await privacy.watch_erasure_deadlines(store, clock=lambda: NOW + timedelta(days=31)) == 1


async def test_erasure_deletes_the_dues_membership_and_keeps_other_members() -> None:
    from members_service.domain.membership import Membership, PlanKind, PlanRef, PlanTerms

    store = FakeMembers()
    zoe = await registered(store)
    plan = PlanRef("std", 1, PlanTerms("Standard", PlanKind.ANNUAL, 6000, "EUR"))
    mine = Membership.join("demo", zoe.id, plan, NOW)
    theirs = Membership.join("demo", "someone-else", plan, NOW)
    same_id_other_tenant = Membership.join("other", zoe.id, plan, NOW)
    store.dues_memberships.update({m.id: m for m in (mine, theirs, same_id_other_tenant)})
    await privacy.request_erasure(RequestErasure("demo", zoe.id, alumnus(zoe), CONFIRMERS, 30),
                                   FakeMembersUnitOfWork(store), clock=lambda: NOW)
    assert set(store.dues_memberships) == {theirs.id, same_id_other_tenant.id}
