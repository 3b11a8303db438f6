"""Mutual aid through `bootstrap(...)` with an in-memory unit of work: routing by capacity and
fairness, the lifecycle, privacy (404 to others, contacts only after acceptance), rate limits,
the scheduler's nudge/re-routing/expiry, figures with small-group suppression, erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alumni_contracts.community import commands as cc
from alumni_contracts.community import v1
from alumni_contracts.rpc import Principal, Role
from community_service.bootstrap import bootstrap
from community_service.domain.helping import HelpRequestClosed, Routing, TooManyHelpRequests
from community_service.service_layer import helping
from community_service.service_layer.helping import HelpRequestNotFound
from servicekit.authz import MemberNotLinked
from servicekit.erasure import EraseMemberData, erase_member_data
from servicekit.rpc import RequestHandler

from .fakes import FakeCommunityUnitOfWork, ProjectMember

MANAGER = Principal(tenant="demo", subject="staff", roles=frozenset({Role.MANAGER}))


def alumnus(member_id: str, tenant: str = "demo") -> Principal:
    return Principal(tenant=tenant, subject=f"u-{member_id}", member_id=member_id, roles=frozenset({Role.ALUMNUS}))


class World:
    def __init__(self, routing: Routing | None = None) -> None:
        self.uow = FakeCommunityUnitOfWork()
        self.routing = routing or Routing()
        parts = bootstrap(lambda: self.uow, self.routing)
        self.handlers: dict[str, RequestHandler] = {h.subject.split(".")[-1]: h for h in parts.requests}
        self.events = {sub.durable: handler for sub, handler in parts.events}

    async def call(self, name: str, request: Any, who: Principal) -> Any:
        h = self.handlers[name]
        assert who.has_any(*h.roles), f"{name} refuses {who.roles}"
        return await h.handler(request, who)

    async def member(self, member_id: str, year: int = 2012, tenant: str = "demo") -> None:
        async with self.uow:
            await self.uow.members.apply(ProjectMember(tenant, member_id, 1, member_id.title(), "Durand",
                                                       f"{member_id}@example.org", "fr", (("MSc", year),)))

    async def helper(self, member_id: str, capacity: int = 2, topics: tuple[str, ...] = ("career_change",),
                     sector: str = "", **kw: Any) -> None:
        tenant = kw.pop("tenant", "demo")
        await self.member(member_id, kw.pop("year", 2005), tenant)
        await self.call(cc.SET_HELPER_PROFILE, cc.SetHelperProfile(
            topics=[v1.HelpTopic(t) for t in topics], monthly_capacity=capacity, sector=sector, **kw),
            alumnus(member_id, tenant))

    async def ask(self, requester: str, sector: str = "", topic: str = "career_change") -> cc.HelpRequestOut:
        out: cc.HelpRequestOut = await self.call(cc.REQUEST_HELP, cc.RequestHelp(
            topic=v1.HelpTopic(topic), summary="Passer de l'audit à la finance",
            target=cc.HelpTarget(sector=sector)), alumnus(requester))
        return out

    def published(self, kind: type) -> list[Any]:
        return [e.data for e in self.uow.published if isinstance(e.data, kind)]


async def test_a_request_is_routed_to_two_helpers_with_room_most_relevant_first() -> None:
    w = World()
    await w.member("newgrad", 2025)
    await w.helper("banker", sector="Finance")
    await w.helper("trader", sector="finance ")
    await w.helper("baker", sector="Food")
    await w.helper("full", capacity=1, sector="finance")
    w.uow.helper_rows[("demo", "full")].offers_month = datetime.now(UTC).strftime("%Y-%m")
    w.uow.helper_rows[("demo", "full")].offers_in_month = 1  # at capacity this month
    out = await w.ask("newgrad", sector="finance")
    assert out.status is cc.HelpStatus.OFFERED and out.requester_cohort_year == 2025
    assert sorted(o.helper_id for o in out.offers) == ["banker", "trader"]
    assert out.contact is None, "no contact before anyone accepted"
    [requested] = w.published(v1.HelpRequested)
    assert requested.target_sector == "finance" and not hasattr(requested, "summary")
    assert sorted(o.helper_id for o in w.published(v1.HelpOffered)) == ["banker", "trader"]
    assert w.uow.helper_rows[("demo", "banker")].offers_in_month == 1


async def test_fairness_spreads_requests_over_equally_relevant_helpers() -> None:
    w = World(Routing(helpers_per_round=1, max_requests_per_week=10, max_open_requests=10))
    for name in ("a", "b", "c"):
        await w.helper(name, capacity=5)
    for i in range(3):
        await w.member(f"r{i}")
        await w.ask(f"r{i}")
    offered = [o.helper_id for o in w.published(v1.HelpOffered)]
    assert sorted(offered) == ["a", "b", "c"], "each helper asked once before anyone is asked twice"


async def test_nobody_with_room_leaves_the_request_open_and_the_switch_is_respected() -> None:
    w = World()
    await w.member("asker")
    await w.helper("off", active=False)
    await w.helper("other-topic", topics=("relocation",))
    out = await w.ask("asker")
    assert out.status is cc.HelpStatus.OPEN and out.offers == []


async def test_accept_reveals_contacts_to_both_parties_only_and_withdraws_the_other_offer() -> None:
    w = World()
    await w.member("asker", 2025)
    await w.helper("h1")
    await w.helper("h2")
    await w.helper("h3")
    out = await w.ask("asker")
    first, second = (o.helper_id for o in out.offers)
    # A helper sees the request (first name only), not the other helper's offer.
    seen = await w.call(cc.GET_HELP_REQUEST, cc.HelpRequestRef(request_id=out.request_id), alumnus(first))
    assert [o.helper_id for o in seen.offers] == [first] and seen.contact is None
    assert seen.requester_first_name == "Asker"
    outsider = next(h for h in ("h1", "h2", "h3") if h not in (first, second))
    with pytest.raises(HelpRequestNotFound):
        await w.call(cc.GET_HELP_REQUEST, cc.HelpRequestRef(request_id=out.request_id), alumnus(outsider))
    accepted = await w.call(cc.RESPOND_TO_HELP, cc.RespondToHelp(request_id=out.request_id, accept=True),
                            alumnus(first))
    assert accepted.status is cc.HelpStatus.ACCEPTED
    assert accepted.contact is not None and accepted.contact.email == "asker@example.org"
    mine = await w.call(cc.GET_HELP_REQUEST, cc.HelpRequestRef(request_id=out.request_id), alumnus("asker"))
    assert mine.contact is not None and mine.contact.member_id == first
    assert {o.helper_id: o.status for o in mine.offers}[second] is cc.OfferStatus.WITHDRAWN
    late = await w.call(cc.GET_HELP_REQUEST, cc.HelpRequestRef(request_id=out.request_id), alumnus(second))
    assert late.contact is None, "the helper who did not accept never sees the requester's contact"
    with pytest.raises(HelpRequestClosed):
        await w.call(cc.RESPOND_TO_HELP, cc.RespondToHelp(request_id=out.request_id, accept=True), alumnus(second))
    [event] = w.published(v1.HelpAccepted)
    assert (event.requester_id, event.helper_id) == ("asker", first)
    # Met, then the outcome — by the requester only.
    await w.call(cc.MARK_HELP_MET, cc.HelpRequestRef(request_id=out.request_id), alumnus(first))
    with pytest.raises(HelpRequestNotFound):
        await w.call(cc.REPORT_HELP_OUTCOME, cc.ReportHelpOutcome(request_id=out.request_id,
                                                                  outcome=v1.HelpOutcome.HELPED), alumnus(outsider))
    done = await w.call(cc.REPORT_HELP_OUTCOME, cc.ReportHelpOutcome(request_id=out.request_id,
                                                                     outcome=v1.HelpOutcome.HELPED), alumnus("asker"))
    assert done.status is cc.HelpStatus.OUTCOME_REPORTED and done.outcome is v1.HelpOutcome.HELPED
    assert [e.outcome for e in w.published(v1.HelpOutcomeReported)] == [v1.HelpOutcome.HELPED]


async def test_other_tenants_helpers_are_never_offered_and_their_requests_are_not_found() -> None:
    w = World()
    await w.member("asker")
    await w.helper("foreign", tenant="other")
    out = await w.ask("asker")
    assert out.offers == []
    with pytest.raises(HelpRequestNotFound):
        await w.call(cc.GET_HELP_REQUEST, cc.HelpRequestRef(request_id=out.request_id), alumnus("asker", "other"))


async def test_a_decline_reroutes_to_the_next_helper_and_all_declining_closes_it() -> None:
    w = World(Routing(helpers_per_round=1, max_rounds=2))
    await w.member("asker")
    await w.helper("h1")
    await w.helper("h2")
    out = await w.ask("asker")
    first = out.offers[0].helper_id
    await w.call(cc.RESPOND_TO_HELP, cc.RespondToHelp(request_id=out.request_id, accept=False), alumnus(first))
    now = await w.call(cc.GET_HELP_REQUEST, cc.HelpRequestRef(request_id=out.request_id), alumnus("asker"))
    assert now.status is cc.HelpStatus.OFFERED and now.round == 2 and len(now.offers) == 2
    second = now.offers[1].helper_id
    assert second != first
    last = await w.call(cc.RESPOND_TO_HELP, cc.RespondToHelp(request_id=out.request_id, accept=False),
                        alumnus(second))
    assert last.status is cc.HelpStatus.DECLINED


async def test_scheduler_nudges_the_silent_helper_then_reroutes_then_expires() -> None:
    routing = Routing(helpers_per_round=1, max_rounds=2, nudge_after=timedelta(days=7),
                      reroute_after_nudge=timedelta(days=3))
    w = World(routing)
    await w.member("asker")
    for h in ("h1", "h2", "h3"):
        await w.helper(h)
    out = await w.ask("asker")
    created = out.created_at

    async def sweep(after: timedelta) -> int:
        return await helping.advance_help_requests(lambda: w.uow, routing, clock=lambda: created + after)

    assert await sweep(timedelta(days=6)) == 0
    r = w.uow.request_rows[("demo", out.request_id)]
    silent = r.offers[0].helper_id
    # day 7: the silent helper is nudged first — the request stays theirs
    assert await sweep(timedelta(days=7, hours=1)) == 1
    [nudge] = w.published(v1.HelpNudged)
    assert (nudge.helper_id, nudge.round) == (silent, 1)
    assert nudge.respond_by == created + timedelta(days=10, hours=1)
    assert r.round == 1 and [o.status.value for o in r.offers] == ["pending"]
    assert r.next_check_at == created + timedelta(days=10)
    assert await sweep(timedelta(days=8)) == 0, "nudged once, not at every sweep"
    assert len(w.published(v1.HelpNudged)) == 1
    # day 10: still silent after the nudge → re-routed to the next helper
    assert await sweep(timedelta(days=10, hours=1)) == 1
    assert r.round == 2 and [o.status.value for o in r.offers] == ["expired", "pending"]
    assert [e.round for e in w.published(v1.HelpOffered)] == [1, 2]
    # round 2 (the last): nudged at day 17, expired at day 20 without an answer
    assert await sweep(timedelta(days=15)) == 0
    await sweep(timedelta(days=17, hours=2))
    assert [e.round for e in w.published(v1.HelpNudged)] == [1, 2] and r.status.value == "offered"
    await sweep(timedelta(days=20, hours=2))
    assert r.status.value == "expired" and r.next_check_at is None


async def test_a_nudged_helper_can_still_accept_before_the_reroute() -> None:
    routing = Routing(helpers_per_round=1)
    w = World(routing)
    await w.member("asker")
    await w.helper("h1")
    await w.helper("h2")
    out = await w.ask("asker")
    helper = out.offers[0].helper_id
    await helping.advance_help_requests(lambda: w.uow, routing, clock=lambda: out.created_at + timedelta(days=8))
    assert len(w.published(v1.HelpNudged)) == 1
    done = await w.call(cc.RESPOND_TO_HELP, cc.RespondToHelp(request_id=out.request_id, accept=True), alumnus(helper))
    assert done.status is cc.HelpStatus.ACCEPTED
    assert await helping.advance_help_requests(lambda: w.uow, routing,
                                               clock=lambda: out.created_at + timedelta(days=11)) == 0
    assert len(w.published(v1.HelpOffered)) == 1, "an accepted request is never re-routed"


async def test_rate_limits_on_asking() -> None:
    w = World(Routing(max_open_requests=2, max_requests_per_week=3))
    await w.member("spammer")
    await w.ask("spammer")
    await w.ask("spammer")
    with pytest.raises(TooManyHelpRequests) as caught:
        await w.ask("spammer")
    assert caught.value.status == 429


async def test_roles_and_unlinked_staff() -> None:
    w = World()
    assert Role.ALUMNUS not in w.handlers[cc.HELP_FIGURES].roles
    assert Role.PARTNER not in w.handlers[cc.REQUEST_HELP].roles
    assert Role.MANAGER not in w.handlers[cc.RESPOND_TO_HELP].roles, "staff do not answer in a helper's name"
    unlinked = Principal(tenant="demo", subject="u", roles=frozenset({Role.ALUMNUS}))
    with pytest.raises(MemberNotLinked):
        await w.call(cc.RESPOND_TO_HELP, cc.RespondToHelp(request_id="x", accept=True), unlinked)


async def test_figures_suppress_groups_under_five() -> None:
    w = World(Routing(max_open_requests=10, max_requests_per_week=10))
    for h in ("h1", "h2"):
        await w.helper(h, capacity=20)
    for i in range(6):
        await w.member(f"c25-{i}", 2025)
        await w.ask(f"c25-{i}")
    for i in range(2):
        await w.member(f"c24-{i}", 2024)
        await w.ask(f"c24-{i}")
    figures: cc.HelpFigures = await w.call(cc.HELP_FIGURES, cc.HelpFiguresQuery(), MANAGER)
    assert figures.total.requests == 8 and figures.total.acceptance_rate == 0.0
    rows = {r.group: r for r in figures.by_cohort}
    assert rows["2025"].requests == 6 and rows["2025"].by_status == {"offered": 6}
    assert rows["2024"].suppressed and rows["2024"].requests is None and rows["2024"].by_status is None
    assert figures.helpers_active is None and figures.helpers_near_capacity is None, "2 helpers: suppressed"
    assert [(r.group, r.requests) for r in figures.by_program] == [("MSc", 8)]
    small: cc.HelpFigures = await w.call(cc.HELP_FIGURES, cc.HelpFiguresQuery(cohort_year=2024), MANAGER)
    assert small.total.suppressed and small.total.requests is None


async def test_erasure_removes_the_member_and_pseudonymises_requests() -> None:
    w = World()
    await w.member("asker")
    await w.helper("h1")
    out = await w.ask("asker")
    await erase_member_data(EraseMemberData("demo", "er-1", "asker"), w.uow, _eraser())
    r = w.uow.request_rows[("demo", out.request_id)]
    assert r.requester_id == "erased" and r.summary == ""
    assert w.uow.scrubbed == [("demo", "asker")], "scrub_member deletes its audience document"
    [confirmed] = [e.data for e in w.uow.published if e.data.event_name == "member_data_erased"]
    assert confirmed.pseudonymised == {"help_requests": 1, "jobs": 0, "mentorships": 0}


def _eraser() -> Any:
    from community_service.service_layer.members import erase_member
    return erase_member


async def test_member_data_comes_from_the_shared_audience_projection() -> None:
    """Community subscribes only to the erasure itself; names, email, cohorts and dues state come
    from `servicekit.segments`' audience lane, wired in `build` (see the e2e tests)."""
    w = World()
    assert set(w.events) == {"community-erasure-requested"}
