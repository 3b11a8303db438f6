from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from alumni_contracts.events.v1 import EventPublished, EventScheduled
from events_service.domain.model import InvalidSchedule
from events_service.service_layer import handlers
from events_service.service_layer.commands import ProjectMember, ScheduleEvent

from .fakes import FakeEventsUnitOfWork

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PARIS_SUMMER = timezone(timedelta(hours=2))


def schedule(**overrides: object) -> ScheduleEvent:
    values: dict[str, object] = dict(
        tenant="demo", title="Gala des 10 ans", starts_at=datetime(2027, 6, 1, 19, tzinfo=PARIS_SUMMER),
        ends_at=datetime(2027, 6, 1, 23, tzinfo=PARIS_SUMMER), timezone="Europe/Paris", venue="Campus",
        capacity=120)
    values.update(overrides)
    return ScheduleEvent(**values)  # type: ignore[arg-type]


async def test_schedule_event_publishes_event_scheduled() -> None:
    uow = FakeEventsUnitOfWork()
    event_id = await handlers.schedule_event(schedule(), uow, clock=lambda: NOW)
    published, went_live = uow.published
    assert isinstance(published.data, EventScheduled) and isinstance(went_live.data, EventPublished)
    assert published.subject == event_id and published.data.capacity == 120
    assert published.data.starts_at == datetime(2027, 6, 1, 17, tzinfo=UTC)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"timezone": "Mars/Olympus"}, "unknown timezone"),
    ({"ends_at": datetime(2027, 6, 1, 18, tzinfo=PARIS_SUMMER)}, "end after it starts"),
    ({"starts_at": datetime(2020, 1, 1, tzinfo=UTC), "ends_at": datetime(2020, 1, 2, tzinfo=UTC)}, "already over"),
    ({"capacity": 0}, "capacity"),
])
async def test_invalid_schedules_are_refused_and_nothing_is_stored(overrides: dict[str, object], message: str) -> None:
    uow = FakeEventsUnitOfWork()
    with pytest.raises(InvalidSchedule, match=message):
        await handlers.schedule_event(schedule(**overrides), uow, clock=lambda: NOW)
    assert uow.commits == 0 and uow.store.events == {}


async def test_member_projection_ignores_older_versions() -> None:
    uow = FakeEventsUnitOfWork()
    newer = ProjectMember("demo", "m1", 2, "Zoé", "Martin", "z@example.org", "fr", (("MSc", 2012),))
    older = ProjectMember("demo", "m1", 1, "Old", "Name", "o@example.org", "fr", (("MSc", 2012),))
    await handlers.project_member(newer, uow)
    await handlers.project_member(older, uow)
    assert uow.projected["m1"].first_name == "Zoé"


async def test_bootstrapped_service_projects_members_and_schedules_events() -> None:
    from alumni_contracts.events import commands as c
    from alumni_contracts.rpc import Principal, Role
    from events_service.bootstrap import bootstrap
    from servicekit.testing.factories import member_registered_event

    uow = FakeEventsUnitOfWork()
    parts = bootstrap(lambda: uow)
    handlers = {sub.durable: handler for sub, handler in parts.events}
    assert {"events-registered-v2", "events-profile-updated-v2", "events-erasure-requested",
            "events-ms-activated"} <= set(handlers)
    await handlers["events-registered-v2"](member_registered_event(member_id="m9"))
    assert uow.projected["m9"].email == "m9@example.org" and uow.projected["m9"].cohorts == (("MSc", 2012),)

    spec = next(s for s in parts.requests if s.subject == "cmd.events.schedule_event")
    manager = Principal(tenant="demo", subject="u", roles=frozenset({Role.MANAGER}))
    request = c.ScheduleEvent(title="Afterwork", starts_at=datetime(2030, 1, 1, 18, tzinfo=UTC),
                              ends_at=datetime(2030, 1, 1, 21, tzinfo=UTC), venue="Bar", capacity=40)
    result = await spec.handler(request, manager)
    published = uow.published[0]
    assert published.subject == result.event_id and published.tenant == "demo"  # type: ignore[attr-defined]
    assert Role.ALUMNUS not in spec.roles
