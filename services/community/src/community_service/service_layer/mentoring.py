"""Use cases of mentoring programs: managers run programs, alumni enrol, pairs are suggested
(explainable score) and confirmed, the mentorship lives (accept, check-ins) and closes with a
survey; outcome figures with small-group suppression; the member's part of an erasure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from community_service.domain import mentoring_figures as mf
from community_service.domain.mentoring import (
    ERASED,
    OPEN_STATUSES,
    Compatibility,
    Matching,
    MentoringConflict,
    Mentorship,
    Participant,
    Program,
    ProgramStatus,
    Role,
    plan,
    suggest,
)
from community_service.service_layer.helping import NotAMember
from community_service.service_layer.ports import CommunityUnitOfWork, MemberView
from servicekit.domain import Forbidden, NotFound, utcnow

Clock = Callable[[], datetime]


# -- commands and queries -----------------------------------------------------------------------

@dataclass(frozen=True)
class CreateProgram:
    tenant: str
    name_fr: str
    name_en: str
    description: str
    starts_on: date | None
    ends_on: date | None
    matching: str
    max_mentees_per_mentor: int


@dataclass(frozen=True)
class ProgramAction:
    tenant: str
    program_id: str
    action: str  # open / close


@dataclass(frozen=True)
class ListPrograms:
    tenant: str
    viewer_id: str | None
    staff: bool


@dataclass(frozen=True)
class GetProgram:
    tenant: str
    program_id: str
    viewer_id: str | None
    staff: bool


@dataclass(frozen=True)
class Enrol:
    tenant: str
    program_id: str
    member_id: str
    role: str
    topics: tuple[str, ...]
    capacity: int
    availability: str
    languages: tuple[str, ...]
    sector: str
    city: str


@dataclass(frozen=True)
class SuggestMatches:
    tenant: str
    program_id: str
    viewer_id: str | None
    staff: bool
    limit: int


@dataclass(frozen=True)
class ConfirmMatch:
    tenant: str
    program_id: str
    mentor_id: str
    mentee_id: str | None
    viewer_id: str | None
    staff: bool


@dataclass(frozen=True)
class RespondToMatch:
    tenant: str
    mentorship_id: str
    member_id: str
    accept: bool


@dataclass(frozen=True)
class RecordCheckIn:
    tenant: str
    mentorship_id: str
    member_id: str
    on: date
    note: str


@dataclass(frozen=True)
class CloseMentorship:
    tenant: str
    mentorship_id: str
    member_id: str
    outcome: str
    satisfaction: int
    goals_met: bool
    comment: str


@dataclass(frozen=True)
class ListMentorships:
    tenant: str
    viewer_id: str | None
    staff: bool
    scope: str  # mine / all
    program_id: str | None
    status: str | None
    limit: int


@dataclass(frozen=True)
class GetMentorship:
    tenant: str
    mentorship_id: str
    viewer_id: str | None
    staff: bool


@dataclass(frozen=True)
class MentoringFigures:
    tenant: str
    program_id: str | None
    cohort_year: int | None


# -- errors and views ----------------------------------------------------------------------------

class ProgramNotFound(NotFound):
    code = "mentoring-program-not-found"
    title = "Mentoring program not found"


class MentorshipNotFound(NotFound):
    code = "mentorship-not-found"
    title = "Mentorship not found"


class ParticipantNotFound(NotFound):
    code = "mentoring-participant-not-found"
    title = "Not enrolled in this program"


class StaffMatches(Forbidden):
    code = "mentoring-staff-matches"
    title = "Managers confirm the pairs of this program"


@dataclass(frozen=True)
class ProgramView:
    program: Program
    mentors: int | None
    mentees: int | None
    mine: Participant | None


@dataclass(frozen=True)
class Person:
    participant: Participant
    first_name: str


@dataclass(frozen=True)
class Suggestion:
    fit: Compatibility
    mentor: Person
    mentee: Person


@dataclass(frozen=True)
class SuggestionsView:
    program: Program
    plan: list[Suggestion]
    options: list[Suggestion]


@dataclass(frozen=True)
class MentorshipView:
    mentorship: Mentorship
    viewer_id: str | None
    mentor_first_name: str
    mentee_first_name: str
    contact: MemberView | None


@dataclass(frozen=True)
class FiguresView:
    total: mf.MentoringRow
    by_program: list[mf.MentoringRow]
    by_cohort: list[mf.MentoringRow]


# -- programs ------------------------------------------------------------------------------------

async def create_program(cmd: CreateProgram, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> ProgramView:
    program = Program.create(tenant=cmd.tenant, name_fr=cmd.name_fr, name_en=cmd.name_en,
                             description=cmd.description, starts_on=cmd.starts_on, ends_on=cmd.ends_on,
                             matching=cmd.matching, max_mentees_per_mentor=cmd.max_mentees_per_mentor, now=clock())
    async with uow:
        await uow.programs.add(program)
        await uow.commit()
    return ProgramView(program, 0, 0, None)


async def _program(uow: CommunityUnitOfWork, tenant: str, program_id: str, staff: bool) -> Program:
    program = await uow.programs.get(tenant, program_id)
    if program is None or (program.status is ProgramStatus.DRAFT and not staff):
        raise ProgramNotFound(program_id)  # a draft is the managers' business
    return program


async def _program_view(uow: CommunityUnitOfWork, program: Program, viewer_id: str | None,
                        staff: bool) -> ProgramView:
    mine = await uow.participants.get(program.tenant, program.id, viewer_id) if viewer_id else None
    if not staff:
        return ProgramView(program, None, None, mine)
    everyone = await uow.participants.of_program(program.tenant, program.id)
    return ProgramView(program, sum(p.role is Role.MENTOR for p in everyone),
                       sum(p.role is Role.MENTEE for p in everyone), mine)


async def act_on_program(cmd: ProgramAction, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> ProgramView:
    async with uow:
        program = await _program(uow, cmd.tenant, cmd.program_id, True)
        program.open(clock()) if cmd.action == "open" else program.close(clock())
        await uow.programs.save(program)
        await uow.commit()
        return await _program_view(uow, program, None, True)


async def list_programs(query: ListPrograms, uow: CommunityUnitOfWork) -> list[ProgramView]:
    async with uow:
        found = [p for p in await uow.programs.of_tenant(query.tenant, 200)
                 if query.staff or p.status is not ProgramStatus.DRAFT]
        return [await _program_view(uow, p, query.viewer_id, query.staff) for p in found]


async def get_program(query: GetProgram, uow: CommunityUnitOfWork) -> ProgramView:
    async with uow:
        program = await _program(uow, query.tenant, query.program_id, query.staff)
        return await _program_view(uow, program, query.viewer_id, query.staff)


async def enrol(cmd: Enrol, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> ProgramView:
    """Enrol, or update one's profile; one role per program."""
    now = clock()
    async with uow:
        program = await _program(uow, cmd.tenant, cmd.program_id, False)
        program.require_open()
        member = await uow.members.get(cmd.tenant, cmd.member_id)
        if member is None:
            raise NotAMember("your profile has not reached community yet: try again in a moment")
        participant = await uow.participants.get(cmd.tenant, cmd.program_id, cmd.member_id)
        if participant is None:
            participant = Participant(tenant=cmd.tenant, program_id=program.id, member_id=cmd.member_id,
                                      role=Role(cmd.role), topics=(), capacity=1, languages=(), enrolled_at=now)
        elif participant.role.value != cmd.role:
            raise MentoringConflict(f"you are enrolled as {participant.role.value} in this program")
        participant.update_profile(topics=cmd.topics, capacity=cmd.capacity, languages=cmd.languages,
                                   availability=cmd.availability, sector=cmd.sector, city=cmd.city, program=program)
        participant.cohort_year, participant.cohort_program = member.cohort_year, member.program
        await uow.participants.save(participant)
        await uow.commit()
        return ProgramView(program, None, None, participant)


# -- matching ------------------------------------------------------------------------------------

async def _people(uow: CommunityUnitOfWork, participants: list[Participant]) -> dict[str, Person]:
    people = {}
    for p in participants:
        member = await uow.members.get(p.tenant, p.member_id)
        people[p.member_id] = Person(p, member.first_name if member else "")
    return people


def _taken(mentorships: list[Mentorship]) -> set[tuple[str, str]]:
    return {(m.mentor_id, m.mentee_id) for m in mentorships}


async def suggest_matches(query: SuggestMatches, uow: CommunityUnitOfWork) -> SuggestionsView:
    """Staff: the program's plan and every mentee's best mentors. A mentee of a self-selected
    program: their own best mentors while they have none (first names and profiles, no contact)."""
    async with uow:
        program = await _program(uow, query.tenant, query.program_id, query.staff)
        everyone = await uow.participants.of_program(query.tenant, program.id)
        taken = _taken(await uow.mentorships.of_program(query.tenant, program.id, 10_000))
        mentors = [p for p in everyone if p.role is Role.MENTOR]
        if query.staff:
            mentees = [p for p in everyone if p.role is Role.MENTEE and p.room > 0]
            pairs = plan(mentors, mentees, taken)
            options = [c for e in sorted(mentees, key=lambda p: p.member_id)
                       for c in suggest(e, mentors, taken, query.limit)]
        else:
            me = next((p for p in everyone if p.member_id == query.viewer_id), None)
            pairs = []
            options = suggest(me, mentors, taken, query.limit) \
                if me is not None and me.role is Role.MENTEE and me.room > 0 and program.matching is Matching.MENTEE \
                and program.status is ProgramStatus.OPEN else []
        people = await _people(uow, [p for p in everyone if any(
            p.member_id in (c.mentor_id, c.mentee_id) for c in (*pairs, *options))])

    def view(c: Compatibility) -> Suggestion:
        return Suggestion(c, people[c.mentor_id], people[c.mentee_id])

    return SuggestionsView(program, [view(c) for c in pairs], [view(c) for c in options])


async def _view(uow: CommunityUnitOfWork, m: Mentorship, viewer_id: str | None) -> MentorshipView:
    mentor = await uow.members.get(m.tenant, m.mentor_id) if m.mentor_id != ERASED else None
    mentee = await uow.members.get(m.tenant, m.mentee_id) if m.mentee_id != ERASED else None
    other = m.contact_for(viewer_id)
    contact = (mentee if other == m.mentee_id else mentor) if other and other != ERASED else None
    return MentorshipView(m, viewer_id, mentor.first_name if mentor else "", mentee.first_name if mentee else "",
                          contact)


async def confirm_match(cmd: ConfirmMatch, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> MentorshipView:
    """A manager confirms a pair, or a mentee of a self-selected program picks a mentor. Both
    places are taken in the same transaction, each conditional on the participant's version."""
    async with uow:
        program = await _program(uow, cmd.tenant, cmd.program_id, cmd.staff)
        if cmd.staff:
            mentee_id = cmd.mentee_id
        elif program.matching is Matching.MENTEE:
            mentee_id = cmd.viewer_id
        else:
            raise StaffMatches("in this program a manager confirms the pairs")
        if not mentee_id:
            raise ParticipantNotFound("name the mentee")
        program.require_open()
        mentor = await uow.participants.get(cmd.tenant, program.id, cmd.mentor_id)
        mentee = await uow.participants.get(cmd.tenant, program.id, mentee_id)
        if mentor is None or mentee is None:
            raise ParticipantNotFound("both must be enrolled in this program")
        if (cmd.mentor_id, mentee_id) in _taken(await uow.mentorships.of_program(cmd.tenant, program.id, 10_000)):
            raise MentoringConflict("these two were already paired in this program")
        mentorship = Mentorship.match(program=program, mentor=mentor, mentee=mentee,
                                      matched_by="manager" if cmd.staff else "mentee", now=clock())
        await uow.participants.save(mentor)
        await uow.participants.save(mentee)
        await uow.mentorships.add(mentorship)
        await uow.commit()
        return await _view(uow, mentorship, cmd.viewer_id)


async def _load(uow: CommunityUnitOfWork, tenant: str, mentorship_id: str, viewer: str | None,
                staff: bool) -> Mentorship:
    m = await uow.mentorships.get(tenant, mentorship_id)
    if m is None or not m.visible_to(viewer, staff):
        raise MentorshipNotFound(mentorship_id)  # someone else's: "not found", as everywhere
    return m


async def _release(uow: CommunityUnitOfWork, m: Mentorship) -> None:
    for member_id in (m.mentor_id, m.mentee_id):
        p = await uow.participants.get(m.tenant, m.program_id, member_id)
        if p is not None:
            p.release()
            await uow.participants.save(p)


async def respond_to_match(cmd: RespondToMatch, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> MentorshipView:
    async with uow:
        m = await _load(uow, cmd.tenant, cmd.mentorship_id, cmd.member_id, False)
        if m.respond(cmd.member_id, cmd.accept, clock()):
            await _release(uow, m)
        await uow.mentorships.save(m)
        await uow.commit()
        return await _view(uow, m, cmd.member_id)


async def check_in(cmd: RecordCheckIn, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> MentorshipView:
    async with uow:
        m = await _load(uow, cmd.tenant, cmd.mentorship_id, cmd.member_id, False)
        m.check_in(cmd.member_id, cmd.on, cmd.note, clock())
        await uow.mentorships.save(m)
        await uow.commit()
        return await _view(uow, m, cmd.member_id)


async def close_mentorship(cmd: CloseMentorship, uow: CommunityUnitOfWork, clock: Clock = utcnow) -> MentorshipView:
    async with uow:
        m = await _load(uow, cmd.tenant, cmd.mentorship_id, cmd.member_id, False)
        if m.close(cmd.member_id, cmd.outcome, cmd.satisfaction, cmd.goals_met, cmd.comment, clock()):
            await _release(uow, m)
        await uow.mentorships.save(m)
        await uow.commit()
        return await _view(uow, m, cmd.member_id)


async def list_mentorships(query: ListMentorships, uow: CommunityUnitOfWork) -> list[MentorshipView]:
    async with uow:
        if query.scope == "all" and query.staff:
            found = await (uow.mentorships.of_program(query.tenant, query.program_id, query.limit)
                           if query.program_id else uow.mentorships.of_tenant(query.tenant, query.limit))
        elif query.viewer_id is None:
            found = []
        else:
            found = await uow.mentorships.of_member(query.tenant, query.viewer_id, query.limit)
        found = [m for m in found if (query.status is None or m.status.value == query.status)
                 and (query.program_id is None or m.program_id == query.program_id)]
        return [await _view(uow, m, query.viewer_id) for m in found]


async def get_mentorship(query: GetMentorship, uow: CommunityUnitOfWork) -> MentorshipView:
    async with uow:
        m = await _load(uow, query.tenant, query.mentorship_id, query.viewer_id, query.staff)
        return await _view(uow, m, query.viewer_id)


async def mentoring_figures(query: MentoringFigures, uow: CommunityUnitOfWork) -> FiguresView:
    async with uow:
        rels = await uow.mentorships.of_tenant(query.tenant, 10_000)
        names = {p.id: f"{p.name_fr} · {p.name_en}" for p in await uow.programs.of_tenant(query.tenant, 1000)}
    if query.program_id is not None:
        rels = [r for r in rels if r.program_id == query.program_id]
    if query.cohort_year is not None:
        rels = [r for r in rels if r.mentee_cohort_year == query.cohort_year]
    group = "all" if query.program_id is None and query.cohort_year is None else "selection"
    return FiguresView(mf.row(group, rels), mf.by_program(rels, names), mf.by_cohort(rels))


# -- erasure ------------------------------------------------------------------------------------

async def erase_member(uow: CommunityUnitOfWork, tenant: str, member_id: str) -> tuple[dict[str, int], dict[str, int]]:
    """The member's enrolments go; their mentorships stay for the figures under a pseudonym,
    without check-in notes nor survey comments; a running one is abandoned and the other side's
    place freed."""
    for m in await uow.mentorships.of_member(tenant, member_id, 10_000):
        if m.status in OPEN_STATUSES:
            other = m.mentee_id if m.mentor_id == member_id else m.mentor_id
            p = await uow.participants.get(tenant, m.program_id, other)
            if p is not None:
                p.release()
                await uow.participants.save(p)
    erased = {"mentoring_participants": await uow.participants.erase(tenant, member_id)}
    return erased, await uow.mentorships.erase(tenant, member_id)
