"""Showcase, ambassadors and sector lists round-trip through MongoDB, and the public read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from members_service.adapters.mongo_indexes import INDEXES
from members_service.adapters.mongo_reader import MongoMemberReader
from members_service.adapters.unit_of_work import MongoMembersUnitOfWork
from members_service.domain.ambassador import AmbassadorScope
from members_service.domain.consent import Channel, Purpose
from members_service.domain.profile import Cohort
from members_service.domain.showcase import ShowcaseChannel, ShowcaseField, ShowcaseProfile, ShowcaseScope
from members_service.service_layer import ambassadors, consents, profiles, showcase
from members_service.service_layer.ambassadors import AppointAmbassador
from members_service.service_layer.commands import Actor
from members_service.service_layer.consents import SetConsent
from members_service.service_layer.contract_mapping import to_contract
from members_service.service_layer.profiles import RegisterMember
from members_service.service_layer.showcase import PublicShowcaseQuery, SetShowcase
from servicekit.mongo import ensure_indexes
from servicekit.outbox import OUTBOX, outbox_indexes

pytestmark = pytest.mark.integration
STAFF = Actor("staff", None, staff=True)


async def test_showcase_and_ambassador_round_trip_and_expiry(mongo_client: Any, db: Any, db_name: str) -> None:
    await ensure_indexes(db, [*INDEXES, *outbox_indexes(7)])

    def uow() -> MongoMembersUnitOfWork:
        return MongoMembersUnitOfWork(mongo_client, db_name, to_contract)

    reader = MongoMemberReader(db)
    member_id = await profiles.register_member(RegisterMember("demo", "Zoé", "Martin", "zoe@example.org", "fr",
                                                              Cohort("MSc", 2012)), uow())
    await showcase.set_showcase(SetShowcase("demo", member_id, STAFF, ShowcaseProfile(quote="Merci", story="S")), uow())
    expires = datetime.now(UTC) + timedelta(hours=1)
    scope = ShowcaseScope(frozenset({ShowcaseField.QUOTE, ShowcaseField.COHORT}), frozenset({ShowcaseChannel.WEBSITE}),
                          expires)
    await consents.set_consent(SetConsent("demo", member_id, STAFF, Purpose.SHOWCASE, True, "v1", "fr", Channel.CONSOLE,
                                          scope), uow())
    await ambassadors.appoint_ambassador(AppointAmbassador("demo", member_id, STAFF, AmbassadorScope(
        (Cohort("MSc", 2012),), ("MSc",), ("Lyon",))), uow())

    member = await reader.get("demo", member_id)
    assert member is not None and member.showcase == ShowcaseProfile(quote="Merci", story="S")
    assert member.consents[Purpose.SHOWCASE].scope == scope
    assert member.ambassador is not None and member.ambassador.scope.cities == ("Lyon",)
    [entry] = await showcase.public_showcase(PublicShowcaseQuery("demo", ShowcaseChannel.WEBSITE), reader)
    assert entry.quote == "Merci" and entry.cohort == Cohort("MSc", 2012) and entry.story is None
    history = await reader.consent_history("demo", member_id)
    assert history[-1].scope == scope, "the ledger keeps the scope that was consented to"

    later = expires + timedelta(seconds=1)
    assert await showcase.expire_showcases(uow, reader, clock=lambda: later) == 1
    assert await showcase.public_showcase(PublicShowcaseQuery("demo", ShowcaseChannel.WEBSITE), reader) == []
    subjects = [r["subject"] async for r in db[OUTBOX].find({}).sort("_id", 1)]
    assert subjects[-1] == "evt.demo.members.showcase_unpublished.v1"
    assert "evt.demo.members.ambassador_appointed.v1" in subjects
