"""Invitations on the real database (the MongoDB stand-in): a 450-member invitation computed
once, sent batch by batch by the sweep (invited rows and `member_invited` outbox records
together, each batch once, a member who registered meanwhile skipped), the batches scoped to
their tenant, an erased member leaving them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alumni_contracts.segments import Segment
from events_service.adapters.mongo_repository import INDEXES, INVITATION_BATCHES, REGISTRATIONS
from events_service.adapters.unit_of_work import MongoEventsUnitOfWork
from events_service.service_layer import handlers, invitations
from events_service.service_layer.commands import IssueInvitations, ScheduleEvent
from events_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import ensure_indexes
from servicekit.outbox import OUTBOX, outbox_indexes
from servicekit.segments import AUDIENCE, AUDIENCE_INDEXES

pytestmark = pytest.mark.integration
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=90)


def member(i: int, tenant: str = "demo", year: int = 2016) -> dict[str, Any]:
    return {"_id": f"m{i:04d}" if tenant == "demo" else f"{tenant}-{i}", "tenant": tenant, "known": True,
            "profile_v": 1, "first_name": "Zoé",
            "last_name": "Martin", "email": f"m{i:04d}@example.org", "locale": "fr", "email_bounced": False,
            "deceased": False, "contactable": True, "groups": [], "ambassador": False, "membership_state": None,
            "consents": {}, "cohorts": [{"program": "MSc", "program_key": "msc", "graduation_year": year}]}


@pytest.fixture
async def uow(mongo_client: Any, db_name: str) -> Any:
    await ensure_indexes(mongo_client[db_name], [*INDEXES, *AUDIENCE_INDEXES, *outbox_indexes(7)])

    def make() -> MongoEventsUnitOfWork:
        return MongoEventsUnitOfWork(mongo_client, db_name, to_contract, None)

    yield make
    await mongo_client.drop_database(db_name)


async def test_an_invitation_is_sent_batch_by_batch_each_once(uow: Any, mongo_client: Any, db_name: str) -> None:
    db = mongo_client[db_name]
    await db[AUDIENCE].insert_many([member(i) for i in range(450)] + [member(i, tenant="other") for i in range(5)])
    event_id = await handlers.schedule_event(ScheduleEvent(
        tenant="demo", title="Retrouvailles 2016", starts_at=START, ends_at=START + timedelta(hours=4),
        timezone="Europe/Paris", venue="Campus", capacity=100), uow())
    event = await invitations.issue_invitations(IssueInvitations("demo", event_id, Segment(cohort_years=[2016])), uow())
    assert event.invited_count == 450
    assert await db[INVITATION_BATCHES].count_documents({"tenant": "demo", "sent_at": None}) == 2
    assert await db[REGISTRATIONS].count_documents({"tenant": "demo", "event_id": event_id}) == 200

    # One invitee registers before their batch is sent; another is erased.
    await db[REGISTRATIONS].insert_one({"_id": "r-self", "tenant": "demo", "event_id": event_id, "member_id": "m0449",
                                        "status": "registered", "version": 1, "hold_until": START})
    erase = uow()
    async with erase:
        assert await erase.invitations.forget("demo", "m0448") == 1
        await erase.commit()

    sent = await invitations.send_pending_invitations(invitations.SendPendingInvitations(), uow)
    assert sent == 250 - 2
    assert await invitations.send_pending_invitations(invitations.SendPendingInvitations(), uow) == 0
    rows = [d async for d in db[REGISTRATIONS].find({"tenant": "demo", "event_id": event_id, "status": "invited"})]
    assert len(rows) == len({r["member_id"] for r in rows}) == 448
    outbox = [d async for d in db[OUTBOX].find({})]
    invited = [d for d in outbox if "member_invited" in str(d)]
    assert len(invited) == 448
    assert not [d async for d in db[REGISTRATIONS].find({"tenant": "other"})], "another tenant's members untouched"
