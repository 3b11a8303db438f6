"""What notifications learns from email, recorded by members: a one-click unsubscribe is a
consent withdrawal in the ledger (channel `email`, the member's own act), an invalidated
address sets `email_bounced` — only while it is still the member's address."""

from __future__ import annotations

from datetime import UTC, datetime

from alumni_contracts.members.v1 import MemberConsentChanged
from members_service.domain.consent import Channel, ConsentRecord, Purpose
from members_service.service_layer import email_feedback

from .fakes import FakeMembers, FakeMembersUnitOfWork
from .test_profiles_and_consents import registered

AT = datetime(2026, 12, 2, 9, tzinfo=UTC)


async def test_an_unsubscribe_withdraws_the_consent_through_the_email_channel() -> None:
    store = FakeMembers()
    member = await registered(store)
    member.record_consent(ConsentRecord(purpose=Purpose.NEWSLETTER, granted=True, text_version="nl-2026", language="fr",
                                        channel=Channel.WEB, actor="sub", actor_role="alumnus", at=AT))
    uow = FakeMembersUnitOfWork(store)
    assert await email_feedback.withdraw_from_email("demo", member.id, "newsletter", "en", "one-click", AT, uow)
    [event] = [e.data for e in uow.published if isinstance(e.data, MemberConsentChanged) and not e.data.granted]
    assert (event.purpose, event.granted, event.channel, event.text_version) == ("newsletter", False, "email", "nl-2026")
    again = FakeMembersUnitOfWork(store)
    assert await email_feedback.withdraw_from_email("demo", member.id, "newsletter", "en", "one-click", AT, again)
    assert again.published == [], "the same withdrawal again records nothing new"
    assert not await email_feedback.withdraw_from_email("demo", "nobody", "newsletter", "fr", "one-click", AT,
                                                        FakeMembersUnitOfWork(store))
    assert not await email_feedback.withdraw_from_email("demo", member.id, "spam", "fr", "one-click", AT,
                                                        FakeMembersUnitOfWork(store))


async def test_an_invalidated_address_sets_email_bounced_only_if_it_is_still_theirs() -> None:
    store = FakeMembers()
    member = await registered(store, "zoe@example.org")
    assert not await email_feedback.flag_bounced("demo", member.id, "old@example.org", FakeMembersUnitOfWork(store))
    assert not store.rows[member.id].email_bounced
    uow = FakeMembersUnitOfWork(store)
    assert await email_feedback.flag_bounced("demo", member.id, "ZOE@example.org", uow, clock=lambda: AT)
    assert store.rows[member.id].email_bounced
    assert any(e.type.endswith("member_profile_updated.v2") and e.data.email_bounced for e in uow.published)
    assert not await email_feedback.flag_bounced("demo", "nobody", "x@example.org", FakeMembersUnitOfWork(store))
