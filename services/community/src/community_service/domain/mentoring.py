"""Mentoring programs: programs, participants, the explainable compatibility score, matching
and the mentorship lifecycle. Pure model: no I/O.

A manager runs a program (draft → open → closed) whose matching is confirmed by a manager or
self-selected by mentees. Alumni enrol as mentor (with a capacity, at most the program's
`max_mentees_per_mentor`) or mentee (one mentorship at a time). Suggestions rank mentors for a
mentee by a **compatibility score** whose every point has a reason (shared topics, sector,
city, a common language, capacity left); a pair without a common language is never suggested.
`plan` proposes one mentor per unmatched mentee over a whole program, best pairs first, and
never beyond a mentor's room — the same input always gives the same plan.

A mentorship goes `pending` (matched, the mentor has not accepted yet) → `active` (contacts
revealed to both sides) → `completed`; or `abandoned` (declined by the mentor while pending,
or given up by either side). Check-ins are dated notes by either side while active; closing
takes a survey (satisfaction 1–5, goals met, comment), and the other side may add theirs later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from community_service.domain.helping import fold
from servicekit.domain import AggregateRoot, Conflict, DomainError, DomainEvent, Forbidden, new_id

ERASED = "erased"  # the pseudonym of an erased member in the mentorships kept for the figures
TOPICS = frozenset({"first_job", "career_change", "industry", "company", "relocation", "entrepreneurship",
                    "leadership", "networking", "other"})

# Points of each criterion (the explanation lists them; README "Mentoring").
TOPIC_POINTS = 3.0  # per shared topic
SECTOR_POINTS = 2.0
CITY_POINTS = 1.0
LANGUAGE_POINTS = 1.0  # a common language is required; it also counts
CAPACITY_POINTS = 1.0  # × the share of the mentor's capacity still free (spreads mentees out)


class ProgramStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Matching(StrEnum):
    MANAGER = "manager"
    MENTEE = "mentee"


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"


class Status(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


OPEN_STATUSES = frozenset({Status.PENDING, Status.ACTIVE})
CLOSED_STATUSES = frozenset({Status.COMPLETED, Status.ABANDONED})


class InvalidMentoring(DomainError):
    code = "invalid-mentoring"
    title = "Invalid mentoring request"


class ProgramNotOpen(Conflict):
    code = "mentoring-program-not-open"
    title = "This mentoring program is not open"


class MentoringConflict(Conflict):
    code = "mentoring-conflict"
    title = "This mentoring action is not possible now"


class NoRoomLeft(Conflict):
    code = "mentoring-capacity"
    title = "No room left"


class NotYourMentorship(Forbidden):
    code = "not-your-mentorship"
    title = "Only the mentor or the mentee may do this"


@dataclass(eq=False)
class Program(AggregateRoot):
    name_fr: str = ""
    name_en: str = ""
    description: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    matching: Matching = Matching.MANAGER
    max_mentees_per_mentor: int = 3
    status: ProgramStatus = ProgramStatus.DRAFT
    created_at: datetime | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None

    @classmethod
    def create(cls, *, tenant: str, name_fr: str, name_en: str, description: str, starts_on: date | None,
               ends_on: date | None, matching: str, max_mentees_per_mentor: int, now: datetime) -> Program:
        if not name_fr.strip() or not name_en.strip():
            raise InvalidMentoring("a program needs a French and an English name")
        if starts_on and ends_on and ends_on < starts_on:
            raise InvalidMentoring("the program ends before it starts")
        if not 1 <= max_mentees_per_mentor <= 10:
            raise InvalidMentoring("max_mentees_per_mentor is between 1 and 10")
        return cls(id=new_id(), tenant=tenant, name_fr=name_fr, name_en=name_en, description=description,
                   starts_on=starts_on, ends_on=ends_on, matching=Matching(matching),
                   max_mentees_per_mentor=max_mentees_per_mentor, created_at=now)

    def open(self, now: datetime) -> None:
        if self.status is ProgramStatus.CLOSED:
            raise MentoringConflict("a closed program does not reopen: create the next one")
        if self.status is ProgramStatus.DRAFT:
            self.status, self.opened_at = ProgramStatus.OPEN, now
            self.version += 1

    def close(self, now: datetime) -> None:
        if self.status is not ProgramStatus.CLOSED:
            self.status, self.closed_at = ProgramStatus.CLOSED, now
            self.version += 1

    def require_open(self) -> None:
        if self.status is not ProgramStatus.OPEN:
            raise ProgramNotOpen(f"the program is {self.status.value}")


@dataclass
class Participant:
    """A member enrolled in one program, as mentor or mentee (one role per program). `load`
    counts their pending and active mentorships there; saved conditionally on `version`, so two
    concurrent matches cannot both take a mentor's last place."""

    tenant: str
    program_id: str
    member_id: str
    role: Role
    topics: tuple[str, ...]
    capacity: int
    languages: tuple[str, ...]
    availability: str = ""
    sector: str = ""
    city: str = ""
    cohort_year: int | None = None
    cohort_program: str = ""
    load: int = 0
    version: int = 0
    enrolled_at: datetime | None = None

    @property
    def room(self) -> int:
        return max(self.capacity - self.load, 0)

    def update_profile(self, *, topics: tuple[str, ...], capacity: int, languages: tuple[str, ...],
                       availability: str, sector: str, city: str, program: Program) -> None:
        unknown = [t for t in topics if t not in TOPICS]
        if unknown or not topics:
            raise InvalidMentoring(f"unknown or missing topics: {unknown}")
        if not languages:
            raise InvalidMentoring("name at least one language")
        if self.role is Role.MENTEE:
            capacity = 1
        elif capacity > program.max_mentees_per_mentor:
            raise InvalidMentoring(f"this program allows at most {program.max_mentees_per_mentor} mentees per mentor")
        if capacity < self.load:
            raise NoRoomLeft(f"you already have {self.load} mentorships here: capacity cannot go below that")
        self.topics = tuple(dict.fromkeys(topics))
        self.languages = tuple(dict.fromkeys(lang.casefold() for lang in languages))
        self.capacity, self.availability, self.sector, self.city = capacity, availability, sector, city

    def take(self) -> None:
        if self.room <= 0:
            raise NoRoomLeft("this mentor has no room left" if self.role is Role.MENTOR
                             else "this mentee already has a mentor in this program")
        self.load += 1

    def release(self) -> None:
        self.load = max(self.load - 1, 0)


# -- the compatibility score --------------------------------------------------------------------

@dataclass(frozen=True)
class Reason:
    criterion: str  # topics / sector / city / language / capacity
    points: float
    detail: str


@dataclass(frozen=True)
class Compatibility:
    mentor_id: str
    mentee_id: str
    score: float
    reasons: tuple[Reason, ...]


def compatibility(mentor: Participant, mentee: Participant) -> Compatibility | None:
    """The score of a pair with its reasons, or None when they cannot be paired (same person,
    no common language, or the mentor has no room)."""
    if mentor.member_id == mentee.member_id or mentor.room <= 0:
        return None
    languages = sorted(set(mentor.languages) & set(mentee.languages))
    if not languages:
        return None
    reasons: list[Reason] = []
    topics = [t for t in mentee.topics if t in mentor.topics]
    if topics:
        reasons.append(Reason("topics", TOPIC_POINTS * len(topics), ", ".join(topics)))
    if mentee.sector and fold(mentee.sector) == fold(mentor.sector):
        reasons.append(Reason("sector", SECTOR_POINTS, mentor.sector))
    if mentee.city and fold(mentee.city) == fold(mentor.city):
        reasons.append(Reason("city", CITY_POINTS, mentor.city))
    reasons.append(Reason("language", LANGUAGE_POINTS, ", ".join(languages)))
    share = mentor.room / mentor.capacity if mentor.capacity else 0.0
    reasons.append(Reason("capacity", round(CAPACITY_POINTS * share, 2), f"{mentor.room}/{mentor.capacity}"))
    return Compatibility(mentor.member_id, mentee.member_id, round(sum(r.points for r in reasons), 2), tuple(reasons))


def shared_topics(c: Compatibility) -> list[str]:
    found = next((r.detail for r in c.reasons if r.criterion == "topics"), "")
    return found.split(", ") if found else []


def _order(c: Compatibility) -> tuple[float, str, str]:
    return (-c.score, c.mentee_id, c.mentor_id)


def suggest(mentee: Participant, mentors: list[Participant], taken: set[tuple[str, str]],
            limit: int = 5) -> list[Compatibility]:
    """The mentors best suited to one mentee, best first (ties: by member id). `taken`: the
    (mentor, mentee) pairs that already exist in the program (never suggested again)."""
    found = [c for m in mentors if m.role is Role.MENTOR and (m.member_id, mentee.member_id) not in taken
             and (c := compatibility(m, mentee)) is not None]
    return sorted(found, key=_order)[:limit]


def plan(mentors: list[Participant], mentees: list[Participant], taken: set[tuple[str, str]]) -> list[Compatibility]:
    """One proposed mentor per mentee who has room (no mentorship yet), best pairs first over
    the whole program (greedy on the score), never more mentees for a mentor than their room.
    Deterministic: the order of the inputs does not matter."""
    room = {m.member_id: m.room for m in mentors if m.role is Role.MENTOR}
    pairs = sorted((c for e in mentees if e.role is Role.MENTEE and e.room > 0 for m in mentors
                    if m.role is Role.MENTOR and (m.member_id, e.member_id) not in taken
                    and (c := compatibility(m, e)) is not None), key=_order)
    chosen: list[Compatibility] = []
    matched: set[str] = set()
    for c in pairs:
        if c.mentee_id in matched or room[c.mentor_id] <= 0:
            continue
        chosen.append(c)
        matched.add(c.mentee_id)
        room[c.mentor_id] -= 1
    return chosen


# -- the mentorship -------------------------------------------------------------------------------

@dataclass
class CheckInNote:
    author_id: str
    on: date
    note: str
    recorded_at: datetime


@dataclass
class Survey:
    role: Role
    author_id: str
    satisfaction: int
    goals_met: bool
    comment: str
    at: datetime


@dataclass(frozen=True)
class MentorshipMatched(DomainEvent):
    mentorship_id: str
    program_id: str
    mentor_id: str
    mentee_id: str
    matched_by: str
    score: float
    shared_topics: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class MentorshipClosed(DomainEvent):
    mentorship_id: str
    program_id: str
    mentor_id: str
    mentee_id: str
    outcome: str
    check_ins: int
    at: datetime


MAX_CHECK_INS = 200


@dataclass(eq=False)
class Mentorship(AggregateRoot):
    program_id: str = ""
    mentor_id: str = ""
    mentee_id: str = ""
    matched_by: str = "manager"
    score: float = 0.0
    reasons: tuple[Reason, ...] = ()
    status: Status = Status.PENDING
    mentee_cohort_year: int | None = None
    mentee_cohort_program: str = ""
    matched_at: datetime | None = None
    activated_at: datetime | None = None
    closed_at: datetime | None = None
    check_ins: list[CheckInNote] = field(default_factory=list)
    surveys: list[Survey] = field(default_factory=list)

    @classmethod
    def match(cls, *, program: Program, mentor: Participant, mentee: Participant, matched_by: str,
              now: datetime) -> Mentorship:
        """Pair them (the caller saves both participants, whose load this takes)."""
        program.require_open()
        if mentor.role is not Role.MENTOR or mentee.role is not Role.MENTEE:
            raise InvalidMentoring("pair a mentor of the program with a mentee of the program")
        fit = compatibility(mentor, mentee)
        if fit is None:
            if mentor.room <= 0:
                raise NoRoomLeft("this mentor has no room left")
            raise InvalidMentoring("these two have no language in common")
        mentor.take()
        mentee.take()
        m = cls(id=new_id(), tenant=program.tenant, program_id=program.id, mentor_id=mentor.member_id,
                mentee_id=mentee.member_id, matched_by=matched_by, score=fit.score, reasons=fit.reasons,
                mentee_cohort_year=mentee.cohort_year, mentee_cohort_program=mentee.cohort_program, matched_at=now)
        m.record(MentorshipMatched(m.id, program.id, mentor.member_id, mentee.member_id, matched_by, fit.score,
                                   tuple(shared_topics(fit)), now))
        return m

    def role_of(self, member_id: str | None) -> Role | None:
        if member_id is not None and member_id == self.mentor_id:
            return Role.MENTOR
        if member_id is not None and member_id == self.mentee_id:
            return Role.MENTEE
        return None

    def visible_to(self, member_id: str | None, staff: bool) -> bool:
        return staff or self.role_of(member_id) is not None

    def contact_for(self, member_id: str | None) -> str | None:
        """The other side's member id, whose contact `member_id` may see: once active (and after)."""
        if self.activated_at is None:
            return None
        role = self.role_of(member_id)
        return self.mentee_id if role is Role.MENTOR else self.mentor_id if role is Role.MENTEE else None

    def respond(self, who: str, accept: bool, now: datetime) -> bool:
        """The mentor accepts (→ active) or declines (→ abandoned). True when it closed."""
        if self.role_of(who) is not Role.MENTOR:
            raise NotYourMentorship("only the mentor accepts or declines a match")
        if self.status is not Status.PENDING:
            raise MentoringConflict(f"the mentorship is {self.status.value}")
        if accept:
            self.status, self.activated_at = Status.ACTIVE, now
            self.version += 1
            return False
        self._close(Status.ABANDONED, now)
        return True

    def check_in(self, who: str, on: date, note: str, now: datetime) -> None:
        if self.role_of(who) is None:
            raise NotYourMentorship("only the mentor or the mentee records a check-in")
        if self.status is not Status.ACTIVE:
            raise MentoringConflict(f"check-ins are for active mentorships; this one is {self.status.value}")
        if not note.strip():
            raise InvalidMentoring("say in a few words what you did")
        if len(self.check_ins) >= MAX_CHECK_INS:
            raise MentoringConflict("too many check-ins")
        self.check_ins.append(CheckInNote(who, on, note, now))
        self.version += 1

    def close(self, who: str, outcome: str, satisfaction: int, goals_met: bool, comment: str,
              now: datetime) -> bool:
        """Close with the closer's survey; once closed, the other side may add theirs (no new
        event). True when this call closed it (the caller releases both places)."""
        role = self.role_of(who)
        if role is None:
            raise NotYourMentorship("only the mentor or the mentee closes a mentorship")
        if not 1 <= satisfaction <= 5:
            raise InvalidMentoring("satisfaction is between 1 and 5")
        target = Status(outcome)
        if target not in CLOSED_STATUSES:
            raise InvalidMentoring(f"unknown outcome {outcome!r}")
        if any(s.role is role for s in self.surveys):
            raise MentoringConflict("you already answered the closing survey")
        closing = self.status in OPEN_STATUSES
        if closing:
            if target is Status.COMPLETED and self.status is not Status.ACTIVE:
                raise MentoringConflict("a mentorship that never started cannot be completed: abandon it")
        elif target is not self.status:
            raise MentoringConflict(f"the mentorship is already {self.status.value}")
        self.surveys.append(Survey(role, who, satisfaction, goals_met, comment, now))
        if closing:
            self._close(target, now)
        else:
            self.version += 1
        return closing

    def _close(self, status: Status, now: datetime) -> None:
        self.status, self.closed_at = status, now
        self.record(MentorshipClosed(self.id, self.program_id, self.mentor_id, self.mentee_id, status.value,
                                     len(self.check_ins), now))
