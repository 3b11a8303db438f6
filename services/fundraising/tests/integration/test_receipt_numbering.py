"""Receipt numbering against a real MongoDB-wire server: 50 concurrent gifts handled by two
replicas (two clients, as two processes would have) get numbers 1..50 of their entity's year,
no gap and no duplicate; the same gift twice is one receipt; erasure never renumbers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from fundraising_service.adapters.mongo_receipts import COUNTERS, RECEIPT_INDEXES, RECEIPTS
from fundraising_service.adapters.mongo_repository import INDEXES, MEMBERS
from fundraising_service.adapters.unit_of_work import MongoFundraisingUnitOfWork
from fundraising_service.bootstrap import export_queries
from fundraising_service.domain.receipts import LegalEntity, ReceiptSource, is_gapless
from fundraising_service.service_layer import handlers, receipts
from fundraising_service.service_layer.contract_mapping import to_contract
from servicekit.data_export import export_records
from servicekit.erasure import EraseMemberData, erase_member_data
from servicekit.mongo import ensure_indexes
from servicekit.outbox import OUTBOX, outbox_indexes
from servicekit.retry import is_write_conflict, retry_transient

pytestmark = pytest.mark.integration
T = "demo"
ENTITY = LegalEntity(id="fondation", tenant=T, name="Fondation", address="1 rue de l'École, Paris", object="Bourses",
                     status="FRUP", may_issue_receipts=True, signatory_name="C. Martin", signatory_title="Présidente",
                     default_for_gifts=True)
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def gift(i: int, member: str = "m1") -> receipts.PaymentToReceipt:
    return receipts.PaymentToReceipt(tenant=T, source=ReceiptSource.DONATION, source_id=f"d{i}", member_id=member,
                                     amount_minor=1000 + i, currency="EUR", received_at=NOW, method="card")


@pytest.fixture
async def prepared(mongo_client: Any, db: Any, db_name: str) -> Any:
    await ensure_indexes(db, [*INDEXES, *RECEIPT_INDEXES, *outbox_indexes(7)])
    await db[MEMBERS].insert_one({"_id": "m1", "tenant": T, "version": 1, "first_name": "Ana", "last_name": "Lima"})
    await receipts.upsert_legal_entity(receipts.UpsertLegalEntity(ENTITY),
                                       MongoFundraisingUnitOfWork(mongo_client, db_name, to_contract))
    return db


async def test_fifty_concurrent_gifts_on_two_replicas_are_numbered_1_to_50(prepared: Any, mongo_uri: str,
                                                                           db_name: str) -> None:
    replicas = [AsyncMongoClient(mongo_uri), AsyncMongoClient(mongo_uri)]
    try:
        async def handle(i: int) -> str | None:
            client = replicas[i % 2]
            # what a consumer does: write conflicts run again (then the redelivery would)
            return await retry_transient(
                lambda: receipts.issue_for_payment(gift(i), MongoFundraisingUnitOfWork(client, db_name, to_contract)),
                attempts=60, retry_if=is_write_conflict)

        ids = await asyncio.gather(*(handle(i) for i in range(50)))
    finally:
        for client in replicas:
            await client.close()
    assert len(set(ids)) == 50 and None not in ids
    docs = [d async for d in prepared[RECEIPTS].find({"tenant": T})]
    sequences = [d["sequence"] for d in docs]
    assert len(docs) == 50 and is_gapless(sequences)
    assert sorted(d["number"] for d in docs) == [f"2026-{i:06d}" for i in range(1, 51)]
    assert {d["lines"][0]["source_id"] for d in docs} == {f"d{i}" for i in range(50)}
    assert (await prepared[COUNTERS].find_one({"_id": f"{T}:fondation:2026"}))["value"] == 50
    # every receipt was published through the outbox, in its own transaction
    assert await prepared[OUTBOX].count_documents({"type": {"$regex": "receipt_issued"}}) == 50


async def test_the_same_gift_twice_is_one_receipt_and_erasure_keeps_the_numbers(prepared: Any, mongo_client: Any,
                                                                               db_name: str) -> None:
    def uow() -> MongoFundraisingUnitOfWork:
        return MongoFundraisingUnitOfWork(mongo_client, db_name, to_contract)

    first = await receipts.issue_for_payment(gift(1), uow())
    again = await receipts.issue_for_payment(gift(1), uow())
    second = await receipts.issue_for_payment(gift(2), uow())
    assert first == again and second != first
    voided = await receipts.void_receipt(receipts.VoidReceipt(T, str(first), "wrong name"), uow())
    assert voided.reissued is not None and voided.reissued.number == "2026-000003"
    # the correction took the gift's live key; the gift again is still that one receipt
    assert await receipts.issue_for_payment(gift(1), uow()) == voided.reissued.id

    exported = await export_records(prepared, export_queries(T, "m1"))
    assert len(exported[RECEIPTS]) == 3

    await prepared[OUTBOX].update_many({"tenant": T}, {"$set": {"sent_at": NOW}})  # as the relay would
    await erase_member_data(EraseMemberData(tenant=T, erasure_id="e1", member_id="m1"), uow(),
                            handlers.erase_donor)
    docs = sorted([d async for d in prepared[RECEIPTS].find({"tenant": T})], key=lambda d: d["sequence"])
    assert [d["number"] for d in docs] == ["2026-000001", "2026-000002", "2026-000003"]
    assert all(d["member_id"] != "m1" and d["donor"]["name"] == d["member_id"] and d["donor"]["address"] is None
               for d in docs)
