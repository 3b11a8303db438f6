"""The staff list of an event's registrations, a page at a time (keyset cursor), by status."""

from __future__ import annotations

import pytest

from alumni_contracts.rpc import Principal, Role
from events_service.domain.model import EventNotFound
from events_service.service_layer.registrations import BadCursor

from .test_registrations import MANAGER, Service, alumnus


async def _pages(s: Service, event_id: str, limit: int, **filters: str) -> list[list[str]]:
    pages: list[list[str]] = []
    after: str | None = None
    while True:
        page = await s.call("event_registrations", MANAGER, event_id=event_id, limit=limit, after=after, **filters)
        pages.append([r.member_id for r in page.items])
        if page.next_cursor is None:
            return pages
        after = page.next_cursor


async def test_pages_cover_every_registration_once_then_stop() -> None:
    s = Service()
    event_id = await s.event(capacity=5)
    for i in range(12):
        await s.call("register", alumnus(f"m{i:02}"), event_id=event_id)
    pages = await _pages(s, event_id, limit=5)
    assert [len(p) for p in pages] == [5, 5, 2]
    assert sorted(m for p in pages for m in p) == [f"m{i:02}" for i in range(12)]

    exact = await _pages(s, event_id, limit=6)
    assert [len(p) for p in exact] == [6, 6], "a full last page says there is no next one"


async def test_status_filter_and_the_waitlist_in_arrival_order_across_pages() -> None:
    s = Service()
    event_id = await s.event(capacity=2)
    for i in range(9):
        await s.call("register", alumnus(f"m{i}"), event_id=event_id)
    registered = await _pages(s, event_id, limit=10, status="registered")
    assert registered == [["m0", "m1"]]
    waitlist = await _pages(s, event_id, limit=3, status="waitlisted")
    assert waitlist == [["m2", "m3", "m4"], ["m5", "m6", "m7"], ["m8"]]


async def test_a_row_added_between_pages_is_neither_skipped_nor_repeated() -> None:
    s = Service()
    event_id = await s.event(capacity=1)
    for i in range(4):
        await s.call("register", alumnus(f"m{i}"), event_id=event_id)
    first = await s.call("event_registrations", MANAGER, event_id=event_id, limit=2, status="waitlisted")
    await s.call("register", alumnus("late"), event_id=event_id)
    second = await s.call("event_registrations", MANAGER, event_id=event_id, limit=10, status="waitlisted",
                          after=first.next_cursor)
    assert [r.member_id for r in first.items] == ["m1", "m2"]
    assert [r.member_id for r in second.items] == ["m3", "late"] and second.next_cursor is None


async def test_a_forged_cursor_is_a_clear_422_and_another_tenants_event_is_404() -> None:
    s = Service()
    event_id = await s.event(capacity=1)
    for forged in ("bm90LWpzb24", "eyJ3IjoiMjAzMC0wMS0wMSJ9", "e30"):
        with pytest.raises(BadCursor) as refused:
            await s.call("event_registrations", MANAGER, event_id=event_id, after=forged)
        assert refused.value.status == 422
    other = Principal(tenant="other", subject="staff", roles=frozenset({Role.MANAGER}))
    with pytest.raises(EventNotFound):
        await s.call("event_registrations", other, event_id=event_id)
