"""Mutual aid (*entraide*): help requests, helpers, and the routing between them.

Pure model: no I/O. The service layer loads the request, the candidate helpers and the
requester's recent activity, and asks the model what to do.

Lifecycle of a request: `open` (nobody to route to yet) → `offered` (pending offers) →
`accepted` (one helper said yes; contacts revealed) → `met` → `outcome_reported`; or
`declined` (every helper it could reach declined) / `expired` (nobody accepted in time).

Routing by capacity and fairness: a helper is offered at most `monthly_capacity` requests
per calendar month; among helpers with room left, the most relevant to the request's target
come first, then the least loaded (offers this month / capacity), then the one asked longest
ago — so the same senior alumni are not asked again and again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from servicekit.domain import AggregateRoot, Conflict, DomainError, DomainEvent, Forbidden, new_id

TOPICS = frozenset({"career_change", "relocation", "company", "industry", "first_job", "other"})
OUTCOMES = frozenset({"helped", "partly", "not_helped"})


class Status(StrEnum):
    OPEN = "open"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    MET = "met"
    OUTCOME_REPORTED = "outcome_reported"
    DECLINED = "declined"
    EXPIRED = "expired"


ROUTABLE = frozenset({Status.OPEN, Status.OFFERED})


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class InvalidHelpRequest(DomainError):
    code = "invalid-help-request"
    title = "Invalid help request"


class TooManyHelpRequests(DomainError):
    status = 429
    code = "help-request-rate-limit"
    title = "Too many help requests"


class HelpRequestClosed(Conflict):
    code = "help-request-closed"
    title = "This help request does not accept that any more"


class NotYourRequest(Forbidden):
    code = "not-your-help-request"
    title = "Only the requester or the helper may do this"


@dataclass(frozen=True)
class Routing:
    """The service's tunables (settings), given to the model."""

    helpers_per_round: int = 2
    nudge_after: timedelta = timedelta(days=7)  # silent this long: the helper is reminded (`help_nudged`)
    reroute_after_nudge: timedelta = timedelta(days=3)  # still silent this long after: re-routed
    max_rounds: int = 3
    expire_after: timedelta = timedelta(days=30)
    max_requests_per_week: int = 3
    max_open_requests: int = 2


@dataclass(frozen=True)
class Target:
    sector: str = ""
    city: str = ""
    employer: str = ""
    cohort_year: int | None = None


def fold(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass
class Helper:
    """A member who opted in to help (their own switch, topics and monthly capacity)."""

    member_id: str
    tenant: str
    topics: tuple[str, ...]
    monthly_capacity: int
    active: bool
    sector: str = ""
    city: str = ""
    employer: str = ""
    cohort_year: int | None = None
    offers_month: str = ""  # "YYYY-MM" the counter below counts
    offers_in_month: int = 0
    last_offered_at: datetime | None = None
    updated_at: datetime | None = None

    def load(self, now: datetime) -> int:
        return self.offers_in_month if self.offers_month == month_of(now) else 0

    def has_room(self, now: datetime) -> bool:
        return self.active and self.load(now) < self.monthly_capacity

    def near_capacity(self, now: datetime) -> bool:
        return self.active and self.load(now) >= 0.8 * self.monthly_capacity

    def relevance(self, target: Target) -> int:
        score = 0
        if target.sector and fold(target.sector) == fold(self.sector):
            score += 1
        if target.city and fold(target.city) == fold(self.city):
            score += 1
        if target.employer and fold(target.employer) == fold(self.employer):
            score += 1
        if target.cohort_year is not None and target.cohort_year == self.cohort_year:
            score += 1
        return score

    def count_offer(self, now: datetime) -> None:
        month = month_of(now)
        self.offers_in_month = (self.offers_in_month if self.offers_month == month else 0) + 1
        self.offers_month = month
        self.last_offered_at = now


def month_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def rank_helpers(candidates: list[Helper], topic: str, target: Target, now: datetime,
                 exclude: set[str]) -> list[Helper]:
    """Helpers who may be offered this request, best first (see the module docstring)."""
    eligible = [h for h in candidates if topic in h.topics and h.has_room(now) and h.member_id not in exclude]
    oldest = datetime.min.replace(tzinfo=now.tzinfo)
    return sorted(eligible, key=lambda h: (-h.relevance(target), h.load(now) / h.monthly_capacity,
                                           h.last_offered_at or oldest, h.member_id))


@dataclass
class Offer:
    helper_id: str
    round: int
    offered_at: datetime
    status: OfferStatus = OfferStatus.PENDING
    answered_at: datetime | None = None
    nudged_at: datetime | None = None


@dataclass(frozen=True)
class HelpRequested(DomainEvent):
    request_id: str
    requester_id: str
    topic: str
    target_sector: str
    target_city: str
    at: datetime


@dataclass(frozen=True)
class HelpOffered(DomainEvent):
    request_id: str
    helper_id: str
    topic: str
    round: int
    at: datetime


@dataclass(frozen=True)
class HelpNudged(DomainEvent):
    """A helper has not answered an offer within the nudge delay: remind them before the request
    moves on to someone else."""

    request_id: str
    helper_id: str
    topic: str
    round: int
    offered_at: datetime
    respond_by: datetime
    at: datetime


@dataclass(frozen=True)
class HelpAccepted(DomainEvent):
    request_id: str
    requester_id: str
    helper_id: str
    at: datetime


@dataclass(frozen=True)
class HelpOutcomeReported(DomainEvent):
    request_id: str
    requester_id: str
    helper_id: str
    outcome: str
    at: datetime


def check_rate(recent: list[datetime], open_count: int, now: datetime, routing: Routing) -> None:
    """No spam through the platform: a few requests a week, a couple open at once."""
    if open_count >= routing.max_open_requests:
        raise TooManyHelpRequests(f"you already have {open_count} requests waiting for a helper; "
                                  "close one or wait for an answer")
    week = [t for t in recent if now - t < timedelta(days=7)]
    if len(week) >= routing.max_requests_per_week:
        raise TooManyHelpRequests(f"at most {routing.max_requests_per_week} help requests per 7 days")


@dataclass(eq=False)
class HelpRequest(AggregateRoot):
    requester_id: str = ""
    requester_cohort_year: int | None = None
    requester_program: str = ""
    topic: str = "other"
    summary: str = ""
    target: Target = field(default_factory=Target)
    status: Status = Status.OPEN
    round: int = 0
    offers: list[Offer] = field(default_factory=list)
    created_at: datetime | None = None
    next_check_at: datetime | None = None  # when the scheduler looks at it again (None: never)
    round_started_at: datetime | None = None
    first_answer_at: datetime | None = None
    accepted_at: datetime | None = None
    met_at: datetime | None = None
    outcome: str | None = None
    outcome_at: datetime | None = None
    helper_id: str | None = None

    @classmethod
    def ask(cls, *, tenant: str, requester_id: str, requester_cohort_year: int | None, topic: str, summary: str,
            target: Target, now: datetime, requester_program: str = "") -> HelpRequest:
        if topic not in TOPICS:
            raise InvalidHelpRequest(f"unknown topic {topic!r}")
        if not summary.strip():
            raise InvalidHelpRequest("say in a few words what you need")
        request = cls(id=new_id(), tenant=tenant, requester_id=requester_id,
                      requester_cohort_year=requester_cohort_year, requester_program=requester_program, topic=topic,
                      summary=summary, target=target, created_at=now, next_check_at=now)
        request.record(HelpRequested(request.id, requester_id, topic, target.sector, target.city, now))
        return request

    # -- routing -------------------------------------------------------------------------

    @property
    def asked(self) -> set[str]:
        return {o.helper_id for o in self.offers}

    def pending(self) -> list[Offer]:
        return [o for o in self.offers if o.status is OfferStatus.PENDING]

    def route(self, candidates: list[Helper], now: datetime, routing: Routing) -> list[Helper]:
        """Offer the request to the next helpers (a new round). Returns the helpers offered
        (their monthly counters were counted: the caller saves them)."""
        if self.status not in ROUTABLE:
            return []
        chosen = [h for h in rank_helpers(candidates, self.topic, self.target, now, self.asked | {self.requester_id})
                  if h.tenant == self.tenant][:routing.helpers_per_round]
        if chosen:
            self.round += 1
            self.round_started_at = now
            for h in chosen:
                h.count_offer(now)
                self.offers.append(Offer(h.member_id, self.round, now))
                self.record(HelpOffered(self.id, h.member_id, self.topic, self.round, now))
            self.status = Status.OFFERED
        elif not self.pending():
            self.status = Status.OPEN  # nobody (left) to ask: retried daily until it expires
        self._schedule(now, routing)
        return chosen

    def _schedule(self, now: datetime, routing: Routing) -> None:
        assert self.created_at is not None
        if self.status not in ROUTABLE:
            self.next_check_at = None
            return
        expiry = self.created_at + routing.expire_after
        if self.status is Status.OFFERED and self.round_started_at is not None:
            nudged = any(o.nudged_at is not None for o in self.pending())
            self.next_check_at = min(self.round_started_at + routing.nudge_after
                                     + (routing.reroute_after_nudge if nudged else timedelta(0)), expiry)
        else:  # open: try again in a day (a helper may opt in or get room)
            self.next_check_at = min(now + timedelta(days=1), expiry)

    def due(self, now: datetime, routing: Routing) -> str | None:
        """What the scheduler should do now: "expire", "remind", "reroute", "retry" or None."""
        if self.status not in ROUTABLE or self.created_at is None:
            return None
        if now >= self.created_at + routing.expire_after:
            return "expire"
        if self.status is Status.OFFERED and self.round_started_at is not None \
                and now >= self.round_started_at + routing.nudge_after:
            if any(o.nudged_at is None for o in self.pending()):
                return "remind"  # the silent helpers hear about it before the request moves on
            if now >= self.round_started_at + routing.nudge_after + routing.reroute_after_nudge:
                return "reroute" if self.round < routing.max_rounds else "expire"
            return None
        if self.status is Status.OPEN and self.next_check_at is not None and now >= self.next_check_at:
            return "retry"
        return None

    def remind(self, now: datetime, routing: Routing) -> list[str]:
        """No answer within the nudge delay: each silent helper is nudged once (`help_nudged`,
        which notifications turns into an email and an in-app message); the request waits
        `reroute_after_nudge` more before it moves on. Returns the helpers nudged."""
        nudged: list[str] = []
        for o in self.pending():
            if o.nudged_at is None:
                o.nudged_at = now
                nudged.append(o.helper_id)
                self.record(HelpNudged(self.id, o.helper_id, self.topic, o.round, o.offered_at,
                                       now + routing.reroute_after_nudge, now))
        self._schedule(now, routing)
        return nudged

    def nudge(self, candidates: list[Helper], now: datetime, routing: Routing) -> list[Helper]:
        """Still no answer after the reminder: the silent offers lapse and the request goes to
        the next helpers."""
        for o in self.pending():
            o.status, o.answered_at = OfferStatus.EXPIRED, None
        self.version += 1
        return self.route(candidates, now, routing)

    def expire(self, now: datetime) -> None:
        if self.status not in ROUTABLE:
            return
        for o in self.pending():
            o.status = OfferStatus.EXPIRED
        self.status = Status.EXPIRED
        self.next_check_at = None
        self.version += 1

    # -- answers ---------------------------------------------------------------------------

    def _offer_to(self, helper_id: str) -> Offer:
        for o in self.offers:
            if o.helper_id == helper_id and o.status is OfferStatus.PENDING:
                return o
        raise HelpRequestClosed("this request is not (or no longer) waiting for your answer")

    def accept(self, helper_id: str, now: datetime) -> None:
        if self.status is not Status.OFFERED:
            raise HelpRequestClosed(f"the request is {self.status.value}")
        offer = self._offer_to(helper_id)
        offer.status, offer.answered_at = OfferStatus.ACCEPTED, now
        for other in self.pending():
            other.status, other.answered_at = OfferStatus.WITHDRAWN, now
        self.first_answer_at = self.first_answer_at or now
        self.status, self.accepted_at, self.helper_id, self.next_check_at = Status.ACCEPTED, now, helper_id, None
        self.record(HelpAccepted(self.id, self.requester_id, helper_id, now))

    def decline(self, helper_id: str, candidates: list[Helper], now: datetime, routing: Routing) -> list[Helper]:
        """A helper says no: the request goes to the next helper at once (while rounds remain)."""
        if self.status is not Status.OFFERED:
            raise HelpRequestClosed(f"the request is {self.status.value}")
        offer = self._offer_to(helper_id)
        offer.status, offer.answered_at = OfferStatus.DECLINED, now
        self.first_answer_at = self.first_answer_at or now
        self.version += 1
        if self.pending():
            return []
        chosen = self.route(candidates, now, routing) if self.round < routing.max_rounds else []
        if not chosen:  # every helper it could reach said no
            self.status, self.next_check_at = Status.DECLINED, None
        return chosen

    def mark_met(self, who: str, staff: bool, now: datetime) -> None:
        if not staff and who not in (self.requester_id, self.helper_id):
            raise NotYourRequest("only the requester or the helper may say you met")
        if self.status is not Status.ACCEPTED:
            raise HelpRequestClosed(f"the request is {self.status.value}, not accepted")
        self.status, self.met_at = Status.MET, now
        self.version += 1

    def report_outcome(self, who: str, outcome: str, now: datetime) -> None:
        if who != self.requester_id:
            raise NotYourRequest("only the requester reports the outcome")
        if outcome not in OUTCOMES:
            raise InvalidHelpRequest(f"unknown outcome {outcome!r}")
        if self.status not in (Status.ACCEPTED, Status.MET):
            raise HelpRequestClosed(f"the request is {self.status.value}: nothing to report yet")
        assert self.helper_id is not None
        self.met_at = self.met_at or now
        self.status, self.outcome, self.outcome_at = Status.OUTCOME_REPORTED, outcome, now
        self.record(HelpOutcomeReported(self.id, self.requester_id, self.helper_id, outcome, now))

    # -- visibility ------------------------------------------------------------------------

    def visible_to(self, member_id: str | None, staff: bool) -> bool:
        return staff or member_id == self.requester_id or any(o.helper_id == member_id for o in self.offers)

    def contact_for(self, member_id: str | None) -> str | None:
        """Whose contact `member_id` may see: the other party, only once accepted."""
        if self.helper_id is None or self.status not in (Status.ACCEPTED, Status.MET, Status.OUTCOME_REPORTED):
            return None
        if member_id == self.requester_id:
            return self.helper_id
        if member_id == self.helper_id:
            return self.requester_id
        return None
