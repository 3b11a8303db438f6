from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime

import pytest

from alumni_contracts.members.v1 import MemberConsentChanged, MemberProfileUpdated
from members_service.domain.consent import Channel, Purpose
from members_service.domain.directory import Viewer, directory_card
from members_service.domain.model import (
    EmailAlreadyRegistered,
    InvalidProfile,
    Member,
    MemberNotFound,
    NotAllowed,
    ProfileChanges,
)
from members_service.domain.profile import Cohort, EmailAddress, Position, Section, Visibility
from members_service.service_layer import consents, profiles
from members_service.service_layer.commands import Actor
from members_service.service_layer.consents import SetConsent
from members_service.service_layer.profiles import ConfirmDeceased, RegisterMember, SuggestDeceased, UpdateProfile
from servicekit.domain import ConcurrencyConflict

from .fakes import FakeMembers, FakeMembersUnitOfWork

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
MANAGER = Actor("staff-1", None, staff=True)


async def registered(store: FakeMembers, email: str = "zoe@example.org") -> Member:
    member_id = await profiles.register_member(RegisterMember("demo", "Zoé", "Martin", email, "fr",
                                                              Cohort("MSc Finance", 2012)), FakeMembersUnitOfWork(store))
    return store.rows[member_id]


def alumnus(member: Member) -> Actor:
    return Actor(f"sub-{member.id}", member.id, staff=False)


def update(member: Member, who: Actor, version: int | None = None, **changes: object) -> UpdateProfile:
    visibility = changes.pop("visibility", None)
    flags = {k: changes.pop(k) for k in ("email_bounced", "mail_returned") if k in changes}
    return UpdateProfile("demo", member.id, who, version if version is not None else member.version,
                         ProfileChanges(**changes), visibility, **flags)  # type: ignore[arg-type]


async def test_alumnus_updates_own_profile_and_other_services_are_told() -> None:
    store = FakeMembers()
    member = await registered(store)
    uow = FakeMembersUnitOfWork(store)
    career = (Position("Airbus", "Treasurer", "aerospace", "Toulouse", "FR", date(2019, 1, 1)),)
    updated = await profiles.update_profile(update(member, alumnus(member), usage_name="Dupont", career=career,
                                                   city="Toulouse", country="FR"), uow, clock=lambda: NOW)
    assert updated.version == 2 and updated.usage_name == "Dupont" and updated.career == career
    event, event_v2 = uow.published
    assert isinstance(event.data, MemberProfileUpdated) and event.aggregateversion == 2
    assert event_v2.type.endswith("member_profile_updated.v2") and event_v2.aggregateversion == 2
    assert event.data.usage_name == "Dupont" and event.data.cohorts[0].graduation_year == 2012


async def test_stale_version_is_a_conflict_and_changes_nothing() -> None:
    store = FakeMembers()
    member = await registered(store)
    await profiles.update_profile(update(member, MANAGER, city="Lyon"), FakeMembersUnitOfWork(store))
    uow = FakeMembersUnitOfWork(store)
    with pytest.raises(ConcurrencyConflict):
        await profiles.update_profile(update(member, MANAGER, version=1, city="Paris"), uow)
    assert store.rows[member.id].city == "Lyon" and uow.published == []


async def test_an_alumnus_cannot_change_another_profile_nor_hygiene_flags() -> None:
    store = FakeMembers()
    zoe = await registered(store)
    other = await registered(store, "other@example.org")
    with pytest.raises(MemberNotFound):
        await profiles.update_profile(update(zoe, alumnus(other), city="Nice"), FakeMembersUnitOfWork(store))
    with pytest.raises(NotAllowed):
        await profiles.update_profile(update(zoe, alumnus(zoe), email_bounced=True), FakeMembersUnitOfWork(store))
    await profiles.update_profile(update(zoe, MANAGER, email_bounced=True), FakeMembersUnitOfWork(store))
    assert store.rows[zoe.id].email_bounced


@pytest.mark.parametrize(("emails", "message"), [
    ((EmailAddress("a@example.org"), EmailAddress("b@example.org")), "exactly one email must be primary"),
    ((EmailAddress("a@example.org", True), EmailAddress("A@example.org")), "listed twice"),
])
async def test_email_lists_are_validated(emails: tuple[EmailAddress, ...], message: str) -> None:
    store = FakeMembers()
    member = await registered(store)
    with pytest.raises(InvalidProfile, match=message):
        await profiles.update_profile(update(member, MANAGER, emails=emails), FakeMembersUnitOfWork(store))


async def test_primary_email_of_another_member_is_a_conflict() -> None:
    store = FakeMembers()
    zoe = await registered(store)
    taken = await registered(store, "taken@example.org")
    with pytest.raises(EmailAlreadyRegistered, match=taken.id):
        await profiles.update_profile(update(zoe, MANAGER, emails=(EmailAddress("Taken@example.org", True),)),
                                      FakeMembersUnitOfWork(store))


async def test_visibility_changes_bump_the_version_but_publish_nothing() -> None:
    store = FakeMembers()
    member = await registered(store)
    uow = FakeMembersUnitOfWork(store)
    await profiles.update_profile(update(member, alumnus(member), visibility={Section.EMAIL: Visibility.ALUMNI}), uow)
    assert store.rows[member.id].visibility[Section.EMAIL] is Visibility.ALUMNI
    assert store.rows[member.id].version == 2 and uow.published == []


def consent(member: Member, who: Actor, purpose: Purpose, granted: bool, version: str = "v1") -> SetConsent:
    return SetConsent("demo", member.id, who, purpose, granted, version, "fr", Channel.WEB)


async def test_directory_listing_follows_the_directory_consent() -> None:
    store = FakeMembers()
    member = await registered(store)
    assert not member.listed, "nobody is listed before opting in"
    uow = FakeMembersUnitOfWork(store)
    await consents.set_consent(consent(member, alumnus(member), Purpose.DIRECTORY, True), uow, clock=lambda: NOW)
    assert store.rows[member.id].listed
    [event] = uow.published
    assert isinstance(event.data, MemberConsentChanged)
    assert event.data.purpose == "directory" and event.data.granted and event.data.text_version == "v1"
    await consents.set_consent(consent(member, alumnus(member), Purpose.DIRECTORY, False), FakeMembersUnitOfWork(store))
    assert not store.rows[member.id].listed


async def test_repeating_the_same_choice_records_nothing_new_but_a_new_text_version_does() -> None:
    store = FakeMembers()
    member = await registered(store)
    for version, expected in (("v1", 1), ("v1", 0), ("v2", 1)):
        uow = FakeMembersUnitOfWork(store)
        await consents.set_consent(consent(member, alumnus(member), Purpose.NEWSLETTER, True, version), uow)
        assert len(uow.published) == expected


async def test_only_the_member_or_staff_record_a_consent() -> None:
    store = FakeMembers()
    zoe = await registered(store)
    other = await registered(store, "other@example.org")
    with pytest.raises(MemberNotFound):
        await consents.set_consent(consent(zoe, alumnus(other), Purpose.SURVEYS, True), FakeMembersUnitOfWork(store))
    await consents.set_consent(consent(zoe, MANAGER, Purpose.SURVEYS, True), FakeMembersUnitOfWork(store))
    assert store.rows[zoe.id].consents[Purpose.SURVEYS].actor_role == "staff"


async def test_deceased_is_suggested_by_anyone_and_confirmed_by_a_manager_only() -> None:
    store = FakeMembers()
    member = await registered(store)
    await consents.set_consent(consent(member, alumnus(member), Purpose.DIRECTORY, True), FakeMembersUnitOfWork(store))
    other = Actor("sub-x", "x", staff=False)
    await profiles.suggest_deceased(SuggestDeceased("demo", member.id, other), FakeMembersUnitOfWork(store))
    assert store.rows[member.id].listed, "a suggestion changes nothing visible"
    with pytest.raises(NotAllowed):
        await profiles.confirm_deceased(ConfirmDeceased("demo", member.id, other), FakeMembersUnitOfWork(store))
    uow = FakeMembersUnitOfWork(store)
    await profiles.confirm_deceased(ConfirmDeceased("demo", member.id, MANAGER), uow)
    assert not store.rows[member.id].listed
    event, _v2 = uow.published
    assert isinstance(event.data, MemberProfileUpdated) and event.data.deceased


# -- what the directory shows -------------------------------------------------------------

SECTION_FIELDS = {Section.EMAIL: ["email"], Section.PHONE: ["phone"], Section.PHOTO: ["photo_url"],
                  Section.LINKEDIN: ["linkedin_url"], Section.LOCATION: ["city", "country"],
                  Section.CAREER: ["career"], Section.EDUCATION: ["education"]}
ALWAYS = {"member_id", "first_name", "last_name", "usage_name", "cohorts", "ambassador"}


def full_member(visibility: Visibility) -> Member:
    member = Member.register(tenant="demo", first_name="Zoé", last_name="Martin", email="z@example.org",
                             locale="fr", cohort=Cohort("MSc", 2012), now=NOW)
    member.update_profile(ProfileChanges(phone="+33 6 12 34 56 78", photo_url="https://img.example.org/z.jpg",
                                         linkedin_url="https://www.linkedin.com/in/z", city="Lyon", country="FR",
                                         career=(Position("Airbus", "CFO"),)), NOW)
    member.set_visibility(dict.fromkeys(Section, visibility))
    return member


def test_every_card_field_is_either_always_shown_or_governed_by_a_section() -> None:
    governed = {f for names in SECTION_FIELDS.values() for f in names}
    from members_service.domain.directory import DirectoryCard

    assert {f.name for f in fields(DirectoryCard)} == ALWAYS | governed


@pytest.mark.parametrize("visibility", list(Visibility))
@pytest.mark.parametrize("viewer_kind", ["other alumnus", "self", "manager"])
def test_cards_never_carry_a_field_the_viewer_may_not_see(visibility: Visibility, viewer_kind: str) -> None:
    member = full_member(visibility)
    viewer = {"other alumnus": Viewer("someone-else", False), "self": Viewer(member.id, False),
              "manager": Viewer(None, True)}[viewer_kind]
    card = directory_card(member, viewer)
    for section, names in SECTION_FIELDS.items():
        visible = viewer_kind != "other alumnus" or visibility is Visibility.ALUMNI
        for name in names:
            assert (getattr(card, name) is not None) == visible, (section, name, viewer_kind, visibility)
    assert card.first_name == "Zoé" and card.cohorts == (Cohort("MSc", 2012),)
