"""Showcase (scoped consent), ambassadors and the tenant's sector list, through the use cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from alumni_contracts.members.v1 import (
    AmbassadorAppointed,
    AmbassadorRevoked,
    MemberConsentChanged,
    ShowcasePublished,
    ShowcaseUnpublished,
)
from members_service.domain.ambassador import AmbassadorScope
from members_service.domain.consent import Channel, Purpose
from members_service.domain.model import InvalidConsent, Member, NotAllowed, NotAnAmbassador, ProfileChanges
from members_service.domain.profile import Cohort, Position
from members_service.domain.sectors import InvalidSectorList, Sector, UnknownSector
from members_service.domain.showcase import ShowcaseChannel, ShowcaseField, ShowcaseProfile, ShowcaseScope
from members_service.service_layer import ambassadors, consents, profiles, sectors, showcase
from members_service.service_layer.ambassadors import AppointAmbassador, RevokeAmbassador
from members_service.service_layer.consents import SetConsent
from members_service.service_layer.profiles import ConfirmDeceased, UpdateProfile
from members_service.service_layer.sectors import SetSectors
from members_service.service_layer.showcase import PublicShowcaseQuery, SetShowcase
from servicekit.domain import ConcurrencyConflict

from .fakes import FakeMembers, FakeMembersUnitOfWork
from .test_profiles_and_consents import MANAGER, alumnus, registered

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
TEXT = ShowcaseProfile(quote="L'école m'a ouvert le monde.", story="De Cergy à Toulouse…", employer="Airbus",
                       job_title="Treasurer")


def scope(*fields: ShowcaseField, channels: tuple[ShowcaseChannel, ...] = (ShowcaseChannel.WEBSITE,),
          days: int = 30) -> ShowcaseScope:
    return ShowcaseScope(frozenset(fields), frozenset(channels), NOW + timedelta(days=days))


def showcase_consent(member: Member, granted: bool = True, s: ShowcaseScope | None = None) -> SetConsent:
    return SetConsent("demo", member.id, alumnus(member), Purpose.SHOWCASE, granted, "showcase-v1", "fr", Channel.WEB,
                      s if s is not None or not granted else scope(ShowcaseField.NAME, ShowcaseField.QUOTE))


async def published(store: FakeMembers, s: ShowcaseScope) -> Member:
    member = await registered(store)
    await showcase.set_showcase(SetShowcase("demo", member.id, alumnus(member), TEXT), FakeMembersUnitOfWork(store),
                                clock=lambda: NOW)
    await consents.set_consent(showcase_consent(member, s=s), FakeMembersUnitOfWork(store), clock=lambda: NOW)
    return store.rows[member.id]


async def test_text_alone_publishes_nothing_the_consent_publishes_only_its_fields() -> None:
    store = FakeMembers()
    member = await registered(store)
    uow = FakeMembersUnitOfWork(store)
    await showcase.set_showcase(SetShowcase("demo", member.id, alumnus(member), TEXT), uow, clock=lambda: NOW)
    assert uow.published == [] and store.rows[member.id].showcase_public is None

    uow = FakeMembersUnitOfWork(store)
    await consents.set_consent(showcase_consent(member, s=scope(ShowcaseField.NAME, ShowcaseField.QUOTE)), uow,
                               clock=lambda: NOW)
    consent, shown = (e.data for e in uow.published)
    assert isinstance(consent, MemberConsentChanged) and isinstance(shown, ShowcasePublished)
    assert (shown.first_name, shown.last_name, shown.quote) == ("Zoé", "Martin", TEXT.quote)
    assert shown.story is None and shown.employer is None and shown.cohort is None and shown.photo_url is None
    assert shown.channels == ["website"]

    [entry] = await showcase.public_showcase(PublicShowcaseQuery("demo", ShowcaseChannel.WEBSITE), store,
                                             clock=lambda: NOW)
    assert entry.quote == TEXT.quote and entry.story is None
    assert await showcase.public_showcase(PublicShowcaseQuery("demo", ShowcaseChannel.BROCHURES), store,
                                          clock=lambda: NOW) == []
    assert await showcase.public_showcase(PublicShowcaseQuery("other", ShowcaseChannel.WEBSITE), store,
                                          clock=lambda: NOW) == []


async def test_withdrawal_unpublishes_at_once() -> None:
    store = FakeMembers()
    member = await published(store, scope(ShowcaseField.QUOTE))
    uow = FakeMembersUnitOfWork(store)
    await consents.set_consent(showcase_consent(member, granted=False), uow, clock=lambda: NOW)
    gone = uow.published[-1].data
    assert isinstance(gone, ShowcaseUnpublished) and gone.reason == "consent-withdrawn"
    assert await showcase.public_showcase(PublicShowcaseQuery("demo", ShowcaseChannel.WEBSITE), store,
                                          clock=lambda: NOW) == []
    assert store.rows[member.id].consents[Purpose.SHOWCASE].scope is None


async def test_expiry_hides_the_entry_immediately_and_the_sweep_emits_the_event() -> None:
    store = FakeMembers()
    member = await published(store, scope(ShowcaseField.QUOTE, days=1))
    later = NOW + timedelta(days=1, seconds=1)
    assert await showcase.public_showcase(PublicShowcaseQuery("demo", ShowcaseChannel.WEBSITE), store,
                                          clock=lambda: later) == []
    uows: list[FakeMembersUnitOfWork] = []

    def uow() -> FakeMembersUnitOfWork:
        uows.append(FakeMembersUnitOfWork(store))
        return uows[-1]

    assert await showcase.expire_showcases(uow, store, clock=lambda: NOW) == 0
    assert await showcase.expire_showcases(uow, store, clock=lambda: later) == 1
    [gone] = [e.data for u in uows for e in u.published]
    assert isinstance(gone, ShowcaseUnpublished) and gone.reason == "consent-expired"
    assert store.rows[member.id].showcase_public is None
    assert await showcase.expire_showcases(uow, store, clock=lambda: later) == 0, "swept once"


async def test_profile_changes_update_the_entry_and_death_unpublishes() -> None:
    store = FakeMembers()
    member = await published(store, scope(ShowcaseField.NAME, ShowcaseField.QUOTE))
    uow = FakeMembersUnitOfWork(store)
    await profiles.update_profile(UpdateProfile("demo", member.id, MANAGER, member.version,
                                                ProfileChanges(usage_name="Dupont")), uow, clock=lambda: NOW)
    assert isinstance(uow.published[-1].data, ShowcasePublished) and uow.published[-1].data.last_name == "Dupont"
    uow = FakeMembersUnitOfWork(store)
    await profiles.update_profile(UpdateProfile("demo", member.id, MANAGER, store.rows[member.id].version,
                                                ProfileChanges(city="Nice")), uow, clock=lambda: NOW)
    assert not any(isinstance(e.data, ShowcasePublished) for e in uow.published), "nothing shown changed"
    uow = FakeMembersUnitOfWork(store)
    await profiles.confirm_deceased(ConfirmDeceased("demo", member.id, MANAGER), uow, clock=lambda: NOW)
    gone = uow.published[-1].data
    assert isinstance(gone, ShowcaseUnpublished) and gone.reason == "deceased"


@pytest.mark.parametrize(("s", "message"), [
    (None, "names its fields"),
    (ShowcaseScope(frozenset(), frozenset({ShowcaseChannel.WEBSITE}), NOW + timedelta(days=1)), "at least one"),
    (ShowcaseScope(frozenset({ShowcaseField.QUOTE}), frozenset({ShowcaseChannel.WEBSITE}), NOW), "future"),
])
async def test_a_showcase_grant_needs_a_live_scope(s: ShowcaseScope | None, message: str) -> None:
    store = FakeMembers()
    member = await registered(store)
    cmd = SetConsent("demo", member.id, alumnus(member), Purpose.SHOWCASE, True, "v1", "fr", Channel.WEB, s)
    with pytest.raises(InvalidConsent, match=message):
        await consents.set_consent(cmd, FakeMembersUnitOfWork(store), clock=lambda: NOW)


async def test_only_the_member_or_staff_write_the_showcase() -> None:
    store = FakeMembers()
    zoe = await registered(store)
    other = await registered(store, "other@example.org")
    from members_service.domain.model import MemberNotFound

    with pytest.raises(MemberNotFound):
        await showcase.set_showcase(SetShowcase("demo", zoe.id, alumnus(other), TEXT), FakeMembersUnitOfWork(store))


async def test_ambassadors_are_appointed_and_revoked_by_managers_only() -> None:
    store = FakeMembers()
    member = await registered(store)
    lyon = AmbassadorScope(cohorts=(Cohort("MSc Finance", 2012),), cities=("Lyon",))
    with pytest.raises(NotAllowed):
        await ambassadors.appoint_ambassador(AppointAmbassador("demo", member.id, alumnus(member), lyon),
                                          FakeMembersUnitOfWork(store))
    uow = FakeMembersUnitOfWork(store)
    await ambassadors.appoint_ambassador(AppointAmbassador("demo", member.id, MANAGER, lyon), uow, clock=lambda: NOW)
    [appointed] = [e.data for e in uow.published]
    assert isinstance(appointed, AmbassadorAppointed) and appointed.cities == ["Lyon"]
    again = FakeMembersUnitOfWork(store)
    await ambassadors.appoint_ambassador(AppointAmbassador("demo", member.id, MANAGER, lyon), again)
    assert again.published == [], "the same scope again changes nothing"
    uow = FakeMembersUnitOfWork(store)
    await ambassadors.revoke_ambassador(RevokeAmbassador("demo", member.id, MANAGER), uow, clock=lambda: NOW)
    assert isinstance(uow.published[0].data, AmbassadorRevoked) and store.rows[member.id].ambassador is None
    with pytest.raises(NotAnAmbassador):
        await ambassadors.revoke_ambassador(RevokeAmbassador("demo", member.id, MANAGER), FakeMembersUnitOfWork(store))


async def test_career_sectors_come_from_the_tenant_list() -> None:
    store = FakeMembers()
    member = await registered(store)

    def career(sector: str) -> UpdateProfile:
        return UpdateProfile("demo", member.id, MANAGER, store.rows[member.id].version, ProfileChanges(
            career=(Position("Airbus", "Treasurer", sector, start=date(2020, 1, 1)),)))

    with pytest.raises(UnknownSector, match="space-mining"):
        await profiles.update_profile(career("space-mining"), FakeMembersUnitOfWork(store))
    await profiles.update_profile(career("aerospace"), FakeMembersUnitOfWork(store))  # the default list

    ours = (Sector("space-mining", "Mines spatiales", "Space mining"),)
    await sectors.set_sectors(SetSectors("demo", MANAGER, ours, expected_version=0), FakeMembersUnitOfWork(store))
    with pytest.raises(ConcurrencyConflict):
        await sectors.set_sectors(SetSectors("demo", MANAGER, ours, expected_version=0), FakeMembersUnitOfWork(store))
    with pytest.raises(NotAllowed):
        await sectors.set_sectors(SetSectors("demo", alumnus(member), ours, 1), FakeMembersUnitOfWork(store))
    await profiles.update_profile(career("space-mining"), FakeMembersUnitOfWork(store))
    # A code removed from the list stays on the positions that already hold it.
    keep = UpdateProfile("demo", member.id, MANAGER, store.rows[member.id].version, ProfileChanges(career=(
        Position("Airbus", "Treasurer", "space-mining", start=date(2020, 1, 1)),
        Position("Thales", "CFO", "aerospace", start=date(2024, 1, 1)))))
    with pytest.raises(UnknownSector, match="aerospace"):
        await profiles.update_profile(keep, FakeMembersUnitOfWork(store))
    with pytest.raises(InvalidSectorList, match="twice"):
        await sectors.set_sectors(SetSectors("demo", MANAGER, ours * 2, expected_version=1),
                                   FakeMembersUnitOfWork(store))
