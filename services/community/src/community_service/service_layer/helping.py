"""Use cases of mutual aid: helpers opt in, alumni ask, helpers answer, outcomes reported."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from community_service.domain import figures
from community_service.domain.helping import Helper, HelpRequest, Routing, check_rate
from community_service.service_layer import commands as c
from community_service.service_layer.ports import CommunityUnitOfWork, MemberView
from servicekit.domain import DomainError, NotFound, utcnow

Clock = Callable[[], datetime]


class HelpRequestNotFound(NotFound):
    code = "help-request-not-found"
    title = "Help request not found"


class HelperNotFound(NotFound):
    code = "helper-not-found"
    title = "No helper profile"


class NotAMember(DomainError):
    code = "member-unknown"
    title = "Member not known to community yet"


@dataclass(frozen=True)
class Viewed:
    """A request as one viewer may see it, with the contact they are entitled to."""

    request: HelpRequest
    viewer_id: str | None
    staff: bool
    requester_first_name: str
    contact: MemberView | None


async def set_helper_profile(cmd: c.SetHelperProfile, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> Helper:
    now = clock()
    async with uow:
        member = await uow.members.get(cmd.tenant, cmd.member_id)
        helper = await uow.helpers.get(cmd.tenant, cmd.member_id) or Helper(
            member_id=cmd.member_id, tenant=cmd.tenant, topics=(), monthly_capacity=1, active=False)
        helper.topics = tuple(dict.fromkeys(cmd.topics))
        helper.monthly_capacity, helper.active = cmd.monthly_capacity, cmd.active
        helper.sector, helper.city, helper.employer = cmd.sector, cmd.city, cmd.employer
        helper.cohort_year = member.cohort_year if member else helper.cohort_year
        helper.updated_at = now
        await uow.helpers.save(helper)
        await uow.commit()
    return helper


async def get_helper_profile(query: c.GetHelperProfile, uow: CommunityUnitOfWork) -> Helper:
    """A member who never opted in gets the default profile (switched off): the console asks
    on every load, and a 404 there would be an error in every browser's log."""
    async with uow:
        helper = await uow.helpers.get(query.tenant, query.member_id)
        # A member asking for their own profile gets the default one even before the audience
        # projection has heard of them (a just-registered alumnus opening the console).
        if helper is None and (query.own or await uow.members.get(query.tenant, query.member_id) is not None):
            helper = Helper(member_id=query.member_id, tenant=query.tenant, topics=(), monthly_capacity=1,
                            active=False)
    if helper is None:
        raise HelperNotFound("no such member")
    return helper


async def request_help(cmd: c.RequestHelp, uow: CommunityUnitOfWork, routing: Routing,
                       clock: Clock = utcnow) -> Viewed:
    now = clock()
    async with uow:
        member = await uow.members.get(cmd.tenant, cmd.requester_id)
        if member is None:
            raise NotAMember("your profile has not reached community yet: try again in a moment")
        mine = await uow.help_requests.of_requester(cmd.tenant, cmd.requester_id, 50)
        check_rate([r.created_at for r in mine if r.created_at], sum(r.status.value in ("open", "offered")
                                                                     for r in mine), now, routing)
        request = HelpRequest.ask(tenant=cmd.tenant, requester_id=cmd.requester_id,
                                  requester_cohort_year=member.cohort_year, topic=cmd.topic, summary=cmd.summary,
                                  target=cmd.target, now=now, requester_program=member.program)
        chosen = request.route(await uow.helpers.candidates(cmd.tenant, cmd.topic), now, routing)
        for helper in chosen:
            await uow.helpers.save(helper)
        await uow.help_requests.add(request)
        await uow.commit()
    return Viewed(request, cmd.requester_id, False, member.first_name, None)


async def _load(uow: CommunityUnitOfWork, tenant: str, request_id: str, viewer: str | None,
                staff: bool) -> HelpRequest:
    request = await uow.help_requests.get(tenant, request_id)
    if request is None or not request.visible_to(viewer, staff):
        raise HelpRequestNotFound(request_id)  # someone else's request: "not found", as everywhere
    return request


async def _view(uow: CommunityUnitOfWork, request: HelpRequest, viewer: str | None, staff: bool) -> Viewed:
    requester = await uow.members.get(request.tenant, request.requester_id)
    other = request.contact_for(viewer)
    contact = await uow.members.get(request.tenant, other) if other else None
    return Viewed(request, viewer, staff, requester.first_name if requester else "", contact)


async def get_help_request(query: c.GetHelpRequest, uow: CommunityUnitOfWork) -> Viewed:
    async with uow:
        request = await _load(uow, query.tenant, query.request_id, query.viewer_id, query.staff)
        return await _view(uow, request, query.viewer_id, query.staff)


async def list_help_requests(query: c.ListHelpRequests, uow: CommunityUnitOfWork) -> list[Viewed]:
    async with uow:
        if query.scope == "all" and query.staff:
            found = await uow.help_requests.of_tenant(query.tenant, query.status, query.limit)
        elif query.viewer_id is None:
            found = []
        elif query.scope == "offered":
            found = await uow.help_requests.offered_to(query.tenant, query.viewer_id, query.limit)
        else:
            found = await uow.help_requests.of_requester(query.tenant, query.viewer_id, query.limit)
        if query.status:
            found = [r for r in found if r.status.value == query.status]
        return [await _view(uow, r, query.viewer_id, query.staff) for r in found]


async def respond_to_help(cmd: c.RespondToHelp, uow: CommunityUnitOfWork, routing: Routing,
                          clock: Clock = utcnow) -> Viewed:
    now = clock()
    async with uow:
        request = await _load(uow, cmd.tenant, cmd.request_id, cmd.helper_id, False)
        if cmd.accept:
            request.accept(cmd.helper_id, now)
        else:
            for helper in request.decline(cmd.helper_id, await uow.helpers.candidates(cmd.tenant, request.topic),
                                          now, routing):
                await uow.helpers.save(helper)
        await uow.help_requests.save(request)
        await uow.commit()
        return await _view(uow, request, cmd.helper_id, False)


async def mark_help_met(cmd: c.MarkHelpMet, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> Viewed:
    async with uow:
        request = await _load(uow, cmd.tenant, cmd.request_id, cmd.member_id, cmd.staff)
        request.mark_met(cmd.member_id or "", cmd.staff, clock())
        await uow.help_requests.save(request)
        await uow.commit()
        return await _view(uow, request, cmd.member_id, cmd.staff)


async def report_help_outcome(cmd: c.ReportHelpOutcome, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> Viewed:
    async with uow:
        request = await _load(uow, cmd.tenant, cmd.request_id, cmd.requester_id, False)
        request.report_outcome(cmd.requester_id, cmd.outcome, clock())
        await uow.help_requests.save(request)
        await uow.commit()
        return await _view(uow, request, cmd.requester_id, False)


@dataclass(frozen=True)
class Figures:
    total: figures.FigureRow
    by_cohort: list[figures.FigureRow]
    by_program: list[figures.FigureRow]
    helpers_active: int | None
    helpers_near_capacity: int | None


async def help_figures(query: c.HelpFigures, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> Figures:
    now = clock()
    async with uow:
        requests = await uow.help_requests.of_tenant(query.tenant, None, 10_000)
        helpers = [h for h in await uow.helpers.candidates(query.tenant, "") if h.active]
    if query.cohort_year is not None:
        requests = [r for r in requests if r.requester_cohort_year == query.cohort_year]
    total = figures.row("all" if query.cohort_year is None else str(query.cohort_year), requests)
    enough = len(helpers) >= figures.MIN_GROUP_SIZE
    near = sum(h.near_capacity(now) for h in helpers)
    return Figures(total, figures.by_cohort(requests), figures.by_program(requests), len(helpers) if enough else None,
                   # "0 near capacity" out of 3 says something about 3 people too
                   near if enough else None)


async def advance_help_requests(uow_factory: Callable[[], CommunityUnitOfWork], routing: Routing,
                                clock: Clock = utcnow, batch: int = 200) -> int:
    """The scheduler (leased sweep): nudge the helpers who left an offer unanswered for the nudge
    delay, re-route the requests still unanswered some days after the nudge, retry routing open
    ones, expire the too old. One transaction per request."""
    now = clock()
    async with uow_factory() as uow:
        due = await uow.help_requests.due(now, batch)
    changed = 0
    for tenant, request_id in due:
        async with uow_factory() as uow:
            request = await uow.help_requests.get(tenant, request_id)
            if request is None:
                continue
            action = request.due(now, routing)
            if action is None:
                continue
            if action == "expire":
                request.expire(now)
            elif action == "remind":
                request.remind(now, routing)
            else:
                candidates = await uow.helpers.candidates(tenant, request.topic)
                chosen = request.nudge(candidates, now, routing) if action == "reroute" \
                    else request.route(candidates, now, routing)
                for helper in chosen:
                    await uow.helpers.save(helper)
            await uow.help_requests.save(request)
            await uow.commit()
            changed += 1
    return changed
