"""MongoDB repositories of campaigns, gifts, gift intents, recurring gifts and pledges, and the
cohort view of fundraising's members projection."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime, time
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from fundraising_service.adapters.mongo_repository import MEMBERS, _save_versioned
from fundraising_service.domain.campaigns import (
    Appeal,
    Campaign,
    CampaignStatus,
    Fund,
    LegalEntity,
    PostalAddress,
)
from fundraising_service.domain.gifts import (
    Donor,
    Frequency,
    Gift,
    GiftStatus,
    Instalment,
    Nature,
    Pledge,
    PledgeStatus,
    ReceiptChoice,
    RecurringGift,
    RecurringStatus,
)
from fundraising_service.domain.model import Money
from fundraising_service.domain.payments import Method
from servicekit.domain import AggregateRoot, ConcurrencyConflict
from servicekit.mongo import Document, IndexSpec

CAMPAIGNS = "campaigns"
CAMPAIGN_PROGRESS = "campaign_progress"
CAMPAIGN_DONORS = "campaign_donors"
# Counter documents per campaign, summed by readers. One is enough now that the progress
# projection (a single consumer) moves them; more would spread concurrent writers.
PROGRESS_SHARDS = 1
GIFTS = "gifts"
GIFT_INTENTS = "gift_intents"
RECURRING_GIFTS = "recurring_gifts"
PLEDGES = "pledges"

GIFT_INDEXES = [
    IndexSpec(CAMPAIGNS, [("tenant", 1), ("status", 1), ("_id", -1)], "campaigns_by_status"),
    IndexSpec(CAMPAIGN_PROGRESS, [("tenant", 1), ("campaign_id", 1)], "progress_by_campaign"),
    # Writes filter on (tenant, _id[, version]): an index naming every field of the filter (the
    # stand-in plans a collection scan as soon as a filter names a field outside its index).
    IndexSpec(CAMPAIGN_PROGRESS, [("tenant", 1), ("_id", 1)], "progress_by_id"),
    IndexSpec(CAMPAIGN_DONORS, [("tenant", 1), ("campaign_id", 1)], "donors_by_campaign"),
    IndexSpec(CAMPAIGN_DONORS, [("tenant", 1), ("member_id", 1)], "donors_by_member"),
    IndexSpec(CAMPAIGNS, [("tenant", 1), ("_id", 1), ("version", 1)], "campaigns_versioned"),
    IndexSpec(CAMPAIGNS, [("tenant", 1), ("_id", 1), ("goal_reached_at", 1)], "campaigns_goal"),
    IndexSpec(GIFTS, [("tenant", 1), ("_id", 1), ("version", 1)], "gifts_versioned"),
    IndexSpec(RECURRING_GIFTS, [("tenant", 1), ("_id", 1), ("version", 1)], "recurring_versioned"),
    IndexSpec(PLEDGES, [("tenant", 1), ("_id", 1), ("version", 1)], "pledges_versioned"),
    IndexSpec(GIFTS, [("tenant", 1), ("campaign_id", 1), ("member_id", 1)], "gifts_by_campaign_donor"),
    IndexSpec(GIFTS, [("tenant", 1), ("member_id", 1), ("_id", -1)], "gifts_by_member"),
    IndexSpec(GIFTS, [("tenant", 1), ("paid_on", 1)], "gifts_by_day"),
    IndexSpec(RECURRING_GIFTS, [("tenant", 1), ("member_id", 1)], "recurring_by_member"),
    # The charge scheduler's scan across tenants (a sweep of the whole deployment, not a tenant's query).
    IndexSpec(RECURRING_GIFTS, [("due_on", 1)], "recurring_due"),
    IndexSpec(RECURRING_GIFTS, [("tenant", 1), ("due_on", 1)], "recurring_due_by_tenant"),
    IndexSpec(PLEDGES, [("tenant", 1), ("member_id", 1)], "pledges_by_member"),
    IndexSpec(GIFT_INTENTS, [("tenant", 1), ("member_id", 1)], "gift_intents_by_member"),
    IndexSpec(MEMBERS, [("tenant", 1), ("cohorts.program", 1)], "members_by_cohort"),
]


def _money(m: Money) -> Document:
    return {"minor_units": m.minor_units, "currency": m.currency}


def _money_from(d: Document) -> Money:
    return Money(d["minor_units"], d["currency"])


def _address_from(d: Document | None) -> PostalAddress | None:
    return PostalAddress(**d) if d else None


def _entity_from(d: Document | None) -> LegalEntity | None:
    if not d:
        return None
    address = _address_from(d["address"])
    assert address is not None
    return LegalEntity(entity_id=d["entity_id"], name=d["name"], address=address, purpose=d["purpose"],
                       may_issue_receipts=d["may_issue_receipts"], status=d.get("status"))


def _donor_from(d: Document | None) -> Donor:
    if not d:
        return Donor()
    return Donor(first_name=d.get("first_name"), last_name=d.get("last_name"), company_name=d.get("company_name"),
                 company_id=d.get("company_id"), address=_address_from(d.get("address")), email=d.get("email"))


EPOCH = datetime(1970, 1, 1)
NEVER = datetime(9999, 12, 31)  # `due_on` of a gift the scheduler never charges (manual, paused, stopped…)


def _day(d: date | None) -> datetime | None:
    """BSON has no date type: a day is stored as midnight UTC."""
    return datetime.combine(d, time()) if d is not None else None


def _undated(d: datetime | None) -> date | None:
    return d.date() if d is not None else None


def campaign_document(c: Campaign) -> Document:
    return {"_id": c.id, "tenant": c.tenant, "version": c.version, "name_fr": c.name_fr, "name_en": c.name_en,
            "description_fr": c.description_fr, "description_en": c.description_en, "goal": _money(c.goal),
            "starts_at": c.starts_at, "ends_at": c.ends_at,
            "legal_entity": asdict(c.legal_entity) if c.legal_entity else None,
            "funds": [asdict(f) for f in c.funds], "appeals": [asdict(a) for a in c.appeals],
            "giving_day": c.giving_day, "status": str(c.status),  # progress: in `campaign_progress`
            "goal_reached_at": c.goal_reached_at, "closed_at": c.closed_at,
            "launched_at": c.launched_at}


def campaign_from(d: Document) -> Campaign:
    return Campaign(id=d["_id"], tenant=d["tenant"], version=d["version"], name_fr=d["name_fr"], name_en=d["name_en"],
                    description_fr=d["description_fr"], description_en=d["description_en"],
                    goal=_money_from(d["goal"]), starts_at=d["starts_at"], ends_at=d.get("ends_at"),
                    legal_entity=_entity_from(d.get("legal_entity")),
                    funds=tuple(Fund(**f) for f in d.get("funds", [])),
                    appeals=tuple(Appeal(**a) for a in d.get("appeals", [])), giving_day=d.get("giving_day", False),
                    status=CampaignStatus(d["status"]), goal_reached_at=d.get("goal_reached_at"),
                    closed_at=d.get("closed_at"), launched_at=d.get("launched_at"))


def gift_document(g: Gift) -> Document:
    return {"_id": g.id, "tenant": g.tenant, "version": g.version, "member_id": g.member_id,
            "campaign_id": g.campaign_id, "fund_id": g.fund_id, "appeal_id": g.appeal_id, "amount": _money(g.amount),
            "nature": str(g.nature), "method": str(g.method), "provider": g.provider, "reference": g.reference,
            "paid_on": _day(g.paid_on), "year": g.paid_on.year if g.paid_on else None, "received_at": g.received_at,
            "anonymous": g.anonymous, "named_publicly": g.named_publicly, "donor": asdict(g.donor),
            "legal_entity": asdict(g.legal_entity) if g.legal_entity else None, "receipt": str(g.receipt),
            "locale": g.locale, "payment_id": g.payment_id, "recurring_gift_id": g.recurring_gift_id,
            "pledge_id": g.pledge_id, "instalment": g.instalment, "matches_gift_id": g.matches_gift_id,
            "refunded_minor": g.refunded_minor, "status": str(g.status)}


def gift_from(d: Document) -> Gift:
    return Gift(id=d["_id"], tenant=d["tenant"], version=d["version"], member_id=d["member_id"],
                campaign_id=d.get("campaign_id"), fund_id=d.get("fund_id"), appeal_id=d.get("appeal_id"),
                amount=_money_from(d["amount"]), nature=Nature(d["nature"]), method=Method(d["method"]),
                provider=d["provider"], reference=d.get("reference"), paid_on=_undated(d.get("paid_on")),
                received_at=d.get("received_at"), anonymous=d.get("anonymous", False),
                named_publicly=d.get("named_publicly", False), donor=_donor_from(d.get("donor")),
                legal_entity=_entity_from(d.get("legal_entity")), receipt=ReceiptChoice(d["receipt"]),
                locale=d.get("locale", "fr"), payment_id=d.get("payment_id"),
                recurring_gift_id=d.get("recurring_gift_id"), pledge_id=d.get("pledge_id"),
                instalment=d.get("instalment"), matches_gift_id=d.get("matches_gift_id"),
                refunded_minor=d.get("refunded_minor", 0), status=GiftStatus(d["status"]))


def recurring_document(r: RecurringGift) -> Document:
    return {"_id": r.id, "tenant": r.tenant, "version": r.version, "member_id": r.member_id,
            "campaign_id": r.campaign_id, "fund_id": r.fund_id, "amount": _money(r.amount),
            "frequency": str(r.frequency), "status": str(r.status), "donor": asdict(r.donor),
            "anonymous": r.anonymous, "receipt": str(r.receipt), "started_at": r.started_at,
            "next_charge_on": _day(r.next_charge_on), "charges": r.charges, "failures": r.failures,
            "last_failure": r.last_failure, "cancelled_at": r.cancelled_at, "provider": r.provider,
            "mandate_ref": r.mandate_ref, "attempts": r.attempts, "next_attempt_on": _day(r.next_attempt_on),
            "stopped_at": r.stopped_at, "claim": r.claim, "claim_until": r.claim_until,
            # what the charge scheduler looks for (always set: a null would not be in the range scan)
            "due_on": _day(r.due_on) or NEVER}


def recurring_from(d: Document) -> RecurringGift:
    return RecurringGift(id=d["_id"], tenant=d["tenant"], version=d["version"], member_id=d["member_id"],
                         campaign_id=d.get("campaign_id"), fund_id=d.get("fund_id"), amount=_money_from(d["amount"]),
                         frequency=Frequency(d["frequency"]), status=RecurringStatus(d["status"]),
                         donor=_donor_from(d.get("donor")), anonymous=d.get("anonymous", False),
                         receipt=ReceiptChoice(d["receipt"]), started_at=d.get("started_at"),
                         next_charge_on=_undated(d.get("next_charge_on")), charges=d.get("charges", 0),
                         failures=d.get("failures", 0), last_failure=d.get("last_failure"),
                         cancelled_at=d.get("cancelled_at"), provider=d.get("provider"),
                         mandate_ref=d.get("mandate_ref"), attempts=d.get("attempts", 0),
                         next_attempt_on=_undated(d.get("next_attempt_on")), stopped_at=d.get("stopped_at"),
                         claim=d.get("claim"), claim_until=d.get("claim_until"))


def pledge_document(p: Pledge) -> Document:
    return {"_id": p.id, "tenant": p.tenant, "version": p.version, "member_id": p.member_id,
            "campaign_id": p.campaign_id, "fund_id": p.fund_id, "total": _money(p.total), "status": str(p.status),
            "schedule": [{"due_on": _day(i.due_on), "amount_minor": i.amount_minor, "paid_minor": i.paid_minor,
                          "gift_ids": list(i.gift_ids)} for i in p.schedule],
            "donor": asdict(p.donor), "anonymous": p.anonymous, "made_at": p.made_at, "fulfilled_at": p.fulfilled_at}


def pledge_from(d: Document) -> Pledge:
    return Pledge(id=d["_id"], tenant=d["tenant"], version=d["version"], member_id=d["member_id"],
                  campaign_id=d.get("campaign_id"), fund_id=d.get("fund_id"), total=_money_from(d["total"]),
                  status=PledgeStatus(d["status"]),
                  schedule=tuple(Instalment(i["due_on"].date(), i["amount_minor"], i["paid_minor"],
                                            tuple(i.get("gift_ids", []))) for i in d["schedule"]),
                  donor=_donor_from(d.get("donor")), anonymous=d.get("anonymous", False), made_at=d.get("made_at"),
                  fulfilled_at=d.get("fulfilled_at"))


class _Repository:
    collection = ""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        self._col = db[self.collection]
        self._session = session
        self._track = track

    async def _get(self, tenant: str, some_id: str, build: Callable[[Document], Any]) -> Any:
        doc = await self._col.find_one({"_id": some_id, "tenant": tenant}, session=self._session)
        if doc is None:
            return None
        found = build(doc)
        self._track(found)
        return found

    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int:
        """Accounting records stay (the law requires keeping them); the donor becomes a pseudonym
        and their identity and address go."""
        result = await self._col.update_many({"tenant": tenant, "member_id": member_id},
                                             {"$set": {"member_id": pseudonym, "pseudonymised": True, "donor": {}}},
                                             session=self._session)
        return result.modified_count


class MongoCampaignRepository(_Repository):
    collection = CAMPAIGNS

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession,
                 track: Callable[[AggregateRoot], None]) -> None:
        super().__init__(db, session, track)
        self._progress = db[CAMPAIGN_PROGRESS]
        self._donors = db[CAMPAIGN_DONORS]

    async def _with_progress(self, tenant: str, campaigns: list[Campaign]) -> list[Campaign]:
        if not campaigns:
            return campaigns
        by_id = {c.id: c for c in campaigns}
        async for shard in self._progress.find({"tenant": tenant, "campaign_id": {"$in": list(by_id)}},
                                               session=self._session):
            c = by_id[shard["campaign_id"]]
            c.raised_minor += shard.get("raised_minor", 0)
            c.gifts += shard.get("gifts", 0)
            c.donors += shard.get("donors", 0)
        return campaigns

    async def get(self, tenant: str, campaign_id: str) -> Campaign | None:
        found: Campaign | None = await self._get(tenant, campaign_id, campaign_from)
        if found is not None:
            await self._with_progress(tenant, [found])
        return found

    async def save(self, campaign: Campaign) -> None:
        new = campaign.persisted_version == 0
        await _save_versioned(self._col, campaign, campaign_document(campaign), self._session)
        if new:
            await self._progress.insert_many([
                {"_id": f"{campaign.id}:{n}", "tenant": campaign.tenant, "campaign_id": campaign.id,
                 "raised_minor": 0, "gifts": 0, "donors": 0} for n in range(PROGRESS_SHARDS)], session=self._session)
        self._track(campaign)

    async def add_progress(self, campaign: Campaign, raised_minor: int, gifts: int, donors: int) -> None:
        shard = f"{campaign.id}:{random.randrange(PROGRESS_SHARDS)}"
        await self._progress.update_one({"_id": shard, "tenant": campaign.tenant},
                                        {"$inc": {"raised_minor": raised_minor, "gifts": gifts, "donors": donors}},
                                        session=self._session)
        if campaign.version != campaign.persisted_version:  # the goal was reached by this gift: once
            result = await self._col.update_one(
                {"_id": campaign.id, "tenant": campaign.tenant, "goal_reached_at": None},
                {"$set": {"goal_reached_at": campaign.goal_reached_at}, "$inc": {"version": 1}}, session=self._session)
            if result.matched_count == 0:
                raise ConcurrencyConflict(f"campaign {campaign.id}: goal already reported")
        self._track(campaign)

    async def first_gift_of(self, campaign: Campaign, member_id: str) -> bool:
        key = {"_id": f"{campaign.id}:{member_id}", "tenant": campaign.tenant}
        if await self._donors.find_one(key, {"_id": 1}, session=self._session) is not None:
            return False
        await self._donors.insert_one({**key, "campaign_id": campaign.id, "member_id": member_id},
                                      session=self._session)
        return True

    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int:
        """The campaign's donor list keeps the donor under the pseudonym (the counts stay right)."""
        rows = await self._donors.find({"tenant": tenant, "member_id": member_id}, session=self._session).to_list()
        if not rows:
            return 0
        await self._donors.delete_many({"tenant": tenant, "member_id": member_id}, session=self._session)
        await self._donors.insert_many([{"_id": f"{r['campaign_id']}:{pseudonym}", "tenant": tenant,
                                         "campaign_id": r["campaign_id"], "member_id": pseudonym} for r in rows],
                                       session=self._session)
        return len(rows)

    async def reset_progress(self, tenant: str, campaign_id: str, raised_minor: int, gifts: int,
                             donors: list[str]) -> None:
        await self._progress.delete_many({"tenant": tenant, "campaign_id": campaign_id}, session=self._session)
        await self._progress.insert_many([
            {"_id": f"{campaign_id}:{n}", "tenant": tenant, "campaign_id": campaign_id,
             "raised_minor": raised_minor if n == 0 else 0, "gifts": gifts if n == 0 else 0,
             "donors": len(donors) if n == 0 else 0} for n in range(PROGRESS_SHARDS)], session=self._session)
        await self._donors.delete_many({"tenant": tenant, "campaign_id": campaign_id}, session=self._session)
        if donors:
            await self._donors.insert_many([{"_id": f"{campaign_id}:{m}", "tenant": tenant, "campaign_id": campaign_id,
                                             "member_id": m} for m in donors], session=self._session)

    async def list(self, tenant: str, status: str | None, limit: int) -> list[Campaign]:
        query: Document = {"tenant": tenant}
        if status is not None:
            query["status"] = status
        found = [campaign_from(d) async for d in self._col.find(query, session=self._session).sort("_id", -1)
                 .limit(limit)]
        return await self._with_progress(tenant, found)


class MongoGiftRepository(_Repository):
    collection = GIFTS

    async def get(self, tenant: str, gift_id: str) -> Gift | None:
        found: Gift | None = await self._get(tenant, gift_id, gift_from)
        return found

    async def save(self, gift: Gift) -> None:
        await _save_versioned(self._col, gift, gift_document(gift), self._session)
        self._track(gift)

    async def has_given(self, tenant: str, campaign_id: str, member_id: str) -> bool:
        return await self._col.find_one({"tenant": tenant, "campaign_id": campaign_id, "member_id": member_id},
                                        {"_id": 1}, session=self._session) is not None

    async def page(self, tenant: str, campaign_id: str | None, member_id: str | None, after: str | None,
                   limit: int) -> list[Gift]:
        query: Document = {"tenant": tenant}
        if campaign_id is not None:
            query["campaign_id"] = campaign_id
        if member_id is not None:
            query["member_id"] = member_id
        if after is not None:
            query["_id"] = {"$lt": after}
        cursor = self._col.find(query, session=self._session).sort("_id", -1).limit(limit)
        return [gift_from(d) async for d in cursor]

    async def of_campaign(self, tenant: str, campaign_id: str) -> list[Gift]:
        return [gift_from(d) async for d in self._col.find({"tenant": tenant, "campaign_id": campaign_id},
                                                           session=self._session)]

    async def years(self, tenant: str, since_year: int) -> list[tuple[str, int, int, str]]:
        found = []
        async for d in self._col.find({"tenant": tenant, "paid_on": {"$gte": datetime(since_year, 1, 1)}},
                                      {"member_id": 1, "paid_on": 1, "amount": 1, "refunded_minor": 1, "donor": 1},
                                      session=self._session):
            donor = d.get("donor") or {}
            name = donor.get("company_name") or " ".join(
                x for x in (donor.get("first_name"), donor.get("last_name")) if x)
            found.append((d["member_id"], d["paid_on"].year,
                          d["amount"]["minor_units"] - d.get("refunded_minor", 0), name))
        return found


class MongoGiftIntentRepository(_Repository):
    collection = GIFT_INTENTS

    async def put(self, tenant: str, gift_id: str, intent: dict[str, object]) -> None:
        await self._col.insert_one({"_id": gift_id, "tenant": tenant, **intent}, session=self._session)

    async def get(self, tenant: str, gift_id: str) -> dict[str, object] | None:
        doc: dict[str, object] | None = await self._col.find_one({"_id": gift_id, "tenant": tenant},
                                                                 session=self._session)
        return doc


class MongoRecurringGiftRepository(_Repository):
    collection = RECURRING_GIFTS

    async def pseudonymise(self, tenant: str, member_id: str, pseudonym: str) -> int:
        """As every gift record, and automatic collection ends: an erased donor's saved card is
        forgotten and never charged again (an open gift is cancelled, the reason recorded)."""
        await self._col.update_many(
            {"tenant": tenant, "member_id": member_id, "status": {"$ne": "cancelled"}},
            {"$set": {"status": "cancelled", "cancelled_at": datetime.now(UTC), "last_failure": "member_erased"}},
            session=self._session)
        await self._col.update_many(
            {"tenant": tenant, "member_id": member_id},
            {"$set": {"mandate_ref": None, "claim": None, "claim_until": None, "due_on": NEVER}},
            session=self._session)
        return await super().pseudonymise(tenant, member_id, pseudonym)

    async def due(self, today: date, limit: int, tenant: str | None = None) -> list[tuple[str, str]]:
        """(tenant, id) of automatically collected gifts due on or before `today`: of one tenant, or
        of every tenant (the scheduler's sweep, allowed by the tenant guard)."""
        query: Document = {"due_on": {"$gte": EPOCH, "$lte": _day(today)}}
        if tenant is not None:
            query = {"tenant": tenant, **query}
        found = self._col.find(query, {"tenant": 1}, session=self._session).sort("due_on", 1).limit(limit)
        return [(d["tenant"], d["_id"]) async for d in found]

    async def claim(self, gift: RecurringGift) -> bool:
        """Write a claimed attempt on its own, outside the unit of work's transaction: one atomic,
        version-conditional update of the one document — of two schedulers racing, the loser
        matches nothing at once (in a transaction it would wait on the winner's write lock)."""
        result = await self._col.update_one(
            {"_id": gift.id, "tenant": gift.tenant, "version": gift.version - 1},
            {"$set": {"version": gift.version, "claim": gift.claim, "claim_until": gift.claim_until}})
        return result.modified_count == 1

    async def get(self, tenant: str, recurring_gift_id: str) -> RecurringGift | None:
        found: RecurringGift | None = await self._get(tenant, recurring_gift_id, recurring_from)
        return found

    async def save(self, gift: RecurringGift) -> None:
        await _save_versioned(self._col, gift, recurring_document(gift), self._session)
        self._track(gift)

    async def list(self, tenant: str, member_id: str | None, status: str | None, limit: int) -> list[RecurringGift]:
        query: Document = {"tenant": tenant}
        if member_id is not None:
            query["member_id"] = member_id
        if status is not None:
            query["status"] = status
        return [recurring_from(d) async for d in self._col.find(query, session=self._session).limit(limit)]


class MongoPledgeRepository(_Repository):
    collection = PLEDGES

    async def get(self, tenant: str, pledge_id: str) -> Pledge | None:
        found: Pledge | None = await self._get(tenant, pledge_id, pledge_from)
        return found

    async def save(self, pledge: Pledge) -> None:
        await _save_versioned(self._col, pledge, pledge_document(pledge), self._session)
        self._track(pledge)

    async def list(self, tenant: str, member_id: str | None, limit: int) -> list[Pledge]:
        query: Document = {"tenant": tenant}
        if member_id is not None:
            query["member_id"] = member_id
        return [pledge_from(d) async for d in self._col.find(query, session=self._session).limit(limit)]


class MongoCohortDirectory:
    """Reads fundraising's members projection (fed by members events; rebuilt by replaying them)."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._col = db[MEMBERS]
        self._session = session

    async def name(self, tenant: str, member_id: str) -> tuple[str, str] | None:
        doc = await self._col.find_one({"_id": member_id, "tenant": tenant}, {"first_name": 1, "last_name": 1},
                                       session=self._session)
        return (doc["first_name"], doc["last_name"]) if doc else None

    async def main_cohorts(self, tenant: str) -> dict[str, tuple[str, int]]:
        """One pass over the projection (no `$in` of thousands of ids, no count scans)."""
        found: dict[str, tuple[str, int]] = {}
        async for doc in self._col.find({"tenant": tenant}, {"cohorts": 1}, session=self._session):
            for c in doc.get("cohorts", [])[:1]:
                found[doc["_id"]] = (c["program"], c["graduation_year"])
        return found
