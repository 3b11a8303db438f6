from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from alumni_contracts.events.v1 import EventScheduled
from events_service.domain.model import Event, InvalidSchedule
from events_service.service_layer import handlers
from events_service.service_layer.commands import ProjectMember, ScheduleEvent
from events_service.service_layer.contract_mapping import to_contract
from servicekit.testing.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PARIS_SUMMER = timezone(timedelta(hours=2))


class FakeEventsUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__(to_contract)
        self.events_added: list[Event] = []
        self.projected: dict[str, ProjectMember] = {}
        self.events = self
        self.members = self

    async def add(self, event: Event) -> None:
        self.events_added.append(event)
        self.track(event)

    async def apply(self, member: ProjectMember) -> bool:
        current = self.projected.get(member.member_id)
        if current is not None and current.version >= member.version:
            return False
        self.projected[member.member_id] = member
        return True


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
    [published] = uow.published
    assert isinstance(published.data, EventScheduled)
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
    assert uow.commits == 0 and uow.events_added == []


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
    assert set(handlers) == {"events-registered-v2", "events-profile-updated-v2", "events-erasure-requested"}
    await handlers["events-registered-v2"](member_registered_event(member_id="m9"))
    assert uow.projected["m9"].email == "m9@example.org" and uow.projected["m9"].cohorts == (("MSc", 2012),)

    [spec] = [r for r in parts.requests if r.subject.endswith(".schedule_event")]
    manager = Principal(tenant="demo", subject="u", roles=frozenset({Role.MANAGER}))
    request = c.ScheduleEvent(title="Afterwork", starts_at=datetime(2030, 1, 1, 18, tzinfo=UTC),
                              ends_at=datetime(2030, 1, 1, 21, tzinfo=UTC), venue="Bar", capacity=40)
    result = await spec.handler(request, manager)
    [published] = uow.published
    assert published.subject == result.event_id and published.tenant == "demo"  # type: ignore[attr-defined]
    assert Role.ALUMNUS not in spec.roles
