"""Events and notifications select the same people for the same segment: both services, each
on its own database with its own durables (their real composition roots), are fed one member
history through JetStream — with redeliveries and a second tenant — and their audience
projections must select identical member-id sets; an erasure removes the member from both."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from nats.js import JetStreamContext

from alumni_contracts import naming
from alumni_contracts.common import Cohort, ConsentChannel, Locale, Purpose
from alumni_contracts.envelope import CloudEvent, EventData
from alumni_contracts.members import membership_v1 as dues
from alumni_contracts.members.v1 import (
    AmbassadorAppointed,
    GroupMembershipChanged,
    MemberConsentChanged,
    MemberErasureRequested,
)
from alumni_contracts.members.v2 import MemberProfileUpdated, MemberRegistered
from alumni_contracts.segments import MarketingSegment, Segment
from events_service.bootstrap import build as build_events
from events_service.config import EventsSettings
from notifications_service.bootstrap import build as build_notifications
from notifications_service.config import NotificationsSettings
from servicekit.runtime import ServiceHost
from servicekit.segments import AUDIENCE, select
from servicekit.topology import TopologySettings

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, tzinfo=UTC)
PROGRAMS = ["MSc Finance", "MBA"]


def wrap(tenant: str, data: EventData, subject: str, version: int) -> CloudEvent[Any]:
    return CloudEvent.wrap(data, tenant=tenant, subject=subject, aggregate_version=version, correlation_id="seg")


def history(tenant: str, n: int, rng: random.Random) -> list[CloudEvent[Any]]:
    out: list[CloudEvent[Any]] = []
    for i in range(n):
        mid = f"{tenant}-{i:02d}"
        cohort = Cohort(program=rng.choice(PROGRAMS), graduation_year=rng.choice([2012, 2016]))
        email = f"{mid}@example.org"
        out.append(wrap(tenant, MemberRegistered(member_id=mid, first_name="Ada", last_name="L", email=email,
                                                 locale=Locale.FR, cohort=cohort, registered_at=T0), mid, 1))
        v = 2
        if rng.random() < 0.6:
            out.append(wrap(tenant, MemberProfileUpdated(
                member_id=mid, first_name="Ada", last_name="L", email=email, locale=Locale.EN, cohorts=[cohort],
                email_bounced=False, mail_returned=False, deceased=rng.random() < 0.1, updated_at=T0,
                city=rng.choice(["Lyon", "Paris"]), country="FR"), mid, v))
            v += 1
        for granted in ([True] if rng.random() < 0.7 else []) + ([False] if rng.random() < 0.2 else []):
            out.append(wrap(tenant, MemberConsentChanged(
                member_id=mid, purpose=Purpose.NEWSLETTER, granted=granted, text_version="nl-1",
                language=Locale.FR, channel=ConsentChannel.WEB, changed_at=T0), mid, v))
            v += 1
        if rng.random() < 0.2:
            out.append(wrap(tenant, AmbassadorAppointed(member_id=mid, cohorts=[], programs=[], cities=[],
                                                        appointed_at=T0), mid, v))
        if rng.random() < 0.4:
            out.append(wrap(tenant, GroupMembershipChanged(
                group_id="lyon-club", group_name="Lyon", member_id=mid, change="joined", status="active",
                role="member", changed_at=T0), "lyon-club", i + 1))
        if rng.random() < 0.5:
            state = rng.choice([dues.MembershipState.ACTIVE, dues.MembershipState.LAPSED])
            model = dues.MembershipActivated if state is dues.MembershipState.ACTIVE else dues.MembershipLapsed
            extra: dict[str, Any] = {"reactivation": False} if model is dues.MembershipActivated else {}
            out.append(wrap(tenant, model(membership_id=f"ms-{mid}", member_id=mid, plan_id="plan",
                                          plan_kind=dues.PlanKind.ANNUAL, status=state, reason="paid",
                                          at=T0 + timedelta(days=i), **extra), f"ms-{mid}", 1))
    return out


@pytest_asyncio.fixture
async def services(nats_url: str, mongo_uri: str, mongo_client: Any, topology: TopologySettings
                   ) -> AsyncIterator[tuple[Any, Any]]:
    suffix = random.randrange(1 << 30)
    events_db, notifs_db = f"seg_events_{suffix}", f"seg_notifs_{suffix}"
    hosts = [ServiceHost("events", EventsSettings(nats_url=nats_url, mongo_uri=mongo_uri, mongo_db=events_db,
                                                  http_port=0, relay_poll_seconds=0.2), build_events),
             ServiceHost("notifications", NotificationsSettings(
                 nats_url=nats_url, mongo_uri=mongo_uri, mongo_db=notifs_db, http_port=0, smtp_port=1,
                 delivery_poll_seconds=5, relay_poll_seconds=0.2), build_notifications)]
    for host in hosts:
        await host.start()
    yield mongo_client[events_db], mongo_client[notifs_db]
    for host in hosts:
        await host.stop()
    await mongo_client.drop_database(events_db)
    await mongo_client.drop_database(notifs_db)


async def publish(js: JetStreamContext, event: CloudEvent[Any], msg_id: str | None = None) -> None:
    await js.publish(event.nats_subject(), event.to_json(), headers={naming.HEADER_MSG_ID: msg_id or event.id})


async def ids(db: Any, tenant: str, segment: Segment, contactable_only: bool = False) -> set[str]:
    return {m.member_id async for m in select(db, tenant, segment, contactable_only=contactable_only)}


async def settled(dbs: tuple[Any, Any], expected_docs: int, timeout: float = 30) -> None:
    """Both projections hold every member and have stopped changing."""
    loop = asyncio.get_running_loop()
    deadline, last = loop.time() + timeout, None
    while True:
        snapshot = [sorted((await db[AUDIENCE].find({}, {"consents": 1, "groups": 1, "membership_state": 1,
                                                          "ambassador": 1, "profile_v": 1}).to_list()),
                           key=lambda d: d["_id"]) for db in dbs]
        if all(len(s) == expected_docs for s in snapshot) and snapshot == last:
            return
        assert loop.time() < deadline, f"not settled: {[len(s) for s in snapshot]} of {expected_docs}"
        last = snapshot
        await asyncio.sleep(0.5)


SEGMENTS = [
    Segment(),
    Segment(cohort_years=[2016]),
    Segment(cohort_years=[2016], programs=["msc finance"]),
    Segment(cities=["LYON"], countries=["FR"]),
    Segment(groups=["lyon-club"]),
    Segment(ambassadors_only=True),
    Segment(membership_states=[dues.MembershipState.ACTIVE]),
    MarketingSegment(consent_purpose=Purpose.NEWSLETTER, cohort_years=[2012, 2016]),
]


async def test_events_and_notifications_select_the_same_people(services: tuple[Any, Any],
                                                               js: JetStreamContext) -> None:
    rng = random.Random(11)
    demo, other = history("demo", 30, rng), history("other", 10, rng)
    for event in demo + other:
        await publish(js, event)
    for event in rng.sample(demo, 10):  # redeliveries past the dedup window: a no-op for both
        await publish(js, event, "again-" + event.id)
    await settled(services, 40)

    events_db, notifs_db = services
    sizes = []
    for segment in SEGMENTS:
        chosen = await ids(events_db, "demo", segment)
        assert chosen == await ids(notifs_db, "demo", segment), segment.describe()
        assert chosen == await ids(events_db, "demo", segment.model_copy()), "evaluation is deterministic"
        assert all(mid.startswith("demo-") for mid in chosen), "never another tenant's member"
        sizes.append(len(chosen))
    assert sizes[0] > sizes[1] > sizes[2] > 0 and all(s > 0 for s in sizes), sizes  # segments that select
    # The other tenant's segment is computed from the other tenant's members only, the same in both.
    assert await ids(events_db, "other", Segment()) == await ids(notifs_db, "other", Segment())
    assert all(m.startswith("other-") for m in await ids(notifs_db, "other", Segment()))

    # A consent withdrawal reaches both; an erasure removes the member from both projections.
    newsletter = MarketingSegment(consent_purpose=Purpose.NEWSLETTER)
    before = await ids(notifs_db, "demo", newsletter)
    quitter = sorted(before)[0]
    await publish(js, wrap("demo", MemberConsentChanged(
        member_id=quitter, purpose=Purpose.NEWSLETTER, granted=False, text_version="nl-1", language=Locale.FR,
        channel=ConsentChannel.WEB, changed_at=T0), quitter, 50))
    erased = sorted(await ids(events_db, "demo", Segment()))[-1]
    await publish(js, wrap("demo", MemberErasureRequested(
        erasure_id="er-1", member_id=erased, requested_at=T0, deadline=T0 + timedelta(days=30)), erased, 60))
    await settled(services, 39)
    for db in services:
        assert await ids(db, "demo", newsletter) == before - {quitter, erased}
        assert erased not in await ids(db, "demo", Segment())
    # A late event about the erased member does not bring them back.
    await publish(js, wrap("demo", MemberConsentChanged(
        member_id=erased, purpose=Purpose.NEWSLETTER, granted=True, text_version="nl-1", language=Locale.FR,
        channel=ConsentChannel.WEB, changed_at=T0), erased, 61))
    await asyncio.sleep(1.0)
    for db in services:
        assert await db[AUDIENCE].find_one({"_id": erased}) is None
