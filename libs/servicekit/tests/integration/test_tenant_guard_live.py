"""The tenant guard on a real server: the commands PyMongo sends for each collection method are
inspected (bulk statements one by one, `count_documents` through its `$match`)."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient, UpdateOne

from servicekit.mongo import Document
from servicekit.tenant_guard import TenantGuard, Violation

pytestmark = pytest.mark.integration


async def test_each_collection_method_is_checked(mongo_uri: str, db_name: str) -> None:
    found: list[Violation] = []
    guard = TenantGuard("tests", found.append, allow=(), ignore_test_code=False)
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_uri, event_listeners=[guard])
    col: Any = client[db_name]["things"]
    try:
        await col.insert_many([{"_id": i, "tenant": "demo", "n": i} for i in range(3)])
        tenant = {"tenant": "demo"}
        # With the tenant: nothing recorded.
        await col.find_one({**tenant, "_id": 1})
        await col.find(tenant).to_list()
        await col.update_one({**tenant, "_id": 1}, {"$set": {"n": 10}})
        await col.update_many(tenant, {"$inc": {"n": 1}})
        await col.replace_one({**tenant, "_id": 2}, {"tenant": "demo", "n": 2})
        await col.count_documents(tenant)
        await col.distinct("n", tenant)
        await col.find_one_and_update({**tenant, "_id": 0}, {"$set": {"n": 0}})
        await (await col.aggregate([{"$match": tenant}, {"$group": {"_id": None, "n": {"$sum": "$n"}}}])).to_list()
        await col.bulk_write([UpdateOne({**tenant, "_id": 0}, {"$set": {"x": 1}})])
        await col.delete_one({**tenant, "_id": 9})
        assert found == []
        # Without: each one recorded, by command.
        await col.find_one({"_id": 1})
        await col.update_one({"_id": 1}, {"$set": {"n": 10}})
        await col.replace_one({"_id": 2}, {"tenant": "demo", "n": 2})
        await col.count_documents({})
        await col.estimated_document_count()
        await col.distinct("n")
        await col.find_one_and_delete({"_id": 9})
        await (await col.aggregate([{"$group": {"_id": "$tenant"}}])).to_list()
        await col.bulk_write([UpdateOne({**tenant, "_id": 0}, {"$set": {"x": 2}}), UpdateOne({"_id": 1}, {"$set": {"x": 2}})])
        await col.delete_many({"n": {"$gt": 100}})
        assert [v.command for v in found] == ["find", "update", "update", "aggregate", "count", "distinct",
                                              "findAndModify", "aggregate", "update", "delete"]
        assert all(v.collection == "things" and v.database == db_name for v in found)
    finally:
        await client.drop_database(db_name)
        await client.close()
