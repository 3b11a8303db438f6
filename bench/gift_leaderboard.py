"""A giving day: gifts recorded through the use case (gift + manual payment + campaign
progress by `$inc` + outbox, one transaction), sequentially and with 10 concurrent writers on
the same campaign; the campaign-progress projection fed by their `donation_received`; then
the class leaderboard the console polls, over a register and a gift
history of the given sizes. Baselines in the same run: a raw journaled `insert_one`, and a raw
`find` of the campaign's gifts plus the register's cohorts (what the leaderboard must read).

    .venv/bin/python bench/gift_leaderboard.py --gifts 300 --members 10000 --history 5000
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from benchservers import servers

from alumni_contracts.registry import REGISTRY
from fundraising_service.adapters.gift_repository import GIFT_INDEXES, GIFTS, gift_document
from fundraising_service.adapters.mongo_repository import INDEXES, MEMBERS
from fundraising_service.adapters.unit_of_work import MongoFundraisingUnitOfWork
from fundraising_service.domain.campaigns import LegalEntity, PostalAddress
from fundraising_service.domain.gifts import Donor, Gift, Nature, ReceiptChoice
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import Method
from fundraising_service.service_layer import gift_commands as c
from fundraising_service.service_layer import gift_handlers as h
from fundraising_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import create_client, ensure_indexes
from servicekit.outbox import outbox_indexes
from servicekit.retry import retry_transient

ENTITY = LegalEntity("fondation", "Fondation", PostalAddress("1 rue", "75005", "Paris"), "Bourses", True, "FRUP")


async def run(mongo_uri: str, gifts: int, members: int, history: int) -> dict[str, float]:
    client = create_client(mongo_uri, "bench-gifts")
    db_name = f"bench_gifts_{int(time.time())}"
    db = client[db_name]
    await ensure_indexes(db, [*INDEXES, *GIFT_INDEXES, *outbox_indexes(7)])

    def uow() -> MongoFundraisingUnitOfWork:
        return MongoFundraisingUnitOfWork(client, db_name, to_contract)

    cohorts = [(p, y) for p in ("Grande École", "MSc Finance", "BBA", "MBA") for y in range(2000, 2025)]
    await db[MEMBERS].insert_many([
        {"_id": f"m{i}", "tenant": "demo", "version": 1, "first_name": "A", "last_name": f"B{i}",
         "cohorts": [{"program": cohorts[i % len(cohorts)][0], "graduation_year": cohorts[i % len(cohorts)][1]}]}
        for i in range(members)])
    campaign = await h.launch_campaign(c.LaunchCampaign(
        "demo", "Journée du don", "Giving day", "", "", Money(10_000_000, "EUR"), None, None, ENTITY, (), (), True),
        uow())
    today = datetime.now(UTC).date()

    def record(i: int) -> c.RecordGift:
        return c.RecordGift("demo", f"m{i % members}", c.GiftDetails(
            campaign.id, Money(2000, "EUR"), None, None, False, False, Donor(), False, ReceiptChoice.PER_GIFT, "fr"),
            Method.CHEQUE, None, today, Nature.CASH, None)

    results: dict[str, float] = {}
    started = time.perf_counter()
    for i in range(gifts):
        await h.record_gift(record(i), uow())
    results["gift recorded (sequential)"] = gifts / (time.perf_counter() - started)

    semaphore = asyncio.Semaphore(10)

    async def one(i: int) -> None:
        async with semaphore:  # as the request server does: a write conflict runs the transaction again
            await retry_transient(lambda: h.record_gift(record(i), uow()), attempts=10)

    started = time.perf_counter()
    await asyncio.gather(*(one(gifts + i) for i in range(gifts)))
    results["gift recorded (10 concurrent, one campaign)"] = gifts / (time.perf_counter() - started)
    assert await db[GIFTS].count_documents({"tenant": "demo"}) == 2 * gifts

    # The progress projection, as its consumer runs it: one donation_received after the other.
    rows = await db["outbox"].find({"tenant": "demo", "subject": "evt.demo.fundraising.donation_received.v1"}
                                   ).to_list()
    started = time.perf_counter()
    for row in rows:
        data = REGISTRY.parse(row["payload"]).data
        await h.apply_to_progress("demo", campaign.id, data.member_id, data.amount.minor_units, False, uow())
    results["progress projection (per gift event)"] = len(rows) / (time.perf_counter() - started)
    progress = await h.get_campaign(c.GetCampaign("demo", campaign.id), uow())
    assert progress.gifts == 2 * gifts and progress.raised_minor == 2 * gifts * 2000, "no lost progress"
    assert progress.goal_reached_at is None

    raw = db["raw"]
    started = time.perf_counter()
    for i in range(gifts):
        await raw.insert_one({"_id": i, "tenant": "demo", "amount": 2000})
    results["raw insert_one"] = gifts / (time.perf_counter() - started)

    # The history the leaderboard reads: bulk-inserted gifts of the same campaign.
    docs = []
    for i in range(history):
        g = Gift.receive(tenant="demo", member_id=f"m{(i * 7) % members}", amount=Money(1500, "EUR"),
                         campaign_id=campaign.id, legal_entity=ENTITY, method=Method.CARD, provider="local",
                         paid_on=today, now=datetime.now(UTC), donor=Donor("A", "B"))
        docs.append(gift_document(g))
    await db[GIFTS].insert_many(docs)

    rounds = 5
    started = time.perf_counter()
    for _ in range(rounds):
        await h._compute_leaderboard(c.CampaignLeaderboard("demo", campaign.id), uow())  # not the 4 s cache
    results["leaderboard ms"] = 1000 * (time.perf_counter() - started) / rounds
    started = time.perf_counter()
    for _ in range(rounds):
        await db[GIFTS].find({"tenant": "demo", "campaign_id": campaign.id}).to_list()
        await db[MEMBERS].find({"tenant": "demo"}, {"cohorts": 1}).to_list()
    results["raw reads ms"] = 1000 * (time.perf_counter() - started) / rounds
    await client.drop_database(db_name)
    await client.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gifts", type=int, default=300)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=5_000)
    parser.add_argument("--mongo-uri")
    args = parser.parse_args()
    with servers(args.mongo_uri, None, with_nats=False) as (mongo_uri, _):
        results: dict[str, Any] = asyncio.run(run(mongo_uri, args.gifts, args.members, args.history))
    raw = results["raw insert_one"]
    for name in ("gift recorded (sequential)", "gift recorded (10 concurrent, one campaign)",
                 "progress projection (per gift event)", "raw insert_one"):
        print(f"{name:46s} {results[name]:9.0f}/s   {results[name] / raw:5.2f}× raw insert")
    print(f"{'leaderboard (one poll)':46s} {results['leaderboard ms']:9.0f} ms  "
          f"{results['raw reads ms'] / results['leaderboard ms']:5.2f}× raw reads ({results['raw reads ms']:.0f} ms)")


if __name__ == "__main__":
    main()
