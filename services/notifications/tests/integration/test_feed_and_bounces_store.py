"""The feed, preferences and bounce records on the real database (the MongoDB stand-in):
cursor paging over items created in the same millisecond, unread counts per member and tenant,
marking only one's own items read, preferences and address health round trips, contactability
per cohort, message-id lookups scoped to the tenant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from notifications_service.adapters.mongo_repository import INDEXES
from notifications_service.adapters.unit_of_work import MongoNotificationsUnitOfWork
from notifications_service.domain.bounces import AddressHealth, BounceKind, BouncePolicy
from notifications_service.domain.feed import FeedItem
from notifications_service.domain.preferences import Category, Channel, MemberPreferences
from notifications_service.service_layer import member_notifications as mn
from notifications_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import ensure_indexes

pytestmark = pytest.mark.integration
AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def uow(mongo_client: Any, db_name: str) -> Any:
    await ensure_indexes(mongo_client[db_name], INDEXES)

    def make() -> MongoNotificationsUnitOfWork:
        return MongoNotificationsUnitOfWork(mongo_client, db_name, to_contract, None, 60.0)

    yield make
    await mongo_client.drop_database(db_name)


def item(n: int, member: str = "m1", tenant: str = "demo", at: datetime = AT) -> FeedItem:
    return FeedItem(id=f"k-{n:02d}-{member}", tenant=tenant, member_id=member, kind="welcome", category="newsletters",
                    title=f"T{n}", body="b", locale="fr", created_at=at)


async def test_feed_pages_reads_and_counts_per_member(uow: Any) -> None:
    async with uow() as u:
        for n in range(7):  # three share a timestamp: the id breaks the tie
            assert await u.feed.add_if_absent(item(n, at=AT + timedelta(seconds=min(n, 4))))
        assert not await u.feed.add_if_absent(item(0))
        await u.feed.add_if_absent(item(0, member="m2"))
        await u.feed.add_if_absent(item(0, member="m1-other", tenant="other"))
        await u.commit()
    seen: list[str] = []
    page = await mn.list_feed(mn.ListFeed("demo", "m1", 3), uow())
    seen += [i.id for i in page.items]
    while page.next_cursor:
        page = await mn.list_feed(mn.ListFeed("demo", "m1", 3, page.next_cursor), uow())
        seen += [i.id for i in page.items]
    assert seen == sorted(seen, reverse=True) == [f"k-{n:02d}-m1" for n in reversed(range(7))]
    assert page.unread == 7
    marked = await mn.mark_read(mn.MarkRead("demo", "m1", ["k-00-m1", "k-00-m2"]), uow(), clock=lambda: AT)
    assert (marked.marked, marked.unread) == (1, 6)
    assert (await mn.mark_read(mn.MarkRead("demo", "m1", None), uow(), clock=lambda: AT)).unread == 0
    assert (await mn.list_feed(mn.ListFeed("demo", "m2", 5), uow())).unread == 1
    assert (await mn.list_feed(mn.ListFeed("other", "m1-other", 5), uow())).unread == 1
    assert (await mn.list_feed(mn.ListFeed("other", "m1", 5), uow())).items == [], "tenant-scoped"


async def test_preferences_addresses_contactability_and_message_ids(uow: Any, mongo_client: Any, db_name: str) -> None:
    db = mongo_client[db_name]
    for n, (contactable, year) in enumerate([(True, 2016), (False, 2016), (True, 2016), (True, 2010)]):
        await db["contacts"].insert_one({"_id": f"c{n}", "tenant": "demo", "email": f"c{n}@example.org",
                                         "contactable": contactable, "program": "MSc", "graduation_year": year})
    await db["contacts"].insert_one({"_id": "x", "tenant": "other", "contactable": True, "program": "MSc",
                                     "graduation_year": 2016})
    rows = await mn.get_contactability(mn.GetContactability("demo"), uow())
    assert rows == [{"program": "MSc", "graduation_year": 2016, "alumni": 3, "contactable": 2},
                    {"program": "MSc", "graduation_year": 2010, "alumni": 1, "contactable": 1}]

    view = await mn.set_preferences(mn.SetPreferences("demo", "c0", {(Category.JOBS, Channel.EMAIL): False}), uow())
    assert view.table["jobs"]["email"] is False
    async with uow() as u:
        prefs = await u.preferences.get("demo", "c0")
        assert isinstance(prefs, MemberPreferences) and not prefs.preferences.allows(Category.JOBS, Channel.EMAIL)
        assert await u.preferences.get("other", "c0") is None

        health = AddressHealth(id="c0:c0@example.org", tenant="demo", member_id="c0", email="c0@example.org")
        for day in range(3):
            health.report(BounceKind.SOFT, AT + timedelta(days=day), BouncePolicy(), f"r{day}")
        await u.addresses.save(health)
        await u.contacts.mark_bouncing("demo", "c0", "c0@example.org")
        await u.contacts.mark_bouncing("demo", "c2", "not-their-address@example.org")
        await u.commit()
    async with uow() as u:
        again = await u.addresses.get("demo", "c0", "C0@example.org")
        assert again is not None and again.invalidated_at == AT + timedelta(days=2) and len(again.soft_bounces) == 3
        assert (await u.contacts.get("demo", "c0") or {})["contactable"] is False
        assert (await u.contacts.get("demo", "c2") or {})["contactable"] is True, "another address: untouched"
        assert await u.notifications.by_message_id("other", "<nothing@x>") is None
