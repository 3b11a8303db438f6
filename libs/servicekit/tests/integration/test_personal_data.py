"""Erasure bookkeeping against a real MongoDB-wire server: scrub, tombstones, exports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient

from servicekit import personal_data
from servicekit.idempotency import IDEMPOTENCY
from servicekit.outbox import OUTBOX
from servicekit.projections import apply_versioned

pytestmark = pytest.mark.integration
MEMBER = "0193aaaa-0000-7000-8000-00000000beef"


def outbox_row(row_id: str, member_id: str, sent: bool, type_: str = "org.alumni.members.member_registered.v1") -> dict[str, Any]:
    return {"_id": row_id, "tenant": "demo", "type": type_, "sent_at": datetime.now(UTC) if sent else None,
            "payload": json.dumps({"data": {"member_id": member_id, "email": "zoe@example.org"}})}


async def test_scrub_deletes_sent_rows_and_replies_about_the_member_only(
        mongo_client: AsyncMongoClient[Any], db: Any) -> None:
    await db[OUTBOX].insert_many([
        outbox_row("a", MEMBER, sent=True), outbox_row("b", "someone-else", sent=True),
        outbox_row("c", MEMBER, sent=True, type_="org.alumni.members.member_erased.v1"),
        outbox_row("d", MEMBER, sent=True, type_="org.alumni.members.member_registered.v1") | {"tenant": "other"}])
    await db[IDEMPOTENCY].insert_many([
        {"tenant": "demo", "key": "k1", "reply": json.dumps({"result": {"member_id": MEMBER}})},
        {"tenant": "demo", "key": "k2", "reply": json.dumps({"result": {"member_id": "someone-else"}})}])
    async with mongo_client.start_session() as session:
        counts = await personal_data.scrub_delivery_records(
            db, "demo", MEMBER, session, keep_types=frozenset({"org.alumni.members.member_erased.v1"}))
    assert counts == {OUTBOX: 1, IDEMPOTENCY: 1}
    assert sorted([d["_id"] async for d in db[OUTBOX].find({})]) == ["b", "c", "d"], \
        "other members, kept types and other tenants stay"
    assert [d["key"] async for d in db[IDEMPOTENCY].find({})] == ["k2"]


async def test_an_unsent_row_about_the_member_postpones_the_erasure(mongo_client: AsyncMongoClient[Any], db: Any) -> None:
    await db[OUTBOX].insert_one(outbox_row("p", MEMBER, sent=False))
    async with mongo_client.start_session() as session:
        with pytest.raises(personal_data.ErasureNotYetPossible):
            await personal_data.scrub_delivery_records(db, "demo", MEMBER, session)
    assert await db[OUTBOX].count_documents({}) == 1, "nothing is deleted unsent"


async def test_a_tombstone_stops_late_events_from_recreating_a_projection(
        mongo_client: AsyncMongoClient[Any], db: Any) -> None:
    col = db["members"]
    assert await apply_versioned(col, "demo", MEMBER, 1, {"first_name": "Zoé"}, None)
    async with mongo_client.start_session() as session:
        await col.delete_one({"_id": MEMBER}, session=session)
        await personal_data.tombstone(db, "demo", MEMBER, session)
    assert not await apply_versioned(col, "demo", MEMBER, 7, {"first_name": "Zoé"}, None)
    assert await col.count_documents({}) == 0
    assert await apply_versioned(col, "other", MEMBER, 7, {"first_name": "Zoé"}, None), "tombstones are per tenant"
    [stone] = await db[personal_data.TOMBSTONES].find({}).to_list()
    assert MEMBER not in json.dumps(stone, default=str), "the tombstone does not name the member"


async def test_export_returns_json_safe_records(db: Any) -> None:
    at = datetime(2026, 11, 26, 9, tzinfo=UTC)
    await db["donations"].insert_many([{"_id": "d1", "tenant": "demo", "member_id": MEMBER, "at": at,
                                        "ref": ObjectId("65f000000000000000000001")},
                                       {"_id": "d2", "tenant": "demo", "member_id": "x", "at": at}])
    out = await personal_data.export_records(db, {"donations": {"tenant": "demo", "member_id": MEMBER}})
    assert out == {"donations": [{"_id": "d1", "tenant": "demo", "member_id": MEMBER, "at": "2026-11-26T09:00:00+00:00",
                                  "ref": "65f000000000000000000001"}]}
    json.dumps(out)
