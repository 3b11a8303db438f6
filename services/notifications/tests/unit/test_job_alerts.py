"""Job alerts without I/O: the matching rule, the member's criteria through the bus, and the
announcement of an approved offer: once per (offer, member), consent and `jobs` preference
respected, non-matching alumni left alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notifications_service.domain.job_alerts import JobAlert, PostedJob, fold, keys, matches
from notifications_service.domain.preferences import Category, Channel, MemberPreferences
from notifications_service.service_layer import job_alerts as ja
from servicekit.bus import MessageBus, fresh

from .test_welcome import FakeNotificationsUnitOfWork, Store, composer

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
JOB = PostedJob(job_id="job-1", sector="Finance", city="Paris", contract="permanent")


def alert(enabled: bool = True, sectors: list[str] | None = None, cities: list[str] | None = None,
          contracts: list[str] | None = None, member: str = "m1") -> JobAlert:
    a = JobAlert(id=member, tenant="demo", member_id=member)
    a.set(enabled, sectors or [], cities or [], contracts or [], NOW)
    return a


def test_folding_ignores_case_accents_and_spacing() -> None:
    assert fold("  Île-de-France ") == fold("ile-de-FRANCE") == "ile-de-france"
    assert keys([]) == ["*"] and keys(["Paris", "paris ", "PARÍS"]) == ["paris"]


@pytest.mark.parametrize(("criteria", "expected"), [
    ({}, True),  # every criterion empty: any offer
    ({"sectors": ["finance"]}, True),
    ({"sectors": ["Conseil"]}, False),
    ({"cities": ["Lyon", "PARIS"]}, True),
    ({"cities": ["Lyon"]}, False),
    ({"contracts": ["internship"]}, False),
    ({"sectors": ["finance"], "cities": ["Paris"], "contracts": ["permanent", "fixed_term"]}, True),
    ({"sectors": ["finance"], "cities": ["Paris"], "contracts": ["fixed_term"]}, False),
])
def test_an_offer_matches_when_every_criterion_admits_it(criteria: dict[str, list[str]], expected: bool) -> None:
    assert matches(alert(**criteria), JOB) is expected  # type: ignore[arg-type]


def test_a_disabled_alert_matches_nothing() -> None:
    assert not matches(alert(enabled=False), JOB)


def store_with(*members: tuple[str, bool]) -> Store:
    store = Store()
    for member, consent in members:
        store.contacts[member] = {"email": f"{member}@example.org", "locale": "fr", "contactable": True,
                                  "first_name": member.upper(), "consents": {"newsletter": consent}}
    return store


def job_url(tenant: str, job_id: str) -> str:
    return f"https://alumni.example.org/console#jobs/{job_id}"


async def announce(store: Store) -> int:
    return await ja.alert_job(ja.AlertJob("demo", JOB, "Analyste M&A", "Banque Exemple"),
                              lambda: FakeNotificationsUnitOfWork(store), composer(), job_url, page=2)


async def test_the_member_sets_criteria_through_the_bus_and_reads_them_back_with_consent_and_preferences() -> None:
    store = store_with(("m1", True))
    bus = MessageBus.wire(ja.HANDLERS, uow=fresh(lambda: FakeNotificationsUnitOfWork(store)))
    view = await bus.handle(ja.SetJobAlerts("demo", "m1", True, ["Finance", "finance", " Conseil "], ["Paris"],
                                            ["permanent"]))
    assert view.alert.sectors == ["Finance", "Conseil"] and view.alert.cities == ["Paris"]
    assert view.consent and view.jobs_email and view.jobs_in_app
    again = await bus.handle(ja.GetJobAlerts("demo", "m1"))
    assert again.alert.enabled and again.alert.contracts == ["permanent"]
    nobody = await bus.handle(ja.GetJobAlerts("demo", "m2"))
    assert not nobody.alert.enabled and not nobody.consent


async def test_an_approved_offer_alerts_matching_members_once_each_by_email_and_in_app() -> None:
    store = store_with(("m1", True), ("m2", True), ("m3", True), ("m4", False), ("m5", True))
    for a in (alert(member="m1", sectors=["finance"]), alert(member="m2", cities=["Lyon"]),
              alert(member="m3", contracts=["permanent"], cities=["paris"]), alert(member="m4"),
              alert(member="m5", enabled=False)):
        store.job_alerts[f"demo/{a.member_id}"] = a
    assert await announce(store) == 2  # m1 and m3: m2 wants Lyon, m4 gave no consent, m5 turned it off
    sent = {n.member_id: n for n in store.notifications.values()}
    assert set(sent) == {"m1", "m3"}
    email = sent["m1"].email
    assert email is not None and email.marketing and "Analyste M&A" in email.subject
    assert "CDI" in email.body_text and job_url("demo", "job-1") in email.body_text
    assert dict(email.headers).get("List-Unsubscribe", "").startswith("<http")
    assert {i.member_id for i in store.feed.items.values()} == {"m1", "m3"}
    assert sent["m1"].id == ja.alert_key("job-1", "m1") and len(sent["m1"].id) <= 64
    # A redelivered job_posted, or the renewal that publishes it again: nobody is alerted twice.
    assert await announce(store) == 0 and len(store.notifications) == 2


async def test_the_jobs_preference_picks_the_channels() -> None:
    store = store_with(("m1", True))
    store.job_alerts["demo/m1"] = alert()
    prefs = MemberPreferences(id="m1", tenant="demo", member_id="m1")
    prefs.choose({(Category.JOBS, Channel.EMAIL): False}, NOW)
    store.preferences["demo/m1"] = prefs
    assert await announce(store) == 1
    assert store.notifications == {} and len(store.feed.items) == 1
