"""The job and internship board: offers posted by alumni and partner recruiters, moderated by
managers, listed for 30 days after approval unless renewed (pure model, no I/O)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from servicekit.domain import AggregateRoot, Conflict, DomainError, DomainEvent, Forbidden, new_id

LISTED_FOR = timedelta(days=30)
CONTRACTS = frozenset({"permanent", "fixed_term", "internship", "apprenticeship", "freelance", "vie"})
REMOTE = frozenset({"onsite", "hybrid", "remote"})


class JobStatus(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class InvalidJob(DomainError):
    code = "invalid-job"
    title = "Invalid job offer"


class TooManyJobs(DomainError):
    status = 429
    code = "job-post-rate-limit"
    title = "Too many job offers"


class JobStateConflict(Conflict):
    code = "job-state"
    title = "The offer is not in a state that allows this"


class NotYourJob(Forbidden):
    code = "not-your-job"
    title = "Only the poster or staff may do this"


@dataclass(frozen=True)
class Poster:
    """Who posted: an alumnus (member id) or a partner recruiter (token subject)."""

    kind: str  # "alumnus" | "partner" | "staff"
    id: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class JobPosted(DomainEvent):
    job_id: str
    title: str
    company: str
    city: str
    country: str
    sector: str
    contract: str
    remote: str
    posted_by_partner: bool
    published_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class JobExpired(DomainEvent):
    job_id: str
    at: datetime


def fold(text: str) -> str:
    """Case- and accent-insensitive: "Crédit" and "credit" match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def check_post_rate(recent: list[datetime], now: datetime, per_day: int) -> None:
    if sum(1 for t in recent if now - t < timedelta(days=1)) >= per_day:
        raise TooManyJobs(f"at most {per_day} offers per 24 hours")


@dataclass(eq=False)
class JobOffer(AggregateRoot):
    poster: Poster = Poster("alumnus", "")
    title: str = ""
    company: str = ""
    city: str = ""
    country: str = "FR"
    sector: str = ""
    contract: str = "permanent"
    remote: str = "onsite"
    description_fr: str = ""
    description_en: str = ""
    html_fr: str = ""
    html_en: str = ""
    apply_url: str | None = None
    apply_email: str | None = None
    status: JobStatus = JobStatus.PENDING
    created_at: datetime | None = None
    published_at: datetime | None = None
    expires_at: datetime | None = None
    review_reason: str | None = None
    saves: int = 0

    @classmethod
    def post(cls, *, tenant: str, poster: Poster, title: str, company: str, city: str, country: str, sector: str,
             contract: str, remote: str, description_fr: str, description_en: str, html_fr: str, html_en: str,
             apply_url: str | None, apply_email: str | None, now: datetime) -> JobOffer:
        if contract not in CONTRACTS or remote not in REMOTE:
            raise InvalidJob("unknown contract type or remote policy")
        if not (description_fr.strip() or description_en.strip()):
            raise InvalidJob("a description in French or English is required")
        if (apply_url is None) == (apply_email is None):
            raise InvalidJob("give exactly one of apply_url and apply_email")
        if apply_url is not None and not apply_url.startswith("https://"):
            raise InvalidJob("apply_url must be an https address")
        job = cls(id=new_id(), tenant=tenant, poster=poster, title=title, company=company, city=city,
                  country=country, sector=sector, contract=contract, remote=remote, description_fr=description_fr,
                  description_en=description_en, html_fr=html_fr, html_en=html_en, apply_url=apply_url,
                  apply_email=apply_email, created_at=now)
        if poster.kind == "staff":  # the office's own offers need no review
            job._publish(now)
        return job

    def _publish(self, now: datetime) -> None:
        self.status, self.published_at, self.expires_at = JobStatus.PUBLISHED, now, now + LISTED_FOR
        self.record(JobPosted(self.id, self.title, self.company, self.city, self.country, self.sector, self.contract,
                              self.remote, self.poster.kind == "partner", now, now + LISTED_FOR))

    def review(self, approve: bool, reason: str, now: datetime) -> None:
        if self.status is not JobStatus.PENDING:
            raise JobStateConflict(f"the offer is {self.status.value}, not waiting for review")
        if approve:
            self._publish(now)
        else:
            if not reason.strip():
                raise InvalidJob("say why the offer is rejected (the poster sees it)")
            self.status, self.review_reason = JobStatus.REJECTED, reason
            self.version += 1

    def is_listed(self, now: datetime) -> bool:
        return self.status is JobStatus.PUBLISHED and self.expires_at is not None and self.expires_at > now

    def may_manage(self, poster: Poster | None, staff: bool) -> bool:
        return staff or (poster is not None and poster.key == self.poster.key)

    def renew(self, poster: Poster | None, staff: bool, now: datetime) -> None:
        """Another 30 days from now, for a listed offer or one that expired (it was approved)."""
        if not self.may_manage(poster, staff):
            raise NotYourJob("only the poster or staff renew an offer")
        if self.status not in (JobStatus.PUBLISHED, JobStatus.EXPIRED):
            raise JobStateConflict(f"the offer is {self.status.value}: only published or expired offers renew")
        was_listed = self.is_listed(now)
        self.status, self.expires_at = JobStatus.PUBLISHED, now + LISTED_FOR
        if was_listed:
            self.version += 1
        else:  # back on the board: alumni may be alerted again
            self.published_at = now
            self.record(JobPosted(self.id, self.title, self.company, self.city, self.country, self.sector,
                                  self.contract, self.remote, self.poster.kind == "partner", now, now + LISTED_FOR))

    def withdraw(self, poster: Poster | None, staff: bool) -> None:
        if not self.may_manage(poster, staff):
            raise NotYourJob("only the poster or staff withdraw an offer")
        if self.status in (JobStatus.WITHDRAWN, JobStatus.REJECTED):
            raise JobStateConflict(f"the offer is already {self.status.value}")
        self.status = JobStatus.WITHDRAWN
        self.version += 1

    def expire(self, now: datetime) -> bool:
        if self.status is not JobStatus.PUBLISHED or self.expires_at is None or self.expires_at > now:
            return False
        self.status = JobStatus.EXPIRED
        self.record(JobExpired(self.id, now))
        return True

    def matches(self, *, contract: str | None, remote: str | None, city: str, sector: str, words: list[str]) -> bool:
        if contract and self.contract != contract:
            return False
        if remote and self.remote != remote:
            return False
        if city and fold(city) != fold(self.city):
            return False
        if sector and fold(sector) != fold(self.sector):
            return False
        haystack = fold(f"{self.title} {self.company}")
        return all(w in haystack for w in words)
