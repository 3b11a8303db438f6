"""The registration's reads on the real database (the MongoDB stand-in): on a full event a refused
attempt reads the event document and the member's row once each and asks for no claim it does
not hold (the rush's hot path: bench/RESULTS.md), while an attempt retried after a crash still
finds the seat claim its first try left and keeps that seat — never a second one."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from events_service.adapters.mongo_repository import EVENTS, INDEXES, REGISTRATIONS
from events_service.adapters.unit_of_work import MongoEventsUnitOfWork
from events_service.domain.registrations import AlreadyRegistered, RegistrationStatus
from events_service.service_layer import handlers, registrations
from events_service.service_layer.commands import Actor, Register, ScheduleEvent
from events_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import ensure_indexes
from servicekit.outbox import outbox_indexes

pytestmark = pytest.mark.integration
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=90)


class Commands(monitoring.CommandListener):
    """Counts the commands a client sends, by (name, collection)."""

    def __init__(self) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        self.seen[(event.command_name, target if isinstance(target, str) else "")] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def counted(mongo_uri: str, db_name: str) -> Any:
    commands = Commands()
    client: AsyncMongoClient[Any] = AsyncMongoClient(mongo_uri, event_listeners=[commands], tz_aware=True,
                                                     w="majority", journal=True)
    await ensure_indexes(client[db_name], [*INDEXES, *outbox_indexes(7)])

    def make() -> MongoEventsUnitOfWork:
        return MongoEventsUnitOfWork(client, db_name, to_contract, None)

    yield make, commands, client[db_name]
    await client.drop_database(db_name)
    await client.close()


def register(event_id: str, member_id: str) -> Register:
    return Register("demo", Actor(f"alumnus:{member_id}", False, member_id), event_id, member_id)


async def test_a_refused_attempt_on_a_full_event_reads_each_document_once(counted: Any) -> None:
    uow, commands, db = counted
    event_id = await handlers.schedule_event(ScheduleEvent(
        tenant="demo", title="Gala", starts_at=START, ends_at=START + timedelta(hours=4), timezone="Europe/Paris",
        venue="Campus", capacity=2), uow())
    for m in ("m1", "m2"):
        done = await registrations.register(register(event_id, m), uow())
        assert done.registration.status is RegistrationStatus.REGISTERED

    commands.seen.clear()
    refused = await registrations.register(register(event_id, "m3"), uow())
    assert refused.registration.status is RegistrationStatus.WAITLISTED
    assert commands.seen[("find", EVENTS)] == 1  # the event, its seats left and the claims: one read
    assert commands.seen[("find", REGISTRATIONS)] == 1  # visibility and "registered already?": one read
    assert commands.seen[("update", EVENTS)] == 1  # the conditional claim, refused (no claim to look up)
    seats = await db[EVENTS].find_one({"_id": event_id})
    assert seats["seats_left"] == 0 and "m3" not in (seats.get("claims") or {})

    # The same member again (another key): their row is found by the same single read.
    with pytest.raises(AlreadyRegistered):
        await registrations.register(register(event_id, "m3"), uow())


async def test_an_attempt_retried_after_a_crash_keeps_the_seat_its_claim_holds(counted: Any) -> None:
    uow, _, db = counted
    event_id = await handlers.schedule_event(ScheduleEvent(
        tenant="demo", title="Gala", starts_at=START, ends_at=START + timedelta(hours=4), timezone="Europe/Paris",
        venue="Campus", capacity=2), uow())
    await registrations.register(register(event_id, "m1"), uow())
    # m2's first attempt took the last seat (its claim) and the process died before the commit.
    first_try = uow()
    async with first_try:
        assert await first_try.seats.claim("demo", event_id, "m2", "general", 1, False, datetime.now(UTC))
    assert (await db[EVENTS].find_one({"_id": event_id}))["seats_left"] == 0

    # A newcomer finds the event full: waitlisted, m2's claimed seat untouched.
    newcomer = await registrations.register(register(event_id, "m3"), uow())
    assert newcomer.registration.status is RegistrationStatus.WAITLISTED
    # m2's retry reads the event full, but with its own claim: it keeps that seat, takes no other.
    retried = await registrations.register(register(event_id, "m2"), uow())
    assert retried.registration.status is RegistrationStatus.REGISTERED
    doc = await db[EVENTS].find_one({"_id": event_id})
    assert doc["seats_left"] == 0 and set(doc["claims"]) == {"m1", "m2"}  # settled later by the sweep
    rows = [r async for r in db[REGISTRATIONS].find({"tenant": "demo", "event_id": event_id})]
    assert sorted((r["member_id"], r["status"]) for r in rows) == [
        ("m1", "registered"), ("m2", "registered"), ("m3", "waitlisted")]
