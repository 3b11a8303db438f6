"""Mentoring programs over request/reply: each use case declared once (appended to `USE_CASES`)."""

from __future__ import annotations

from typing import Any

from alumni_contracts import naming
from alumni_contracts.community import mentoring as mc
from alumni_contracts.community.v1 import MentoringTopic
from alumni_contracts.rpc import ALUMNI_AND_STAFF, STAFF, Role
from community_service.domain import mentoring_figures as mf
from community_service.domain.figures import MIN_GROUP_SIZE
from community_service.domain.mentoring import Participant, Reason
from community_service.service_layer import mentoring as s
from servicekit.authz import MemberNotLinked, Ownership
from servicekit.bus import Caller, UseCase

ALUMNI = frozenset({Role.ALUMNUS})


def _cmd(name: str) -> str:
    return naming.command_subject("community", name)


def _qry(name: str) -> str:
    return naming.query_subject("community", name)


def participant_out(p: Participant) -> mc.ParticipantOut:
    return mc.ParticipantOut(member_id=p.member_id, role=mc.ParticipantRole(p.role.value),
                             topics=[MentoringTopic(t) for t in p.topics], capacity=p.capacity, load=p.load,
                             availability=p.availability, languages=list(p.languages), sector=p.sector, city=p.city,
                             enrolled_at=p.enrolled_at)


def program_out(v: s.ProgramView) -> mc.ProgramOut:
    p = v.program
    assert p.created_at is not None
    return mc.ProgramOut(program_id=p.id, name_fr=p.name_fr, name_en=p.name_en, description=p.description,
                         starts_on=p.starts_on, ends_on=p.ends_on, matching=mc.MatchingMode(p.matching.value),
                         max_mentees_per_mentor=p.max_mentees_per_mentor, status=mc.ProgramStatus(p.status.value),
                         created_at=p.created_at, mentors=v.mentors, mentees=v.mentees,
                         my_enrolment=participant_out(v.mine) if v.mine else None)


def _reasons(reasons: tuple[Reason, ...]) -> list[mc.ReasonOut]:
    return [mc.ReasonOut(criterion=r.criterion, points=r.points, detail=r.detail) for r in reasons]


def _person(p: s.Person) -> mc.PersonOut:
    q = p.participant
    return mc.PersonOut(member_id=q.member_id, first_name=p.first_name, cohort_year=q.cohort_year,
                        topics=[MentoringTopic(t) for t in q.topics], sector=q.sector, city=q.city,
                        languages=list(q.languages), availability=q.availability,
                        room=q.room if q.role.value == "mentor" else None)


def _suggestion(x: s.Suggestion) -> mc.SuggestionOut:
    return mc.SuggestionOut(mentor=_person(x.mentor), mentee=_person(x.mentee), score=x.fit.score,
                            reasons=_reasons(x.fit.reasons))


def suggestions_out(v: s.SuggestionsView) -> mc.Suggestions:
    return mc.Suggestions(program_id=v.program.id, matching=mc.MatchingMode(v.program.matching.value),
                          plan=[_suggestion(x) for x in v.plan], options=[_suggestion(x) for x in v.options])


def mentorship_out(v: s.MentorshipView) -> mc.MentorshipOut:
    m = v.mentorship
    role = m.role_of(v.viewer_id)
    contact = None if v.contact is None else mc.ContactOut(
        member_id=v.contact.member_id, first_name=v.contact.first_name, last_name=v.contact.last_name,
        email=v.contact.email)
    assert m.matched_at is not None
    return mc.MentorshipOut(
        mentorship_id=m.id, program_id=m.program_id, mentor_id=m.mentor_id, mentee_id=m.mentee_id,
        mentor_first_name=v.mentor_first_name, mentee_first_name=v.mentee_first_name,
        my_role=mc.ParticipantRole(role.value) if role else None, status=mc.MentorshipStatus(m.status.value),
        matched_by=m.matched_by, score=m.score, reasons=_reasons(m.reasons), matched_at=m.matched_at,
        activated_at=m.activated_at, closed_at=m.closed_at,
        check_ins=[mc.CheckInOut(author_id=c.author_id, on=c.on, note=c.note, recorded_at=c.recorded_at)
                   for c in m.check_ins],
        surveys=[mc.SurveyOut(role=mc.ParticipantRole(x.role.value), satisfaction=x.satisfaction,
                              goals_met=x.goals_met, comment=x.comment, at=x.at) for x in m.surveys],
        contact=contact)


def _row(r: mf.MentoringRow) -> mc.MentoringFigureRow:
    return mc.MentoringFigureRow(group=r.group, label=r.label, suppressed=r.suppressed, relationships=r.relationships,
                                 by_status=r.by_status, completion_rate=r.completion_rate,
                                 mentees_per_mentor=r.mentees_per_mentor, mean_satisfaction=r.mean_satisfaction,
                                 goals_met_rate=r.goals_met_rate)


def figures_out(v: s.FiguresView) -> mc.MentoringFigures:
    return mc.MentoringFigures(min_group_size=MIN_GROUP_SIZE, total=_row(v.total),
                               by_program=[_row(r) for r in v.by_program], by_cohort=[_row(r) for r in v.by_cohort])


def _member(who: Caller) -> str:
    if who.own_member_id is None:
        raise MemberNotLinked("this account is not linked to a member")
    return who.own_member_id


def _enrol(req: mc.Enrol, who: Caller) -> s.Enrol:
    return s.Enrol(tenant=who.tenant, program_id=req.program_id, member_id=who.target, role=req.role.value,
                   topics=tuple(t.value for t in req.topics), capacity=req.capacity, availability=req.availability,
                   languages=tuple(req.languages), sector=req.sector, city=req.city)


def _mentorships(req: mc.ListMentorships, who: Caller) -> s.ListMentorships:
    return s.ListMentorships(tenant=who.tenant, viewer_id=who.own_member_id, staff=who.staff, scope=req.scope.value,
                             program_id=req.program_id, status=req.status.value if req.status else None,
                             limit=req.limit)


MENTORING_USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=_cmd(mc.CREATE_PROGRAM), request=mc.CreateProgram, roles=STAFF, idempotent=True,
            message=lambda req, who: s.CreateProgram(
                tenant=who.tenant, name_fr=req.name_fr, name_en=req.name_en, description=req.description,
                starts_on=req.starts_on, ends_on=req.ends_on, matching=req.matching.value,
                max_mentees_per_mentor=req.max_mentees_per_mentor),
            reply=program_out, description="Create a mentoring program (draft)."),
    UseCase(subject=_cmd(mc.PROGRAM_ACTION), request=mc.ProgramAction, roles=STAFF, idempotent=True,
            message=lambda req, who: s.ProgramAction(tenant=who.tenant, program_id=req.program_id,
                                                     action=req.action),
            reply=program_out, description="Open (enrolment and matching) or close a program."),
    UseCase(subject=_qry(mc.LIST_PROGRAMS), request=mc.ProgramsQuery, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: s.ListPrograms(tenant=who.tenant, viewer_id=who.own_member_id, staff=who.staff),
            reply=lambda found: mc.ProgramList(items=[program_out(v) for v in found]),
            description="Programs (alumni: open and closed ones, with their own enrolment; staff: all)."),
    UseCase(subject=_qry(mc.GET_PROGRAM), request=mc.ProgramRef, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: s.GetProgram(tenant=who.tenant, program_id=req.program_id,
                                                  viewer_id=who.own_member_id, staff=who.staff),
            reply=program_out, description="One program with the caller's enrolment."),
    UseCase(subject=_cmd(mc.ENROL), request=mc.Enrol, roles=ALUMNI_AND_STAFF, ownership=Ownership.SELF,
            idempotent=True, message=_enrol, reply=program_out,
            description="Enrol as mentor or mentee with a profile (or update it)."),
    UseCase(subject=_qry(mc.SUGGEST_MATCHES), request=mc.SuggestionsQuery, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: s.SuggestMatches(tenant=who.tenant, program_id=req.program_id,
                                                      viewer_id=who.own_member_id, staff=who.staff, limit=req.limit),
            reply=suggestions_out,
            description="Suggested pairs with their explained score (staff: the plan; a mentee: their options)."),
    UseCase(subject=_cmd(mc.CONFIRM_MATCH), request=mc.ConfirmMatch, roles=ALUMNI_AND_STAFF, idempotent=True,
            message=lambda req, who: s.ConfirmMatch(tenant=who.tenant, program_id=req.program_id,
                                                    mentor_id=req.mentor_id, mentee_id=req.mentee_id,
                                                    viewer_id=who.own_member_id, staff=who.staff),
            reply=mentorship_out,
            description="Staff confirm a pair; a mentee picks a mentor in a self-selected program."),
    UseCase(subject=_cmd(mc.RESPOND_TO_MATCH), request=mc.RespondToMatch, roles=ALUMNI, idempotent=True,
            message=lambda req, who: s.RespondToMatch(tenant=who.tenant, mentorship_id=req.mentorship_id,
                                                      member_id=_member(who), accept=req.accept),
            reply=mentorship_out, description="The mentor accepts (active, contacts revealed) or declines."),
    UseCase(subject=_cmd(mc.CHECK_IN), request=mc.CheckIn, roles=ALUMNI, idempotent=True,
            message=lambda req, who: s.RecordCheckIn(tenant=who.tenant, mentorship_id=req.mentorship_id,
                                                     member_id=_member(who), on=req.on, note=req.note),
            reply=mentorship_out, description="A dated note by either side of an active mentorship."),
    UseCase(subject=_cmd(mc.CLOSE_MENTORSHIP), request=mc.CloseMentorship, roles=ALUMNI, idempotent=True,
            message=lambda req, who: s.CloseMentorship(
                tenant=who.tenant, mentorship_id=req.mentorship_id, member_id=_member(who),
                outcome=req.outcome.value, satisfaction=req.satisfaction, goals_met=req.goals_met,
                comment=req.comment),
            reply=mentorship_out, description="Close with the closing survey (or add one's survey once closed)."),
    UseCase(subject=_qry(mc.LIST_MENTORSHIPS), request=mc.ListMentorships, roles=ALUMNI_AND_STAFF,
            message=_mentorships, reply=lambda found: mc.MentorshipList(items=[mentorship_out(v) for v in found]),
            description="My mentorships (either side), or (staff) the tenant's or a program's."),
    UseCase(subject=_qry(mc.GET_MENTORSHIP), request=mc.MentorshipRef, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: s.GetMentorship(tenant=who.tenant, mentorship_id=req.mentorship_id,
                                                     viewer_id=who.own_member_id, staff=who.staff),
            reply=mentorship_out, description="One mentorship (its two sides and staff)."),
    UseCase(subject=_qry(mc.MENTORING_FIGURES), request=mc.FiguresQuery, roles=STAFF,
            message=lambda req, who: s.MentoringFigures(tenant=who.tenant, program_id=req.program_id,
                                                        cohort_year=req.cohort_year),
            reply=figures_out, description="Mentoring outcome figures (groups under 5 suppressed)."),
]
